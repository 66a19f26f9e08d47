import { beforeEach, describe, expect, it, vi } from 'vitest'
import { refusedShares, shareOfId, SYNC_SHARES, type SyncShare, type SyncStatus } from '../../src-shared/models/sync'
import { ok, settle } from './fake-api'
import { api as fake } from './mocked-api'
import { STOPPED } from './sync-status'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { gatedBy, ROLE_NOTE_ID } = await import('../../src-renderer/src/lib/state/role-gate.svelte')
const { teamSyncStatus } = await import('../../src-renderer/src/lib/state/team-sync.svelte')
const { ConfigDocument } = await import('../../src-renderer/src/lib/state/config-document.svelte')

function status(role: SyncStatus['role'], shares: readonly SyncShare[]): SyncStatus {
  return { ...STOPPED, role, roleAsOf: role ? '2026-12-05T08:00:00.000Z' : null, refused: refusedShares(role, shares) }
}

beforeEach(() => {
  fake.calls.length = 0
})

describe('the group of a document, by its id (what a conflict resolution writes)', () => {
  it('names the group the sync filter carries the document in, and none for what never travels', () => {
    expect(shareOfId('device:t:1')).toBe('devices')
    expect(shareOfId('profile:abc')).toBe('profiles')
    expect(shareOfId('package:com.x')).toBe('packages')
    expect(shareOfId('audit:2026:1')).toBe('audit')
    expect(shareOfId('mail:settings')).toBe('teamSettings')
    expect(shareOfId('invitation:1')).toBe('teamSettings')
    expect(shareOfId('draft:device:t:1')).toBe('drafts')
    expect(shareOfId('cache:sim:1')).toBe('caches')
    // A whole-id prefix is not a prefix of longer ids; local and design documents never travel.
    expect(shareOfId('mail:settings-old')).toBeUndefined()
    expect(shareOfId('mail:outbox:1')).toBeUndefined()
    expect(shareOfId('_design/fieldline-roles')).toBeUndefined()
  })

  it("turns off an operator's resolution of a profile conflict, as the server refuses it, and not of a device conflict", () => {
    const operator = status('operator', SYNC_SHARES)
    expect(gatedBy(operator, shareOfId('profile:abc'))).toEqual({ disabled: true, 'aria-describedby': ROLE_NOTE_ID })
    expect(gatedBy(operator, shareOfId('invitation:1')).disabled).toBe(true)
    expect(gatedBy(operator, shareOfId('device:t:1'))).toEqual({ disabled: false, 'aria-describedby': undefined })
    expect(gatedBy(status('administrator', SYNC_SHARES), shareOfId('profile:abc')).disabled).toBe(false)
  })
})

describe("a configuration draft while the server refuses the role's drafts", () => {
  async function withStatus(s: SyncStatus): Promise<void> {
    void teamSyncStatus.load()
    fake.answer('sync:status', ok(s))
    await settle()
  }

  async function typeAndLeave(draftStatus: 'none' | 'pending'): Promise<void> {
    const doc = new ConfigDocument({ typeId: 't', deviceId: '1' }, '{}\n', false)
    doc.edited('{"a":1}\n')
    expect(doc.draftStatus).toBe(draftStatus)
    // Leaving the page writes a pending draft at once.
    doc.dispose()
    await settle()
  }

  it('is not written for a viewer who shares drafts (the server would refuse it on push)', async () => {
    await withStatus(status('viewer', ['devices', 'drafts']))
    await typeAndLeave('none')
    expect(fake.pending('devices:saveDraft')).toHaveLength(0)
  })

  it('is written for an operator who shares drafts, and for a viewer who does not share them', async () => {
    await withStatus(status('operator', ['devices', 'drafts']))
    await typeAndLeave('pending')
    expect(fake.pending('devices:saveDraft')).toHaveLength(1)
    fake.calls.length = 0
    await withStatus(status('viewer', ['devices']))
    await typeAndLeave('pending')
    expect(fake.pending('devices:saveDraft')).toHaveLength(1)
  })

  it('is not written after a refused save of a viewer who shares drafts', async () => {
    await withStatus(status('viewer', ['devices', 'drafts']))
    const doc = new ConfigDocument({ typeId: 't', deviceId: '1' }, '{}\n', false)
    doc.edited('{"a":1}\n')
    const saving = doc.save()
    await settle()
    fake.answer('devices:saveConfig', { ok: false, error: { code: 'FORBIDDEN', message: 'viewers may only read' } })
    expect(await saving).toBeNull()
    await settle()
    expect(fake.pending('devices:saveDraft')).toHaveLength(0)
  })
})
