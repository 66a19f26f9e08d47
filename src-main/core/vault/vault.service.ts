/**
 * What the bridge may do with secrets: set, replace, clear and ask "is it set". There is deliberately no
 * read here and no `vault:getSecret` channel: a secret goes from the renderer into the keychain and comes
 * out again only through `readSecret`, inside the core, to the network client that needs it.
 */
import type { Output } from '../../../src-shared/contract'
import type { ErrorInfo } from '../../../src-shared/contract'
import { toErrorInfo } from '../common/errors'
import { secretAccount, type SecretStore } from './secret-store'

/** One audit record; the caller adds who and when. `target` is the account, never the value. */
export interface VaultAuditEntry {
  action: 'vault.set' | 'vault.replace' | 'vault.clear'
  target: string
  outcome: 'ok' | 'failed'
  /** Why it failed, translatable; never the value. */
  error?: ErrorInfo
  /** A clear of a secret that was not set (Activity says so in the operator's language). */
  after?: { wasSet: 'no' }
}

/** `actor`: who asked (the call context's actor). */
export type VaultAudit = (entry: VaultAuditEntry, actor: string) => Promise<void>

export interface VaultService {
  setSecret(profileId: string, field: string, value: string, actor?: string): Promise<Output<'vault:setSecret'>>
  clearSecret(profileId: string, field: string, actor?: string): Promise<Output<'vault:clearSecret'>>
  isSet(profileId: string, field: string): Promise<Output<'vault:isSet'>>
}

/** Why a vault call failed, for the audit trail: the error as the renderer translates it, minus the secret. */
function failureInfo(e: unknown, secret?: string): ErrorInfo {
  const info = toErrorInfo(e)
  return secret ? (JSON.parse(JSON.stringify(info).split(JSON.stringify(secret).slice(1, -1)).join('[redacted]')) as ErrorInfo) : info
}

export function createVaultService(store: SecretStore, audit?: VaultAudit): VaultService {
  const record = async (entry: VaultAuditEntry, actor: string): Promise<void> => {
    await audit?.(entry, actor)
  }

  /** Audits a failure and rethrows the original error, even if the audit write fails too. */
  const failed = async (action: VaultAuditEntry['action'], target: string, actor: string, e: unknown, secret?: string): Promise<never> => {
    try {
      await record({ action, target, outcome: 'failed', error: failureInfo(e, secret) }, actor)
    } catch {
      // The keychain failure is what the operator must see; a second failure would hide it.
    }
    throw e
  }

  return {
    async setSecret(profileId, field, value, actor = 'operator') {
      const account = secretAccount(profileId, field)
      let replaced: boolean
      try {
        replaced = await store.set(account, value)
      } catch (e) {
        return failed('vault.set', account, actor, e, value)
      }
      await record({ action: replaced ? 'vault.replace' : 'vault.set', target: account, outcome: 'ok' }, actor)
      return { replaced }
    },

    async clearSecret(profileId, field, actor = 'operator') {
      const account = secretAccount(profileId, field)
      let cleared: boolean
      try {
        cleared = await store.clear(account)
      } catch (e) {
        return failed('vault.clear', account, actor, e)
      }
      const entry: VaultAuditEntry = { action: 'vault.clear', target: account, outcome: 'ok' }
      await record(cleared ? entry : { ...entry, after: { wasSet: 'no' } }, actor)
      return { cleared }
    },

    async isSet(profileId, field) {
      return { set: await store.has(secretAccount(profileId, field)) }
    },
  }
}

/** For network clients inside the core. Not bridged: see the note at the top of this file. */
export function readSecret(store: SecretStore, profileId: string, field: string): Promise<string | null> {
  return store.get(secretAccount(profileId, field))
}
