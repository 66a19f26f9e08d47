/** What the bridge does with one envelope (src-main/core/mbed/envelope-handler.ts). */
import { describe, expect, it } from 'vitest'
import { EndpointTypes } from '../../src-main/core/mbed/endpoint-types'
import { EnvelopeHandler, notifyJson } from '../../src-main/core/mbed/envelope-handler'
import { parseEnvelope } from '../../src-main/core/mbed/envelope'
import { noopLogger } from '../../src-main/core/mbed/log-limit'

function setup(watching = true) {
  const counters = { notifications: 0, malformed: 0, unroutable: 0 }
  const types = new EndpointTypes({ defaultType: 'mbed', warn: () => {}, log: noopLogger, counters })
  const queued: { topic: string; payload: string }[] = []
  const live: unknown[] = []
  const answers: string[] = []
  const registrations: string[] = []
  let pumps = 0
  const handler = new EnvelopeHandler({
    types,
    live: { add: (_now, item) => live.push(item), flush: () => {} },
    watching: () => watching,
    enqueue: (topic, payload) => queued.push({ topic, payload }),
    pump: () => pumps++,
    asyncResponse: (a) => answers.push(a.id),
    registered: (r, full) => registrations.push(`${full ? 'full' : 'update'} ${r.ep}`),
    left: (ep) => registrations.push(`left ${ep}`),
    counters,
    log: noopLogger,
  })
  return { handler, counters, queued, live, answers, registrations, pumps: () => pumps }
}

describe('envelope handler', () => {
  it('learns types from registrations, then publishes each notification under them', () => {
    const s = setup()
    s.handler.handle(
      parseEnvelope({
        registrations: [{ ep: 'node-1', ept: 'Light', resources: [] }],
        notifications: [
          { ep: 'node-1', path: '/3311/0/5850', ct: 'text/plain', payload: 'MQ==', 'max-age': '30' },
          { ep: 'node-2', path: '/1', payload: '' },
          { ep: 'x'.repeat(40), path: '/1', payload: '' },
        ],
        'async-responses': [{ id: 'a', status: 200 }],
        'reg-updates': [{ nope: true }],
      }),
    )
    expect(s.queued).toEqual([
      { topic: 'iot-2/type/Light/id/node-1/evt/notify/fmt/json', payload: '{"ep":"node-1","path":"/3311/0/5850","ct":"text/plain","payload":"MQ==","max-age":30}' },
      { topic: 'iot-2/type/mbed/id/node-2/evt/notify/fmt/json', payload: '{"ep":"node-2","path":"/1","payload":""}' },
    ])
    expect(s.counters).toMatchObject({ notifications: 3, malformed: 1, unroutable: 1 })
    expect(s.answers).toEqual(['a'])
    expect(s.live).toHaveLength(2)
    expect(s.pumps()).toBe(1)
  })

  it('hands registrations (full), reg-updates and departures to the subscriptions, after the type is learnt', () => {
    const s = setup()
    s.handler.handle(parseEnvelope({ registrations: [{ ep: 'a', ept: 'Light' }], 'reg-updates': [{ ep: 'b' }], 'de-registrations': ['c'], 'registrations-expired': ['d'] }))
    expect(s.registrations).toEqual(['full a', 'update b', 'left c', 'left d'])
  })

  it('builds no live items while nobody watches', () => {
    const s = setup(false)
    s.handler.handle(parseEnvelope({ notifications: [{ ep: 'n', path: '/1', payload: '' }] }))
    expect(s.live).toEqual([])
  })

  it('measures the notification rate between two readings', () => {
    const s = setup()
    s.handler.takeRate(0)
    s.handler.handle(parseEnvelope({ notifications: Array.from({ length: 5 }, () => ({ ep: 'n', path: '/1', payload: '' })) }))
    expect(s.handler.takeRate(2_000)).toBe(2.5)
    expect(s.handler.takeRate(3_000)).toBe(0)
  })

  it('writes the §2 notify body with JSON escaping of ep and path', () => {
    expect(JSON.parse(notifyJson({ ep: 'a"b', path: '/1', payload: 'QQ==' }))).toEqual({ ep: 'a"b', path: '/1', payload: 'QQ==' })
  })
})
