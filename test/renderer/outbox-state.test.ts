/**
 * When a carrier answers again the core sends, by itself, only what is safe to send twice, and says so
 * (outbox:replayed); the window tells the operator, and a queued SMS waits for the operator behind a notice that stays
 * until dismissed. The window starts no replay of its own.
 */
import { get } from 'svelte/store'
import { _ } from 'svelte-i18n'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { OutboxItem } from '../../src-shared/contract'
import { ok, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

// The browser's 'online' listeners, if the outbox registered any: going online must not start a replay here.
const online: (() => void)[] = []
vi.stubGlobal('window', { addEventListener: (type: string, listener: () => void) => type === 'online' && online.push(listener) })
vi.stubGlobal('document', { documentElement: { setAttribute: () => {} } })

const { outbox } = await import('../../src-renderer/src/lib/state/outbox.svelte')
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
  it('tells what the core sent by itself, and offers the held SMS in a notice that stays', async () => {
    expect(outbox.pending).toBe(2)
    fake.emit('outbox:replayed', { done: 1, failed: 0, held: 1 })
    await settle()
    expect(notices.items.map((n) => [n.kind, n.text(get(_))])).toEqual([
      ['success', 'The connection is back: 1 queued change sent.'],
      ['info', '1 queued change waits for you: an SMS is sent at most once, so Fieldline does not send it by itself.'],
    ])
    const prompt = notices.items[1]!.action!
    expect(prompt.label(get(_))).toBe('Send queued now')
    // The operator's choice sends everything still queued, SMS included: a replay that is not automatic.
    const sending = prompt.run()
    expect(fake.answer('outbox:replay', ok({ done: 1, failed: 0, unknown: 0, pending: 0, held: 0 }))).toEqual({})
    await sending
    expect(notices.items.at(-1)).toMatchObject({ kind: 'success' })
  })

  it('says a failed change as an error, and only the held ones when nothing was sent', async () => {
    fake.emit('outbox:replayed', { done: 1, failed: 1, held: 0 })
    fake.emit('outbox:replayed', { done: 0, failed: 0, held: 2 })
    await settle()
    expect(notices.items.map((n) => n.kind)).toEqual(['error', 'info'])
  })

  it('starts no replay of its own when the browser is online again', async () => {
    for (const listener of online) listener()
    await settle()
    expect(fake.pending('outbox:replay')).toHaveLength(0)
  })
})
