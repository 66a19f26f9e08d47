/**
 * Commands awaiting their async responses (src-main/core/mbed/pending-commands.ts): matching by id, answers that beat
 * their 202, unmatched answers, TTL expiry, the pending cap, and the records the UI lists.
 */
import { describe, expect, it } from 'vitest'
import type { MbedCommandView } from '../../src-shared/models/mbed'
import { noopLogger } from '../../src-main/core/mbed/log-limit'
import { earlyJournal } from '../helpers/mbed-early'
import { PendingCommands, type CommandRecord, type PendingCommandsOptions } from '../../src-main/core/mbed/pending-commands'

function setup(over: Partial<PendingCommandsOptions> = {}) {
  const published: { topic: string; body: Record<string, unknown> }[] = []
  const views: MbedCommandView[] = []
  const unroutable: string[] = []
  const counters = { asyncResponses: 0, unmatchedAsyncResponses: 0, pendingCommands: 0 }
  const pending = new PendingCommands({
    pendingTtlMs: 1_000,
    queueModeTtlMs: 5_000,
    maxPending: 3,
    earlyAnswerMs: 100,
    early: earlyJournal(),
    commandHistory: 2,
    counters,
    publish: (topic, payload) => published.push({ topic, body: JSON.parse(payload) as Record<string, unknown> }),
    typeOf: () => 'Light',
    unroutable: (ep) => unroutable.push(ep),
    changed: (v) => views.push(v),
    warn: () => {},
    log: noopLogger,
    ...over,
  })
  pending.open()
  return { pending, published, views, counters, unroutable }
}

let n = 0
function record(over: Partial<CommandRecord> = {}): CommandRecord {
  n++
  return {
    id: `cmd-${n}`,
    source: 'mqtt',
    method: 'PUT',
    ep: 'node-1',
    path: '/3/0/1',
    deviceType: 'Light',
    commandName: 'update',
    topic: null,
    asyncId: null,
    state: 'sending',
    createdAt: Date.now(),
    answeredAt: null,
    status: null,
    error: null,
    reason: null,
    response: null,
    queueMode: false,
    ...over,
  }
}

