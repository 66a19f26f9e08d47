/**
 * Resolving a replication conflict with the operator's own merge (Conflicts → "Merge in the editor"): one write puts
 * the merged content on the winner's branch, deletes every other leaf and carries its audit entry; a merge that is not
 * JSON, not an object, or names another document or kind is refused and changes nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ErrorInfo } from '../../src-shared/contract'
import { rejection, tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

const ID = 'device:meter:m-1'

describe('sync:resolve with a merge', () => {
  let core: TestCore
  let cleanup: () => Promise<void>

  beforeEach(async () => {
    let dir: string
    ;({ dir, cleanup } = await tempDir())
    core = await testCore(dir)
    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-1', description: 'base' })
    // Two branches made apart, as replication delivers them.
    const base = (await core.workspace.db.get(ID)) as unknown as Record<string, unknown> & { _rev: string }
    const root = base._rev.split('-')[1]!
    const branch = (hash: string, description: string) => ({ ...base, description, _rev: `2-${hash}`, _revisions: { start: 2, ids: [hash, root] } })
    await core.workspace.db.bulkDocs([branch('aaaa', 'mine'), branch('bbbb', 'theirs')] as never, { new_edits: false })
  })

  afterEach(async () => {
    await core.close()
    await cleanup()
  })

  it('writes the merge over the winner, removes every other version and audits it in the same write', async () => {
    const [conflict] = (await core.call('sync:conflicts', {})).items
    expect(conflict!.versions.map((v) => v.rev).sort()).toEqual(['2-aaaa', '2-bbbb'])
    const merged = { ...conflict!.versions[0]!.doc, description: 'merged by hand', _rev: 'ignored', _conflicts: ['ignored'] }

    const result = await core.call('sync:resolve', { id: ID, keep: { merged: JSON.stringify(merged) } })
    expect(result.removed.sort()).toEqual(['2-aaaa', '2-bbbb'])
    expect(result.rev).toMatch(/^3-/)
    const doc = (await core.workspace.db.get(ID, { conflicts: true })) as unknown as { description: string; _conflicts?: string[]; _rev: string }
    expect(doc.description).toBe('merged by hand')
    expect(doc._conflicts).toBeUndefined()
    expect(doc._rev).toBe(result.rev)
    expect((await core.call('sync:conflicts', {})).total).toBe(0)
    const trail = await core.call('audit:list', { query: 'sync.resolve', offset: 0, limit: 10 })
    expect(trail.items[0]).toMatchObject({ action: 'sync.resolve', target: ID, outcome: 'ok', after: { side: 'merge' } })
  })

  it.each([
    ['not JSON', '{"kind": "device",', 'sync.mergeNotJson'],
    ['not an object', '[1, 2]', 'sync.mergeNotObject'],
    ['another kind', '{"kind": "package"}', 'sync.mergeOtherDocument'],
    ['another document', JSON.stringify({ _id: 'device:meter:other', kind: 'device' }), 'sync.mergeOtherDocument'],
  ])('refuses a merge that is %s, with a translated reason, and changes nothing', async (_what, text, key) => {
    const before = await core.workspace.db.get(ID, { conflicts: true })
    const error = await rejection(core.call('sync:resolve', { id: ID, keep: { merged: text } }))
    expect((error as unknown as { bridge: ErrorInfo }).bridge).toMatchObject({ code: 'VALIDATION', details: { ref: { key } } })
    expect(await core.workspace.db.get(ID, { conflicts: true })).toEqual(before)
    expect((await core.call('audit:list', { query: 'sync.resolve', offset: 0, limit: 10 })).total).toBe(0)
  })
})
