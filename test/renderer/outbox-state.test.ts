/**
 * When the connection comes back the outbox sends, by itself, only what is safe to send twice (the core's automatic
 * replay), and a queued SMS waits for the operator behind a notice that stays until dismissed.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { OutboxItem } from '../../src-shared/contract'
import { ok, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

// The browser's 'online' listeners the outbox registers, called by the tests as the connection comes back.
const online: (() => void)[] = []
vi.stubGlobal('window', { addEventListener: (type: string, listener: () => void) => type === 'online' && online.push(listener) })
vi.stubGlobal('document', { documentElement: { setAttribute: () => {} } })

const { outbox, carrierReached } = await import('../../src-renderer/src/lib/state/outbox.svelte')
const { notices } = await import('../../src-renderer/src/lib/state/notices.svelte')

const item = (n: number, action: OutboxItem['action']): OutboxItem => ({
  id: `outbox:${n}`,
  action,
  target: 'meter/m-1',
  carrier: 'jasper',
  iccid: '89011704252318000013',
  params: action === 'sim.sendSms' ? { text: 'hi' } : { status: 'activated' },
  state: 'pending',
  createdAt: '2026-12-05T08:00:00.000Z',
  attempts: 0,
  lastError: null,
})

beforeEach(async () => {
  // The list read at import, and any read a write started, answered with two queued changes.
  while (fake.pending('outbox:list').length > 0) fake.answer('outbox:list', ok({ items: [item(1, 'sim.changeStatus'), item(2, 'sim.sendSms')] }))
  await settle()
  notices.items = []
})

describe('outbox when the connection comes back', () => {
  it('sends the safe changes by itself when the browser is online again, and offers the held SMS in a notice that stays', async () => {
    expect(outbox.pending).toBe(2)
    for (const listener of online) listener()
    expect(fake.answer('outbox:replay', ok({ done: 1, failed: 0, unknown: 0, pending: 0, held: 1 }))).toEqual({ automatic: true })
    await settle()
    expect(notices.items.map((n) => [n.kind, n.text])).toEqual([
      ['success', 'The connection is back: 1 queued change sent.'],
      ['info', '1 queued change waits for you: an SMS is sent at most once, so Fieldline does not send it by itself.'],
    ])
    const prompt = notices.items[1]!.action!
    expect(prompt.label).toBe('Send queued now')
    // The operator's choice sends everything still queued, SMS included: a replay that is not automatic.
    const sending = prompt.run()
    expect(fake.answer('outbox:replay', ok({ done: 1, failed: 0, unknown: 0, pending: 0, held: 0 }))).toEqual({})
    await sending
    expect(notices.items.at(-1)).toMatchObject({ kind: 'success' })
  })

  it('starts when a panel that could not reach its carrier reaches it again, and not while it stays offline or with nothing queued', async () => {
    carrierReached({ code: 'NETWORK', message: 'down' }, { code: 'NETWORK', message: 'down' })
    carrierReached(null, null)
    expect(fake.pending('outbox:replay')).toHaveLength(0)
    carrierReached({ code: 'NETWORK', message: 'down' }, null)
    expect(fake.answer('outbox:replay', ok({ done: 2, failed: 0, unknown: 0, pending: 0, held: 0 }))).toEqual({ automatic: true })
    await settle()
    expect(notices.items.map((n) => n.kind)).toEqual(['success'])
    fake.answer('outbox:list', ok({ items: [] }))
    await settle()
    carrierReached({ code: 'NETWORK', message: 'down' }, null)
    expect(fake.pending('outbox:replay')).toHaveLength(0)
  })
})
