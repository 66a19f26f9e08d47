import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Notification } from '../../src-shared/models/sim-inventory'
import { ok, settle } from './fake-api'
import { api as fake } from './mocked-api'
import { stubWindow } from './stub-window'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))
stubWindow()

const { ANNOUNCE_SETTLE_MS, InboxBadge, InboxList } = await import('../../src-renderer/src/lib/state/inbox.svelte')
const { findingText, notificationHref } = await import('../../src-renderer/src/features/inbox/inbox-text')

const note = (i: number, read = false): Notification => ({
  id: `inbox:2026-12-05T01:00:00.000Z:${String(i).padStart(6, '0')}:abcdef`,
  ruleId: 'data-high',
  ruleName: 'Data high',
  kind: 'dataAbove',
  sim: { carrier: 'jasper', simId: `8901000000000000${String(i).padStart(4, '0')}` },
  account: 'jasper:ops',
  value: 612_000_000,
  firedAt: '2026-12-05T01:00:00.000Z',
  read,
  devices: [],
})

beforeEach(() => {
  vi.useFakeTimers()
  fake.reset()
})
afterEach(() => vi.useRealTimers())

describe('the inbox badge', () => {
  it('starts from the unread count, then follows inbox:changed without reading again', async () => {
    const badge = new InboxBadge()
    expect(fake.answer('inbox:list', ok({ total: 3, unread: 3, items: [note(1)] }))).toMatchObject({ unreadOnly: true, limit: 1 })
    await settle()
    expect(badge.unread).toBe(3)
    fake.emit('inbox:changed', { unread: 7 })
    expect(badge.unread).toBe(7)
    fake.emit('inbox:changed', { unread: 0 })
    expect(badge.unread).toBe(0)
    expect(fake.pending('inbox:list')).toHaveLength(0)
    // Events sent while the transport was down are lost: coming back reads the count again.
    fake.reconnect()
    fake.answer('inbox:list', ok({ total: 2, unread: 2, items: [] }))
    await settle()
    expect(badge.unread).toBe(2)
  })

  it('announces a rise once the burst settles, with the last count, and never a fall or the first count', async () => {
    const badge = new InboxBadge()
    fake.answer('inbox:list', ok({ total: 4, unread: 4, items: [] }))
    await settle()
    vi.advanceTimersByTime(ANNOUNCE_SETTLE_MS * 2)
    expect(badge.announced).toBeNull()

    for (const unread of [5, 9, 12]) {
      fake.emit('inbox:changed', { unread })
      vi.advanceTimersByTime(ANNOUNCE_SETTLE_MS / 4)
    }
    expect(badge.announced).toBeNull()
    vi.advanceTimersByTime(ANNOUNCE_SETTLE_MS)
    expect(badge.announced).toBe(12)

    // The operator's own "mark read": no announcement; a later rise from there is news again.
    fake.emit('inbox:changed', { unread: 2 })
    vi.advanceTimersByTime(ANNOUNCE_SETTLE_MS)
    expect(badge.announced).toBe(12)
    fake.emit('inbox:changed', { unread: 3 })
    vi.advanceTimersByTime(ANNOUNCE_SETTLE_MS)
    expect(badge.announced).toBe(3)
  })
})

describe('the inbox list', () => {
  it('reads the newest page, only unread ones on request, and again when the inbox changes', async () => {
    const list = new InboxList()
    const stop = list.activate()
    expect(fake.answer('inbox:list', ok({ total: 2, unread: 1, items: [note(2), note(1, true)] }))).toMatchObject({ unreadOnly: false, offset: 0 })
    await settle()
    expect(list.rows.map((n) => n?.read)).toEqual([false, true])
    expect(list.unread).toBe(1)

    list.search('unread')
    expect(fake.answer('inbox:list', ok({ total: 1, unread: 1, items: [note(2)] }))).toMatchObject({ unreadOnly: true })
    await settle()
    expect(list.total).toBe(1)

    fake.emit('inbox:changed', { unread: 0 })
    vi.advanceTimersByTime(500)
    expect(fake.answer('inbox:list', ok({ total: 0, unread: 0, items: [] }))).toMatchObject({ unreadOnly: true })
    await settle()
    expect(list.rows).toEqual([])
    stop()
  })

  it('marks one read or unread with its id', async () => {
    const list = new InboxList()
    const marking = list.markRead([note(1).id], false)
    expect(fake.answer('inbox:markRead', ok({ changed: 1 }))).toEqual({ ids: [note(1).id], read: false })
    expect(await marking).toEqual({ ok: true, value: { changed: 1 } })
  })

  it('marks all read in batches of the newest unread until none is left', async () => {
    const list = new InboxList()
    const batch = Array.from({ length: 500 }, (_, i) => note(i))
    const all = list.markAllRead()
    await settle()
    fake.answer('inbox:list', ok({ total: 620, unread: 620, items: batch }))
    await settle()
    expect(fake.answer('inbox:markRead', ok({ changed: 500 }))).toEqual({ ids: batch.map((n) => n.id), read: true })
    await settle()
    const rest = Array.from({ length: 120 }, (_, i) => note(500 + i))
    expect(fake.answer('inbox:list', ok({ total: 120, unread: 120, items: rest }))).toMatchObject({ unreadOnly: true, limit: 500 })
    await settle()
    expect(fake.answer('inbox:markRead', ok({ changed: 120 })).ids).toHaveLength(120)
    await settle()
    fake.answer('inbox:list', ok({ total: 0, unread: 0, items: [] }))
    expect(await all).toEqual({ ok: true, value: { changed: 620 } })
    expect(fake.pending('inbox:markRead')).toHaveLength(0)
  })
})

describe('a notification in words and as a link', () => {
  const t = (key: string, options?: { values?: Record<string, string | number> }): string => `${key}${options?.values ? JSON.stringify(options.values) : ''}`

  it('links to the device naming the SIM, else to the SIM (or the account) on the SIMs page', () => {
    expect(notificationHref({ ...note(1), devices: ['meter/m 1', 'meter/m-2'] })).toBe('#/devices/meter/m%201')
    expect(notificationHref(note(1))).toBe('#/sims?q=89010000000000000001&carrier=jasper')
    expect(notificationHref({ ...note(1), sim: null, account: 'jasper:ops' })).toBe('#/sims?account=jasper%3Aops')
  })

  it('says what was found in the locale', () => {
    expect(findingText(t, 'fr', note(1))).toBe('inbox.ui.found.data{"amount":"612\u202fMo"}')
    expect(findingText(t, 'en', { kind: 'statusChanged', value: 'activated→retired', account: null })).toBe('inbox.ui.found.status{"from":"sim.statuses.activated","to":"sim.statuses.retired"}')
    expect(findingText(t, 'en', { kind: 'noSession', value: 'never', account: null })).toBe('inbox.ui.found.neverSession')
    expect(findingText(t, 'en', { kind: 'smsFailed', value: '4302000017', account: 'jasper:ops' })).toBe('inbox.ui.found.smsFailed{"smsMsgId":"4302000017"}')
  })
})
