/**
 * The role gate (src-main/core/sync/role-gate.ts) on a recording stand-in for the workspace: which writes it lets
 * through for each role, and that a refusal is a rejected promise that wrote nothing.
 */
import { describe, expect, it } from 'vitest'
import { createRoleGate, gateWrites } from '../../src-main/core/sync/role-gate'
import type { Db } from '../../src-main/core/store/documents'

/** The workspace's writes as the gate sees them (documents of any shape: the gate reads their ids only). */
interface Writes {
  put(doc: { _id: string }): Promise<unknown>
  bulkDocs(docs: { _id: string }[], options?: { new_edits?: boolean }): Promise<unknown>
  remove(id: string, rev: string): Promise<unknown>
  get(id: string): Promise<unknown>
  name: string
}
const gatedWrites = (db: Db, gate: ReturnType<typeof createRoleGate>): Writes => gateWrites(db, gate) as unknown as Writes

function recorder() {
  const calls: string[] = []
  const db = {
    name: 'workspace',
    put: async (doc: { _id: string }) => calls.push(`put ${doc._id}`),
    bulkDocs: async (docs: { _id: string }[], options?: { new_edits?: boolean }) => calls.push(`bulk ${docs.map((d) => d._id).join(',')}${options?.new_edits === false ? ' replicated' : ''}`),
    remove: async (doc: { _id: string } | string) => calls.push(`remove ${typeof doc === 'string' ? doc : doc._id}`),
    get: async (id: string) => ({ _id: id }),
  }
  return { db: db as unknown as Db, calls }
}

describe('role gate', () => {
  it('lets everything through while no role is known, and for an administrator', async () => {
    const gate = createRoleGate()
    const { db, calls } = recorder()
    const gated = gatedWrites(db, gate)
    await gated.put({ _id: 'device:t:1' })
    gate.set('administrator', [])
    await gated.bulkDocs([{ _id: 'profile:jasper:a' }])
    expect(calls).toEqual(['put device:t:1', 'bulk profile:jasper:a'])
  })

  it("refuses a viewer's changes to the groups the server refuses, writing nothing of the batch", async () => {
    const gate = createRoleGate()
    gate.set('viewer', ['devices', 'profiles', 'packages', 'audit', 'teamSettings', 'drafts', 'caches'])
    const { db, calls } = recorder()
    const gated = gatedWrites(db, gate)
    const refusal = { code: 'FORBIDDEN', details: { ref: { key: 'sync.role.notSaved.viewer' } } }
    await expect(gated.put({ _id: 'device:t:1' })).rejects.toMatchObject(refusal)
    await expect(gated.bulkDocs([{ _id: 'settings' }, { _id: 'draft:t:1' }])).rejects.toMatchObject(refusal)
    await expect(gated.remove('package:p', '1-a')).rejects.toMatchObject(refusal)
    await expect(gated.put({ _id: 'mail:settings' })).rejects.toMatchObject(refusal)
    expect(calls).toEqual([])
    // What the core writes on its own, what is not shared, and the sync's replicated revisions pass.
    await gated.bulkDocs([{ _id: 'cache:jasper:a:sim:1' }, { _id: 'audit:2026:1' }, { _id: 'settings' }])
    await gated.bulkDocs([{ _id: 'device:t:1' }], { new_edits: false })
    expect(calls).toEqual(['bulk cache:jasper:a:sim:1,audit:2026:1,settings', 'bulk device:t:1 replicated'])
    // Reads are the workspace's own.
    expect(await gated.get('device:t:1')).toEqual({ _id: 'device:t:1' })
    expect(gated.name).toBe('workspace')
  })

  it("refuses an operator's changes to profiles and team settings only", async () => {
    const gate = createRoleGate()
    gate.set('operator', ['profiles', 'teamSettings'])
    const { db, calls } = recorder()
    const gated = gatedWrites(db, gate)
    await gated.put({ _id: 'device:t:1' })
    await expect(gated.put({ _id: 'profile:jasper:a' })).rejects.toMatchObject({ code: 'FORBIDDEN', details: { ref: { key: 'sync.role.notSaved.operator' } } })
    await expect(gated.put({ _id: 'invitation:x' })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    gate.set(null, [])
    await gated.put({ _id: 'profile:jasper:a' })
    expect(calls).toEqual(['put device:t:1', 'put profile:jasper:a'])
  })
})
