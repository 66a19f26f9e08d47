/**
 * A command that needs no secret must not open the keychain: on a machine without a Secret Service (a headless laptop,
 * an SSH session) every keychain call is a D-Bus attempt that can only fail, and an operator listing devices has no
 * business waiting for it or being told about it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir, testCore } from '../helpers/core'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import type { SecretStore } from '../../src-main/core/vault/secret-store'

/** The store, and every account each call named, in order. */
function recording(inner: SecretStore): { store: SecretStore; calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    store: {
      set: (account, value) => (calls.push(`set ${account}`), inner.set(account, value)),
      get: (account) => (calls.push(`get ${account}`), inner.get(account)),
      clear: (account) => (calls.push(`clear ${account}`), inner.clear(account)),
      has: (account) => (calls.push(`has ${account}`), inner.has(account)),
    },
  }
}

describe('the keychain and commands that need no secret', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await cleanup?.()
    cleanup = undefined
  })

  it('a workspace holding saved secrets opens, lists its devices and profiles, and closes without a keychain call', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    const keychain = createMemoryStore()
    const first = await testCore(t.dir, { vault: keychain })
    await first.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: 'https://cc.example.com', username: 'ops' }, secrets: { apiKey: 'k-1' } })
    await first.close()

    const { store, calls } = recording(keychain)
    const core = await testCore(t.dir, { vault: store })
    try {
      expect((await core.call('devices:query', { offset: 0, limit: 10 })).items).toEqual([])
      expect((await core.call('profiles:list', { extension: 'jasper' })).items.map((p) => p.name)).toEqual(['Ops'])
    } finally {
      await core.close()
    }
    expect(calls).toEqual([])
  })

  it('the same workspace reads its secret from the keychain when a command does need it', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    const keychain = createMemoryStore()
    const first = await testCore(t.dir, { vault: keychain })
    const saved = await first.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: 'https://cc.example.com', username: 'ops' }, secrets: { apiKey: 'k-1' } })
    await first.close()

    const { store, calls } = recording(keychain)
    const core = await testCore(t.dir, { vault: store })
    try {
      expect(await core.call('vault:isSet', { profileId: `profile:jasper:${saved.id}`, field: 'apiKey' })).toEqual({ set: true })
    } finally {
      await core.close()
    }
    expect(calls.length).toBeGreaterThan(0)
  })
})
