import { beforeEach, describe, expect, it, vi } from 'vitest'
import { refusedShares, type SyncStatus } from '../../src-shared/models/sync'
import { ok, settle } from './fake-api'
import { api as fake } from './mocked-api'
import { STOPPED } from './sync-status'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { allowed, gated, gatedBy, joinIds, newRefusals, ROLE_NOTE_ID } = await import('../../src-renderer/src/lib/state/role-gate.svelte')
const { teamSyncStatus } = await import('../../src-renderer/src/lib/state/team-sync.svelte')

const SHARES = ['devices', 'profiles', 'packages', 'audit', 'teamSettings'] as const

function status(role: SyncStatus['role'], extra: Partial<SyncStatus> = {}): SyncStatus {
  return { ...STOPPED, role, roleAsOf: role ? '2026-12-05T08:00:00.000Z' : null, refused: refusedShares(role, SHARES), ...extra }
}

beforeEach(() => {
  fake.calls.length = 0
})

describe('what each role may change, as the server validates it', () => {
  it('refuses a viewer every shared group, an operator only profiles and team settings, an administrator nothing', () => {
    expect(refusedShares('viewer', SHARES)).toEqual(['devices', 'profiles', 'packages', 'audit', 'teamSettings'])
    expect(refusedShares('operator', SHARES)).toEqual(['profiles', 'teamSettings'])
    expect(refusedShares('administrator', SHARES)).toEqual([])
    expect(refusedShares(null, SHARES)).toEqual([])
    // A group this computer does not share never reaches the server, which therefore refuses nothing of it.
    expect(refusedShares('viewer', ['audit'])).toEqual(['audit'])
  })
})

describe('role-gated controls', () => {
  it('turns a control off and describes it by the role note only when the role may not change its group', () => {
    const viewer = status('viewer')
    expect(gatedBy(viewer, 'devices')).toEqual({ disabled: true, 'aria-describedby': ROLE_NOTE_ID })
    expect(gatedBy(viewer, 'packages', false, 'help')).toEqual({ disabled: true, 'aria-describedby': `help ${ROLE_NOTE_ID}` })
    const operator = status('operator')
    expect(gatedBy(operator, 'devices')).toEqual({ disabled: false, 'aria-describedby': undefined })
    expect(gatedBy(operator, 'profiles')).toEqual({ disabled: true, 'aria-describedby': ROLE_NOTE_ID })
    expect(gatedBy(operator, 'teamSettings', false, 'title')).toEqual({ disabled: true, 'aria-describedby': `title ${ROLE_NOTE_ID}` })
    // Its own reasons to be off stay, and a control with no group is never gated.
    expect(gatedBy(status('administrator'), 'devices', true, 'help')).toEqual({ disabled: true, 'aria-describedby': 'help' })
    expect(gatedBy(viewer, undefined, false)).toEqual({ disabled: false, 'aria-describedby': undefined })
    expect(gatedBy(null, 'devices')).toEqual({ disabled: false, 'aria-describedby': undefined })
    expect(joinIds(undefined, '', null)).toBeUndefined()
  })

  it('follows the status the core reads and pushes: the remembered role at load, a changed role when the sync restarts', async () => {
    void teamSyncStatus.load()
    fake.answer('sync:status', ok(status('viewer')))
    await settle()
    expect(gated('devices').disabled).toBe(true)
    expect(allowed('packages')).toBe(false)
    fake.emit('sync:status', status('operator', { state: 'syncing' }))
    expect(gated('devices').disabled).toBe(false)
    expect(allowed('packages')).toBe(true)
    expect(gated('profiles')).toEqual({ disabled: true, 'aria-describedby': ROLE_NOTE_ID })
    fake.emit('sync:status', status('administrator', { state: 'live' }))
    expect(gated('profiles').disabled).toBe(false)
  })

  it('names the refusals that arrived since the last status, once, and none at the first status or after a clear', () => {
    const first = status('viewer', { denied: [{ id: 'device:a:1', reason: 'viewers may only read', at: 't1' }], deniedTotal: 1 })
    expect(newRefusals(null, first)).toEqual([])
    const next = status('viewer', {
      denied: [{ id: 'package:b', reason: 'viewers may only read', at: 't3' }, { id: 'device:a:2', reason: 'viewers may only read', at: 't2' }, ...first.denied],
      deniedTotal: 3,
    })
    expect(newRefusals(first, next).map((d) => d.id)).toEqual(['package:b', 'device:a:2'])
    expect(newRefusals(next, next)).toEqual([])
    expect(newRefusals(next, status('viewer'))).toEqual([])
  })
})
