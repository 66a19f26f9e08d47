import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ErrorInfo } from '../../src-shared/contract'
import type { TrashEntry } from '../../src-shared/models/trash'
import { ok, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))
// The DOM side (which element takes the focus) is the e2e's (focus-after-deletion.spec.ts); here, that it is asked for.
const { focusRestored } = vi.hoisted(() => ({ focusRestored: vi.fn() }))
vi.mock('../../src-renderer/src/lib/restored-focus', () => ({ focusRestored }))

const { TrashState } = await import('../../src-renderer/src/lib/state/trash.svelte')
const { notices } = await import('../../src-renderer/src/lib/state/notices.svelte')
type Notice = (typeof notices.items)[number]

const TEXTS = {
  done: () => 'Device meter/m-1 deleted.',
  undo: () => 'Undo',
  undoName: () => 'Undo: restore meter/m-1',
  restored: () => 'meter/m-1 restored.',
  refused: (e: ErrorInfo) => () => `refused: ${e.details?.ref?.key ?? e.code}`,
}
/** The texts are the test's own: no catalogue is read. */
const t = (key: string) => key
const said = (n: Notice) => [n.kind, n.text(t), n.action && [n.action.label(t), n.action.name(t)]]
const ENTRY: TrashEntry = {
  id: '0123456789abcdef',
  item: 'device',
  target: 'meter/m-1',
  label: '',
  deletedAt: '2026-12-04T10:00:00.000Z',
  deletedBy: 'operator',
  purgeAt: '2027-01-03T10:00:00.000Z',
}

describe('the notice that confirms a deletion', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    fake.reset()
    focusRestored.mockClear()
    for (const n of notices.items) notices.dismiss(n.id)
  })
  afterEach(() => vi.useRealTimers())

  it('offers Undo until dismissed, restores the trash entry once, then says so', async () => {
    const trash = new TrashState()
    expect(trash.reportDeletion(ok({ removed: true as const, trashId: ENTRY.id }), TEXTS)).toBe(true)
    expect(notices.items.map(said)).toEqual([['success', 'Device meter/m-1 deleted.', ['Undo', 'Undo: restore meter/m-1']]])
    // Unlike other success notices it does not go away by itself: the operator needs time to reach its button.
    vi.advanceTimersByTime(60_000)
    expect(notices.items).toHaveLength(1)

    const action = notices.items[0]!.action!
    const first = action.run()
    const second = action.run()
    expect(fake.pending('trash:restore').map((c) => c.input)).toEqual([{ id: ENTRY.id }])
    fake.answer('trash:restore', ok({ restored: ENTRY }))
    await Promise.all([first, second])
    await settle()
    expect(notices.items.map(said)).toEqual([['success', 'meter/m-1 restored.', undefined]])
    // The Undo that had the focus is gone: the focus goes to what came back (cold trial: it fell to the page's heading).
    expect(focusRestored.mock.calls).toEqual([[ENTRY]])
  })

  it('says why a restore was refused, and the deletion notice gives way to it', async () => {
    const trash = new TrashState()
    trash.reportDeletion(ok({ removed: true as const, trashId: ENTRY.id }), TEXTS)
    const running = notices.items[0]!.action!.run()
    fake.answer('trash:restore', { ok: false, error: { code: 'CONFLICT', message: 'taken', details: { ref: { key: 'trash.keyTaken', params: { target: ENTRY.target } } } } })
    await running
    expect(notices.items.map(said)).toEqual([['error', 'refused: trash.keyTaken', undefined]])
    // Nothing came back: the focus is not sent looking for it.
    expect(focusRestored).not.toHaveBeenCalled()
  })

  it('gives way when the entry is restored from the Trash view, whose Undo would only be refused (cold trial)', async () => {
    const trash = new TrashState()
    trash.reportDeletion(ok({ removed: true as const, trashId: ENTRY.id }), TEXTS)
    trash.reportDeletion(ok({ removed: true as const, trashId: 'fedcba9876543210' }), { ...TEXTS, done: () => 'Device meter/m-2 deleted.' })
    const restoring = trash.restore(ENTRY.id)
    fake.answer('trash:restore', ok({ restored: ENTRY }))
    await restoring
    expect(notices.items.map((n) => n.text(t))).toEqual(['Device meter/m-2 deleted.'])
    // A refused restore leaves the notice: the entry is still in the trash.
    const refused = trash.restore('fedcba9876543210')
    fake.answer('trash:restore', { ok: false, error: { code: 'CONFLICT', message: 'taken' } })
    await refused
    expect(notices.items.map((n) => n.text(t))).toEqual(['Device meter/m-2 deleted.'])
    const emptying = trash.empty()
    fake.answer('trash:empty', ok({ purged: 1 }))
    await emptying
    expect(notices.items).toEqual([])
  })

  it('gives way when another window on the core restores its entry or empties the trash (serve mode: every window is told)', async () => {
    const trash = new TrashState()
    const [second, third] = ['fedcba9876543210', '00000000000000ff']
    const texts = () => notices.items.map((n) => n.text(t))
    trash.reportDeletion(ok({ removed: true as const, trashId: ENTRY.id }), TEXTS)
    trash.reportDeletion(ok({ removed: true as const, trashId: second }), { ...TEXTS, done: () => 'Device meter/m-2 deleted.' })
    // Another window restored meter/m-1: the core says the trash changed, and this window reads what it holds.
    fake.emit('trash:changed', {})
    // A deletion confirmed while that read is on its way is not judged by it: the answer may predate it.
    trash.reportDeletion(ok({ removed: true as const, trashId: third }), { ...TEXTS, done: () => 'Device meter/m-3 deleted.' })
    fake.answer('trash:list', ok({ items: [{ ...ENTRY, id: second, target: 'meter/m-2' }] }))
    await settle()
    expect(texts()).toEqual(['Device meter/m-2 deleted.', 'Device meter/m-3 deleted.'])
    // The trash unread (the core out of reach): the notices stay.
    fake.emit('trash:changed', {})
    fake.answer('trash:list', { ok: false, error: { code: 'NETWORK', message: 'gone' } })
    await settle()
    expect(texts()).toEqual(['Device meter/m-2 deleted.', 'Device meter/m-3 deleted.'])
    // Emptied from another window.
    fake.emit('trash:changed', {})
    fake.answer('trash:list', ok({ items: [] }))
    await settle()
    expect(notices.items).toEqual([])
    // No Undo notice left: a change of the trash costs this window no read.
    fake.emit('trash:changed', {})
    expect(fake.pending('trash:list')).toEqual([])
  })

  it('reports a refused deletion without an Undo', () => {
    const trash = new TrashState()
    expect(trash.reportDeletion({ ok: false, error: { code: 'NOT_FOUND', message: 'gone' } }, TEXTS)).toBe(false)
    expect(notices.items.map(said)).toEqual([['error', 'refused: NOT_FOUND', undefined]])
    expect(fake.pending('trash:restore')).toEqual([])
  })
})
