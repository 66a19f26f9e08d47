/**
 * Command intake (src-main/core/mbed/command-intake.ts) with a scripted link and client: the topic subscriptions per
 * mode, refusals as bridgeError events, per-endpoint order, Pelion async ids, and failures reported.
 */
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { CommandIntake, type CommandIntakeOptions } from '../../src-main/core/mbed/command-intake'
import type { ResourceRequest, ResourceResult } from '../../src-main/core/mbed/connector.client'
import { EndpointTypes } from '../../src-main/core/mbed/endpoint-types'
import { noopLogger } from '../../src-main/core/mbed/log-limit'
import { commandJournal, earlyJournal } from '../helpers/mbed-early'
import { PendingCommands } from '../../src-main/core/mbed/pending-commands'

const b64 = (s: string) => Buffer.from(s).toString('base64')

function setup(options: { commandTypes?: CommandIntakeOptions['commandTypes']; flavour?: 'connector' | 'pelion'; answer?: (r: ResourceRequest) => Promise<ResourceResult> } = {}) {
  const handlers = new Map<string, (topic: string, payload: Buffer) => void>()
  const link = {
    persistent: false,
    subscribe: (filter: string, handler: (topic: string, payload: Buffer) => void) => {
      handlers.set(filter, handler)
      return Object.assign(async () => {}, { ready: Promise.resolve() })
    },
    onUnmatched: () => () => {},
  }
  const requests: ResourceRequest[] = []
  const client = {
    flavour: options.flavour ?? 'connector',
    resourceRequest: async (r: ResourceRequest): Promise<ResourceResult> => {
      requests.push(r)
      return options.answer ? options.answer(r) : { kind: 'async', asyncId: `id-${requests.length}`, status: 202 }
    },
  }
  const published: { topic: string; body: Record<string, unknown> }[] = []
  const publish = (topic: string, payload: string) => published.push({ topic, body: JSON.parse(payload) as Record<string, unknown> })
  const counters = { commands: 0, commandErrors: 0, asyncResponses: 0, unmatchedAsyncResponses: 0, pendingCommands: 0, unroutable: 0 }
  const types = new EndpointTypes({ defaultType: 'mbed', warn: () => {}, log: noopLogger, counters })
  const pending = new PendingCommands({
    pendingTtlMs: 60_000,
    queueModeTtlMs: 60_000,
    maxPending: 100,
    earlyAnswerMs: 1_000,
    early: earlyJournal(),
    commandHistory: 100,
    counters,
    publish,
    typeOf: (ep) => types.typeOf(ep),
    unroutable: () => {},
    changed: () => {},
    warn: () => {},
    log: noopLogger,
  })
  pending.open()
  const intake = new CommandIntake({
    client,
    link: link as unknown as CommandIntakeOptions['link'],
    journal: commandJournal(),
    writeFailed: (e) => {
      throw e
    },
    types,
    pending,
    commandTypes: options.commandTypes ?? 'auto',
    commandContentType: 'text/plain',
    maxCommandBytes: 131_072,
    counters,
    publish,
    accepting: () => true,
    warn: () => {},
    log: noopLogger,
  })
  const send = (type: string, id: string, body: unknown) => {
    const topic = `iot-2/type/${type}/id/${id}/cmd/update/fmt/json`
    for (const [filter, handler] of handlers) if (filter.split('/')[2] === type || filter.split('/')[2] === '+') handler(topic, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)))
  }
  return { intake, handlers, requests, published, counters, types, pending, send }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('command intake', () => {
  it("'auto' subscribes the default type and each type as it becomes known; '+' and a list subscribe as said", () => {
    const auto = setup()
    auto.intake.subscribeConfigured(['Light'])
    auto.intake.typeLearnt('Sensor')
    expect([...auto.handlers.keys()].map((f) => f.split('/')[2])).toEqual(['mbed', 'Light', 'Sensor'])
    const every = setup({ commandTypes: '+' })
    every.intake.subscribeConfigured([])
    every.intake.typeLearnt('Sensor')
    expect([...every.handlers.keys()].map((f) => f.split('/')[2])).toEqual(['+'])
    const fixed = setup({ commandTypes: ['A', 'B'] })
    fixed.intake.subscribeConfigured(['Light'])
    expect([...fixed.handlers.keys()].map((f) => f.split('/')[2])).toEqual(['A', 'B'])
  })

  it('forwards a valid command, and refuses an invalid one or one of the wrong type with a bridgeError', async () => {
    const { intake, requests, published, counters, types, send } = setup()
    types.learn('node-1', 'Light', false)
    intake.subscribeConfigured(['Light'])
    send('Light', 'node-1', { method: 'PUT', deviceId: 'node-1', resourceId: '3/0/1', payload: b64('1') })
    send('Light', 'node-1', { method: 'put', deviceId: 'node-1', resourceId: '3/0/1', payload: b64('1') })
    send('mbed', 'node-1', { method: 'PUT', deviceId: 'node-1', resourceId: '3/0/1', payload: b64('1') })
    await settle()
    expect(requests).toHaveLength(1)
    expect(requests[0]).toMatchObject({ ep: 'node-1', path: '/3/0/1', method: 'PUT', contentType: 'text/plain' })
    expect(published.map((p) => [p.topic, p.body.reason])).toEqual([
      ['iot-2/type/Light/id/node-1/evt/bridgeError/fmt/json', 'invalidMethod'],
      ['iot-2/type/mbed/id/node-1/evt/bridgeError/fmt/json', 'typeMismatch'],
    ])
    expect(counters).toMatchObject({ commands: 1, commandErrors: 2 })
  })

  it('sends one endpoint’s commands in the order they came, one after the other', async () => {
    const order: string[] = []
    let release!: () => void
    const first = new Promise<void>((resolve) => (release = resolve))
    const { intake, send } = setup({
      answer: async (r) => {
        order.push(`start ${String(r.payload)}`)
        if (String(r.payload) === 'a') await first
        order.push(`end ${String(r.payload)}`)
        return { kind: 'async', asyncId: String(r.payload), status: 202 }
      },
    })
    intake.subscribeConfigured([])
    send('mbed', 'node-1', { method: 'PUT', deviceId: 'node-1', resourceId: '1/0/1', payload: b64('a') })
    send('mbed', 'node-1', { method: 'PUT', deviceId: 'node-1', resourceId: '1/0/1', payload: b64('b') })
    await settle()
    expect(order).toEqual(['start a'])
    release()
    await settle()
    await settle()
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b'])
  })

  it('Pelion: awaits its own async id before sending, so an answer that beats the 202 finds its command', async () => {
    let pendingDuringSend = 0
    const s = setup({
      flavour: 'pelion',
      answer: async (r) => {
        pendingDuringSend = s.pending.pendingCount
        s.pending.handle({ id: r.asyncId ?? '', status: 200 })
        return { kind: 'async', asyncId: r.asyncId ?? '', status: 202 }
      },
    })
    const view = await s.intake.sendFromConsole({ method: 'POST', deviceId: 'node-1', resourceId: '3/0/4' }, 131_072)
    expect(pendingDuringSend).toBe(1)
    expect(s.requests[0]?.asyncId).toBe(view.asyncId)
    expect(s.pending.list()[0]).toMatchObject({ state: 'answered', status: 200 })
  })

  it('reports a command mbed refused as requestFailed with its status', async () => {
    const s = setup({
      answer: async () => {
        throw AppError.withRef('NOT_FOUND', 'no endpoint', { key: 'mbed.endpointNotFound' }, { carrierCode: '410' })
      },
    })
    const view = await s.intake.sendFromConsole({ method: 'PUT', deviceId: 'ghost', resourceId: '3/0/1', payload: b64('1') }, 131_072)
    expect(view).toMatchObject({ state: 'failed', status: 410 })
    expect(s.published[0]?.body).toMatchObject({ reason: 'requestFailed', code: 'NOT_FOUND', status: 410, path: '/3/0/1' })
  })

  it('refuses an invalid console command with its translated key, sending nothing', async () => {
    const s = setup()
    const e = await s.intake.sendFromConsole({ method: 'PUT', deviceId: 'node-1', resourceId: '/3/0/1', payload: b64('1') }, 131_072).catch((err: unknown) => err)
    expect((e as AppError).details?.ref?.key).toBe('mbed.command.invalidResourceId')
    expect(s.requests).toEqual([])
  })
})
