/**
 * In-process stores for tests: they let the bridge, the services and the network clients be exercised
 * without an OS keychain. Never a fallback for a missing keychain in the app.
 */
import { vaultUnavailable } from './keytar.store'
import type { SecretStore } from './secret-store'

export function createMemoryStore(): SecretStore {
  const values = new Map<string, string>()
  return {
    async set(account, value) {
      // Same rule as keytar, so a test on this store cannot pass with a value the real one would refuse.
      if (!account || !value) throw new Error('Secret account and value must not be empty')
      const replaced = values.has(account)
      values.set(account, value)
      return replaced
    },
    async get(account) {
      return values.get(account) ?? null
    },
    async clear(account) {
      return values.delete(account)
    },
    async has(account) {
      return values.has(account)
    },
  }
}

/** A machine without a usable keychain: every call fails with VAULT_UNAVAILABLE, as the real store does. */
export function createUnavailableStore(reason = 'no keychain on this machine', platform: NodeJS.Platform = process.platform): SecretStore {
  const fail = async (): Promise<never> => {
    throw vaultUnavailable(reason, platform)
  }
  return { set: fail, get: fail, clear: fail, has: fail }
}
