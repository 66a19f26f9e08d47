/**
 * What a pulled batch left in conflict (conflictsAmong, run on every batch a sync pulls): the revisions that stand in
 * conflict, the ids that have none (a pulled deletion included), and one point read per document. PouchDB's
 * `allDocs({ keys })` opens a LevelDB iterator for every key, which made this the largest per-document cost of a first
 * pull on our side (test/bench/team-sync.bench.ts with BENCH_SYNC_PROFILE).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { conflictsAmong } from '../../src-main/core/sync/conflicts'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { tempDir } from '../helpers/core'

let ws: Workspace
let cleanup: () => Promise<void>

beforeEach(async () => {
  let dir: string
  ;({ dir, cleanup } = await tempDir())
  ws = await openWorkspace(dir)
})

afterEach(async () => {
  await ws.close()
  await cleanup()
})

describe('conflictsAmong', () => {
  it('names the pulled revisions that stand in conflict and settles the rest, deletions included, reading each document once by id', async () => {
    const db = ws.db
    const doc = (id: string, rev: string, extra: Record<string, unknown> = {}) => ({
      _id: id,
      _rev: rev,
      _revisions: { start: Number(rev.split('-')[0]), ids: [rev.split('-')[1]!] },
      kind: 'device',
      schemaVersion: 1,
      ...extra,
    })
    // device:a has two branches (mine and the pulled one), device:b only the pulled one, device:c was pulled deleted.
    await db.bulkDocs([doc('device:t:a', '1-aaaa'), doc('device:t:a', '1-bbbb'), doc('device:t:b', '1-cccc'), doc('device:t:c', '1-dddd', { _deleted: true })] as never, { new_edits: false })
    const allDocs = vi.spyOn(db, 'allDocs')
    const get = vi.spyOn(db, 'get')
    const pulled = [
      { _id: 'device:t:a', _rev: '1-bbbb' },
      { _id: 'device:t:b', _rev: '1-cccc' },
      { _id: 'device:t:c', _rev: '1-dddd' },
      { _id: 'device:t:b', _rev: '1-cccc' },
    ]
    const result = await conflictsAmong(db, pulled)
    expect(result.conflicted).toEqual([['device:t:a', '1-bbbb']])
    expect(result.settled.sort()).toEqual(['device:t:b', 'device:t:c'])
    expect(allDocs).not.toHaveBeenCalled()
    expect(get).toHaveBeenCalledTimes(3)
  })

  it('reads nothing for a batch without revisions', async () => {
    const get = vi.spyOn(ws.db, 'get')
    expect(await conflictsAmong(ws.db, [{ _id: 'device:t:a' }])).toEqual({ conflicted: [], settled: [] })
    expect(get).not.toHaveBeenCalled()
  })
})
