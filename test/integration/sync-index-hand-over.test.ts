/**
 * A first sync's pulled batch goes to the device index only when it is provably the workspace's state over an exact
 * span of sequences (src-main/core/sync/index-hand-over.ts): written alone, and each revision its document's winner.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { BaseDoc } from '../../src-main/core/store/documents'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { handingOver } from '../../src-main/core/sync/index-hand-over'
import { tempDir } from '../helpers/core'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function workspace(): Promise<Workspace> {
  const { dir, cleanup } = await tempDir('fieldline-hand-over-')
  const ws = await openWorkspace(dir)
  cleanups.push(async () => {
    await ws.close()
    await cleanup()
  })
  return ws
}

/** A replicated revision as the replicator writes it (new_edits: false). */
function pulled(id: string, rev: string, description: string): BaseDoc & { _rev: string } {
  const [start, hash] = rev.split('-') as [string, string]
  return { _id: id, _rev: rev, _revisions: { start: Number(start), ids: [hash] }, kind: 'device', schemaVersion: 1, description } as never
}

describe('handing pulled batches to the device index', () => {
  it('hands over a batch written alone with the sequences around it', async () => {
    const ws = await workspace()
    const handed: { ids: string[]; span: { before: number; after: number } }[] = []
    const target = handingOver(
      ws.db,
      async (docs, span) => void handed.push({ ids: docs.map((d) => d._id), span }),
      () => undefined,
    )
    const before = Number((await ws.db.info()).update_seq)
    await (target.bulkDocs as unknown as (r: object) => Promise<unknown>)({ docs: [pulled('device:t:1', '1-aa', 'one'), pulled('device:t:2', '1-bb', 'two')], new_edits: false })
    expect(handed).toEqual([{ ids: ['device:t:1', 'device:t:2'], span: { before, after: before + 2 } }])
  })

  it('leaves to the feed a batch whose revision loses a conflict to this computer’s', async () => {
    const ws = await workspace()
    await ws.db.put({ _id: 'device:t:1', kind: 'device', schemaVersion: 1 } as never)
    const mine = await ws.db.get('device:t:1')
    await ws.db.put({ ...mine, description: 'mine, second revision' } as never)
    const handed: string[][] = []
    const target = handingOver(
      ws.db,
      async (docs) => void handed.push(docs.map((d) => d._id)),
      () => undefined,
    )
    // A teammate's first revision: a branch of its own, which loses to this computer's second revision.
    await (target.bulkDocs as unknown as (r: object) => Promise<unknown>)({ docs: [pulled('device:t:1', '1-ffff', 'theirs')], new_edits: false })
    expect((await ws.db.get('device:t:1', { conflicts: true }))._conflicts).toEqual(['1-ffff'])
    expect(handed).toEqual([])
  })
})
