import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { ControlCenterProfile } from '../../src-shared/models/profiles'
import { ok, refused, settle } from './fake-api'
import { api as fake } from './mocked-api'
import { STOPPED } from './sync-status'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { teamSyncStatus, teamSyncSettings, teamSyncConflicts, teamSyncNamesakes } = await import('../../src-renderer/src/lib/state/team-sync.svelte')

beforeEach(() => {
  fake.calls.length = 0
})

function controlCenter(id: string, extension: ControlCenterProfile['extension'], name: string): ControlCenterProfile {
  const at = '2026-12-07T20:00:00.000Z'
  const settings = { baseUrl: 'https://cc.example', username: 'ops', concurrency: 1, perSecond: 5 }
  return { id, name, extension, isDefault: true, createdAt: at, updatedAt: at, settings, secrets: { apiKey: true, password: false, licenseKey: false } }
}

describe('team sync state in the renderer', () => {
  it("takes the core's status pushes as they are, with no read back", async () => {
    void teamSyncStatus.load()
    fake.answer('sync:status', ok(STOPPED))
    await settle()
    expect(teamSyncStatus.status?.state).toBe('stopped')
    fake.emit('sync:status', { ...STOPPED, state: 'offline', reason: { code: 'NETWORK', message: 'The sync server cannot be reached: ECONNREFUSED' } })
    expect(teamSyncStatus.status).toMatchObject({ state: 'offline', reason: { code: 'NETWORK' } })
    expect(fake.pending('sync:status')).toEqual([])
    // A conflict appearing makes it read again.
    fake.emit('sync:conflicts', { total: 1 })
    expect(fake.pending('sync:status')).toHaveLength(1)
    fake.answer('sync:status', ok({ ...STOPPED, state: 'live' }))
    await settle()
    expect(teamSyncStatus.status?.state).toBe('live')
  })

  it('shows the answer of start and stop, and keeps the last good status when starting is refused', async () => {
    const starting = teamSyncStatus.start()
    fake.answer('sync:start', ok({ ...STOPPED, state: 'syncing' }))
    expect((await starting).ok).toBe(true)
    expect(teamSyncStatus.status?.state).toBe('syncing')
    const refusedStart = teamSyncStatus.start()
    fake.answer('sync:start', refused('VALIDATION', 'Team sync is not set up'))
    expect((await refusedStart).ok).toBe(false)
    expect(teamSyncStatus.status?.state).toBe('syncing')
  })

  it('saves the settings and shows what the core answered, never a secret', async () => {
    const saving = teamSyncSettings.save({ url: 'https://couch.example.com', database: 'team', username: 'ops', secrets: { password: 'pw' } })
    expect(fake.pending('sync:saveSettings')[0]?.input).toMatchObject({ secrets: { password: 'pw' } })
    const view = {
      configured: true,
      url: 'https://couch.example.com',
      database: 'team',
      auth: 'basic' as const,
      username: 'ops',
      iamUrl: 'https://iam.cloud.ibm.com',
      shares: ['devices' as const],
      autoStart: false,
      secrets: { password: true, apiKey: false },
      updatedAt: '2026-12-04T00:00:00Z',
    }
    fake.answer('sync:saveSettings', ok({ ...view, unchecked: null }))
    await saving
    expect(teamSyncSettings.view).toEqual(view)
  })

  it('is read-only exactly while the server gives this user the viewer role', async () => {
    fake.emit('sync:status', { ...STOPPED, state: 'live', role: 'operator' })
    expect(teamSyncStatus.readOnly).toBe(false)
    fake.emit('sync:status', { ...STOPPED, state: 'live', role: 'viewer' })
    expect(teamSyncStatus.readOnly).toBe(true)
    fake.emit('sync:status', { ...STOPPED, role: null })
    expect(teamSyncStatus.readOnly).toBe(false)
  })

  it('reads the conflicts again when the core says they changed (one pulled from another computer) and after a resolution', async () => {
    const conflict = { id: 'device:meter:m-1', kind: 'device', versions: [] }
    void teamSyncConflicts.load()
    fake.answer('sync:conflicts', ok({ items: [conflict], total: 1 }))
    await settle()
    expect(teamSyncConflicts.list?.total).toBe(1)
    fake.emit('sync:conflicts', { total: 0 })
    fake.answer('sync:conflicts', ok({ items: [], total: 0 }))
    await settle()
    expect(teamSyncConflicts.list?.total).toBe(0)

    const resolving = teamSyncConflicts.resolve({ id: conflict.id, keep: { merged: '{"kind": "device"}' } })
    fake.answer('sync:resolve', ok({ id: conflict.id, rev: '3-c', removed: ['2-a', '2-b'] }))
    expect((await resolving).ok).toBe(true)
    expect(fake.pending('sync:conflicts')).toHaveLength(1)
  })

  it('lists the profiles of one kind that share a name, which a sync brings as two profiles and no conflict, and reads them again when profiles change', async () => {
    void teamSyncNamesakes.load()
    const nord = controlCenter('jasper-nord-f69f', 'jasper', 'Jasper Nord')
    const teammates = controlCenter('jasper-nord-3a7c', 'jasper', 'jasper nord ')
    const atnt = controlCenter('nord', 'atnt', 'Jasper Nord')
    fake.answer('profiles:list', ok({ items: [nord, atnt, teammates] }))
    await settle()
    expect(teamSyncNamesakes.groups).toEqual([[nord, teammates]])
    fake.emit('profiles:changed', { extension: 'jasper' })
    fake.answer('profiles:list', ok({ items: [nord, atnt, { ...teammates, name: 'Jasper Sud' }] }))
    await settle()
    expect(teamSyncNamesakes.groups).toEqual([])
  })
})
