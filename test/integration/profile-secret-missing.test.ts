/**
 * A secret removed from the OS keychain outside Fieldline (the system's keychain manager) while the profile's document
 * still names it: the document says "set", and the card believed it. The bridge's one question about a secret,
 * vault:isSet (yes or no, never a value), asked with the profile's document id as the renderer asks it
 * (profileDocId), answers from the keychain: missing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { profileDocId } from '../../src-shared/models/profiles'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import type { SecretStore } from '../../src-main/core/vault/secret-store'
import { tempDir, testCore } from '../helpers/core'

/** The memory keychain, with the accounts written to it, so a test can delete an entry as a keychain manager would. */
function keychain(): SecretStore & { accounts: Set<string> } {
  const store = createMemoryStore()
  const accounts = new Set<string>()
  return {
    ...store,
    accounts,
    async set(account, value) {
      accounts.add(account)
      return store.set(account, value)
    },
  }
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

describe('a profile secret the keychain no longer holds', () => {
  it('is named by the document but answered missing by vault:isSet; the others stay set', async () => {
    const { dir, cleanup } = await tempDir()
    const store = keychain()
    const core = await testCore(dir, { vault: store })
    cleanups.push(async () => {
      await core.close()
      await cleanup()
    })
    const saved = await core.call('profiles:save', {
      extension: 'jasper',
      name: 'Ops',
      settings: { baseUrl: 'https://cc.example.com', username: 'ops' },
      secrets: { apiKey: 'api-key-1', password: 'pw-1', licenseKey: 'lk-1' },
    })
    const profileId = profileDocId('jasper', saved.id)
    expect(await core.call('vault:isSet', { profileId, field: 'apiKey' })).toEqual({ set: true })

    const apiKeyEntry = [...store.accounts].find((a) => a.endsWith(`${profileId}/apiKey`))
    expect(apiKeyEntry).toBeDefined()
    expect(await store.clear(apiKeyEntry!)).toBe(true)

    const [listed] = (await core.call('profiles:list', { extension: 'jasper' })).items
    expect(listed?.secrets).toMatchObject({ apiKey: true })
    expect(await core.call('vault:isSet', { profileId, field: 'apiKey' })).toEqual({ set: false })
    expect(await core.call('vault:isSet', { profileId, field: 'password' })).toEqual({ set: true })
    expect(await core.call('vault:isSet', { profileId, field: 'licenseKey' })).toEqual({ set: true })
  })
})