describe('pending commands', () => {
  it('matches an answer to its command by async id and publishes it with the command’s ep and path', () => {
    const { pending, published, counters } = setup()
    const r = record()
    pending.remember(r)
    pending.accepted(r, 'a-1', false)
    expect(pending.awaiting()).toHaveLength(1)
    pending.handle({ id: 'a-1', status: 200, payload: 'MQ==', ct: 'text/plain', maxAge: 0 })
    expect(published).toEqual([
      { topic: 'iot-2/type/Light/id/node-1/evt/asyncResponse/fmt/json', body: { id: 'a-1', status: 200, ct: 'text/plain', 'max-age': 0, payload: 'MQ==', ep: 'node-1', path: '/3/0/1' } },
    ])
    expect(pending.list()[0]).toMatchObject({ state: 'answered', status: 200, response: { payload: 'MQ==' } })
    expect(counters).toMatchObject({ asyncResponses: 1, pendingCommands: 0 })
  })

  it('an answer that beat its 202 is kept and given to the command when its id arrives', () => {
    const { pending, published } = setup()
    pending.handle({ id: 'a-2', status: 504, error: 'TIMEOUT' })
    const r = record()
    pending.accepted(r, 'a-2', false)
    expect(r.state).toBe('answered')
    expect(published[0]?.body).toMatchObject({ status: 504, error: 'TIMEOUT' })
    expect(pending.pendingCount).toBe(0)
  })

  it('an answer nobody claims is counted; published only when its legacy id names ep and path', () => {
    const { pending, published, counters } = setup()
    pending.handle({ id: '123#node-9@test.domain.com/3/0/1', status: 200 })
    pending.handle({ id: 'opaque', status: 200 })
    pending.sweep(Date.now() + 200)
    expect(counters.unmatchedAsyncResponses).toBe(2)
    expect(published).toEqual([{ topic: 'iot-2/type/Light/id/node-9/evt/asyncResponse/fmt/json', body: { id: '123#node-9@test.domain.com/3/0/1', status: 200, ep: 'node-9', path: '/3/0/1' } }])
  })

  it('an early answer waits on disk: the next run handles what nobody claimed as unmatched, and nothing claimed comes back', () => {
    const journal = earlyJournal()
    const first = setup({ early: journal })
    first.pending.handle({ id: '7#node-9@test.domain.com/3/0/5', status: 200, payload: 'MQ==', ct: 'text/plain', maxAge: 60 })
    first.pending.handle({ id: 'a-claimed', status: 204 })
    first.pending.accepted(record(), 'a-claimed', false)
    // Closed without its 202, as a killed process leaves it (stop() only closes the journal).
    first.pending.stop()
    expect(first.published.map((p) => p.body.id)).toEqual(['a-claimed'])

    const second = setup({ early: journal })
    expect(second.counters.unmatchedAsyncResponses).toBe(1)
    expect(second.published).toEqual([
      {
        topic: 'iot-2/type/Light/id/node-9/evt/asyncResponse/fmt/json',
        body: { id: '7#node-9@test.domain.com/3/0/5', status: 200, ct: 'text/plain', 'max-age': 60, payload: 'MQ==', ep: 'node-9', path: '/3/0/5' },
      },
    ])
    second.pending.stop()
    expect(setup({ early: journal }).published).toEqual([])
  })

  it('at a graceful stop, early answers are handled as unmatched at once and leave the journal', () => {
    const journal = earlyJournal()
    const first = setup({ early: journal })
    first.pending.handle({ id: '8#node-9@test.domain.com/3/0/1', status: 200 })
    first.pending.releaseEarly()
    expect(first.published.map((p) => p.body.id)).toEqual(['8#node-9@test.domain.com/3/0/1'])
    first.pending.stop()
    expect(setup({ early: journal }).published).toEqual([])
  })

  it('expires commands past their TTL (longer for queue-mode endpoints) and beyond the pending cap', () => {
    const { pending, views } = setup()
    const normal = record({ createdAt: 0 })
    const queued = record({ createdAt: 0, queueMode: true })
    pending.accepted(normal, 'x-1', false)
    pending.accepted(queued, 'x-2', false)
    pending.sweep(2_000)
    expect(normal.state).toBe('expired')
    expect(queued.state).toBe('pending')
    pending.accepted(record(), 'x-3', false)
    pending.accepted(record(), 'x-4', false)
    pending.accepted(record(), 'x-5', false)
    expect(queued.state).toBe('expired')
    // Why, as a translatable error: the renderer words it in the operator's language, never shows our English.
    expect(queued.error).toBeNull()
    expect(queued.reason).toMatchObject({ code: 'TIMEOUT', details: { ref: { key: 'mbed.commandOverflow', params: { count: 3 } } } })
    expect(normal.reason).toMatchObject({ details: { ref: { key: 'mbed.commandNoAnswer' } } })
    expect(views.some((v) => v.state === 'expired')).toBe(true)
    pending.stop()
    expect(pending.awaiting()).toEqual([])
  })

  it('lists the most recent records, newest first, pending ones always included', () => {
    const { pending } = setup()
    const old = record({ createdAt: 1 })
    pending.remember(old)
    pending.accepted(old, 'p-1', false)
    for (let i = 2; i < 5; i++) pending.remember(record({ createdAt: i }))
    const ids = pending.list().map((v) => v.id)
    expect(ids).toHaveLength(2)
    expect(pending.awaiting().map((v) => v.id)).toEqual([old.id])
  })

  it('an answer for an endpoint that cannot be a device id is counted as unroutable', () => {
    const { pending, published, unroutable } = setup()
    const r = record({ ep: 'x'.repeat(40) })
    pending.accepted(r, 'u-1', false)
    pending.handle({ id: 'u-1', status: 200 })
    expect(published).toEqual([])
    expect(unroutable).toEqual(['x'.repeat(40)])
  })
})
