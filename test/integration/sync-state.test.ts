/**
 * The team-sync state's read-modify-write on a real workspace: a change that finds nothing to do writes nothing, and
 * the decision rests on the same read as the write, so two writers racing on one refusal count it once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { readSyncState, SYNC_STATE_ID, UNCHANGED, updateSyncState } from '../../src-main/core/sync/sync.store'
import type { SyncStateDoc } from '../../src-main/core/sync/sync.store'
import { tempDir } from '../helpers/core'

let workspace: Workspace
let cleanup: () => Promise<void>

beforeEach(async () => {
  const dir = await tempDir('fieldline-sync-state-')
  cleanup = dir.cleanup
  workspace = await openWorkspace(dir.dir)
})

afterEach(async () => {
  await workspace.close()
  await cleanup()
})

/** What recordDenied does: one refusal per revision, decided on the state it is about to write. */
function refuse(id: string, rev: string) {
  return (s: SyncStateDoc) => {
    if (s.denied.find((d) => d.id === id)?.rev === rev) return UNCHANGED
    s.denied = [{ id, rev, reason: 'viewers may only read', at: new Date(0).toISOString() }, ...s.denied.filter((d) => d.id !== id)]
    s.deniedTotal++
  }
}

describe('the sync state update', () => {
  it('writes nothing when the change says there is nothing to write, and returns the state as read', async () => {
    await updateSyncState(workspace.db, refuse('device:a', '1-x'))
    const before = (await workspace.db.get(SYNC_STATE_ID)) as { _rev: string }
    const put = vi.spyOn(workspace.db, 'put')
    const get = vi.spyOn(workspace.db, 'get')

    const again = await updateSyncState(workspace.db, refuse('device:a', '1-x'))

    expect(again.written).toBe(false)
    expect(again.state.deniedTotal).toBe(1)
    expect(put).not.toHaveBeenCalled()
    expect(get).toHaveBeenCalledTimes(1)
    expect(((await workspace.db.get(SYNC_STATE_ID)) as { _rev: string })._rev).toBe(before._rev)
  })

  it('counts one refusal once when two writers race on it, and a new revision of it again', async () => {
    const results = await Promise.all([updateSyncState(workspace.db, refuse('device:a', '1-x')), updateSyncState(workspace.db, refuse('device:a', '1-x'))])

    expect(results.map((r) => r.written).sort()).toEqual([false, true])
    expect((await readSyncState(workspace.db)).deniedTotal).toBe(1)

    expect((await updateSyncState(workspace.db, refuse('device:a', '2-y'))).written).toBe(true)
    const state = await readSyncState(workspace.db)
    expect(state.deniedTotal).toBe(2)
    expect(state.denied.map((d) => d.rev)).toEqual(['2-y'])
  })
})
