/**
 * The workspace's view of the keychain (core/workspace-vault.ts) on the in-memory keychain: a new workspace takes no
 * legacy entry its documents do not name, its own entry wins over a legacy one, and a read-only workspace that could
 * not record its move (or a full disk kept from storing its id) reads the legacy names and refuses changes with a
 * translated error. The keychain-backed cases (two workspaces, the move, a refusing keychain) are in
 * vault-keyring.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { workspaceAccount } from '../../src-main/core/vault/workspace-names'
import { openWorkspaceVault, VAULT_MOVE_ID } from '../../src-main/core/workspace-vault'
import { rejection, silentLogger, tempDir, testCore } from '../helpers/core'

const settings = { baseUrl: 'https://cc.example.com', username: 'ops' }

describe("a workspace's keychain names", () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  async function dataDir(): Promise<string> {
    const t = await tempDir()
    cleanups.push(t.cleanup)
    return t.dir
  }

  it('takes none of the legacy entries its documents do not name', async () => {
    const keychain = createMemoryStore()
    await keychain.set('profile:atnt:prod/apiKey', 'another-workspace-key')
    const core = await testCore(await dataDir(), { vault: keychain })
    cleanups.push(() => core.close())
    expect(await core.workspace.db.get(VAULT_MOVE_ID)).toMatchObject({ moved: 0 })
    expect(await core.vault.has('profile:atnt:prod/apiKey')).toBe(false)
    expect(await keychain.has(workspaceAccount(core.workspace.id!, 'profile:atnt:prod/apiKey'))).toBe(false)
    expect(await keychain.get('profile:atnt:prod/apiKey')).toBe('another-workspace-key')
  })

  it('keeps its own entry over a legacy one at the move', async () => {
    const keychain = createMemoryStore()
    const dir = await dataDir()
    const core = await testCore(dir, { vault: keychain })
    const { id } = await core.call('profiles:save', { extension: 'atnt', name: 'Prod', settings, secrets: { apiKey: 'own-key' } })
    const account = `profile:atnt:${id}/apiKey`
    await keychain.set(account, 'legacy-key')
    const record = await core.workspace.db.get(VAULT_MOVE_ID)
    await core.workspace.db.remove(record._id, record._rev)
    await core.close()
    const again = await testCore(dir, { vault: keychain })
    cleanups.push(() => again.close())
    expect(await again.workspace.db.get(VAULT_MOVE_ID)).toMatchObject({ moved: 0 })
    expect(await again.vault.get(account)).toBe('own-key')
  })

  it.each([
    ['a read-only workspace with no id yet', null, 'read-only', 'FORBIDDEN', 'errors.readOnlyData'],
    ['a read-only workspace with an id but no move', 'id', 'read-only', 'FORBIDDEN', 'errors.readOnlyData'],
    ['a workspace whose disk was full when its id was to be stored', null, null, 'DISK_FULL', 'errors.diskFull'],
  ] as const)('reads the legacy names of %s, and refuses changes with a translated error', async (_name, withId, readOnly, code, key) => {
    const keychain = createMemoryStore()
    await keychain.set('profile:atnt:prod/apiKey', 'legacy-key')
    const opened = await openWorkspace(await dataDir())
    cleanups.push(() => opened.close())
    const workspace: Workspace = { ...opened, id: withId === null ? null : opened.id, readOnly }
    const vault = await openWorkspaceVault(workspace, keychain, silentLogger)
    expect(await vault.get('profile:atnt:prod/apiKey')).toBe('legacy-key')
    expect(await vault.has('profile:atnt:prod/apiKey')).toBe(true)
    for (const change of [vault.set('profile:atnt:prod/apiKey', 'new-key'), vault.clear('profile:atnt:prod/apiKey')]) {
      expect((await rejection(change)).toInfo()).toMatchObject({ code, details: { ref: { key, params: { dir: opened.dataDir } } } })
    }
    expect(await keychain.get('profile:atnt:prod/apiKey')).toBe('legacy-key')
    await expect(opened.db.get(VAULT_MOVE_ID)).rejects.toMatchObject({ status: 404 })
  })
})
