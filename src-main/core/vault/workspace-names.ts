/**
 * Keychain entries belong to one workspace. Every account a workspace uses is `<workspace id>/<account>` (the id is
 * the workspace's own, store/workspace-identity.ts), so two data folders on one computer holding a profile with the
 * same id (team sync copies profiles; an operator can make "prod" in both) keep their own secrets. Callers, the audit
 * trail and logs name accounts without the prefix: it is this computer's detail, not the workspace's.
 *
 * Before this, accounts had no prefix ("legacy" names). A workspace moves its legacy entries to its own names once
 * (`moveLegacySecrets`); the legacy entries themselves are left in the keychain, see there.
 */
import type { SecretStore } from './secret-store'

export function workspaceAccount(workspaceId: string, account: string): string {
  return `${workspaceId}/${account}`
}

/** The store as one workspace sees it: every account under the workspace's id. */
export function workspaceStore(keychain: SecretStore, workspaceId: string): SecretStore {
  const name = (account: string) => workspaceAccount(workspaceId, account)
  return {
    set: (account, value) => keychain.set(name(account), value),
    get: (account) => keychain.get(name(account)),
    clear: (account) => keychain.clear(name(account)),
    has: (account) => keychain.has(name(account)),
  }
}

/**
 * Copies each legacy entry the workspace refers to (`accounts`, legacy names) to the workspace's own name, unless the
 * workspace already has one there. All or nothing: when the keychain refuses part way, what this call wrote is cleared
 * again and the error is thrown, so a later try starts from the same keychain.
 *
 * The legacy entries stay. They were shared by every workspace on this computer, and another data folder that has not
 * been opened by this release yet still needs them for its own move; Fieldline cannot know which data folders exist
 * (they are wherever --data-dir pointed), so it can never tell that the last one has moved. They hold only what the
 * keychain held before the upgrade, are never read again by a workspace that has moved, and can be removed by hand
 * once every workspace has been opened (README, "Where secrets go").
 */
export function moveLegacySecrets(keychain: SecretStore, workspaceId: string, accounts: Iterable<string>): Promise<number> {
  return copySecrets(
    keychain,
    accounts,
    (account) => account,
    (account) => workspaceAccount(workspaceId, account),
  )
}

/**
 * Copies each entry of a copied data folder's workspace (`fromId`, the original's id, which the copy had until it took
 * its own) to the copy's names, unless the copy already has one there; the original's entries stay its own. All or
 * nothing, as the legacy move.
 */
export function copyWorkspaceSecrets(keychain: SecretStore, fromId: string, toId: string, accounts: Iterable<string>): Promise<number> {
  return copySecrets(
    keychain,
    accounts,
    (account) => workspaceAccount(fromId, account),
    (account) => workspaceAccount(toId, account),
  )
}

/** Each account's entry from one name to another, unless the second exists; what this call wrote is cleared on failure. */
async function copySecrets(keychain: SecretStore, accounts: Iterable<string>, from: (account: string) => string, to: (account: string) => string): Promise<number> {
  const written: string[] = []
  try {
    for (const account of new Set(accounts)) {
      const target = to(account)
      if (await keychain.has(target)) continue
      const value = await keychain.get(from(account))
      if (value === null) continue
      await keychain.set(target, value)
      written.push(target)
    }
    return written.length
  } catch (e) {
    for (const target of written) await keychain.clear(target).catch(() => undefined)
    throw e
  }
}

/**
 * A workspace whose move has not been recorded and cannot be now (its data folder is read-only or full): it reads its
 * secrets under the legacy names, which hold what it had before the upgrade, and refuses every change with `refusal`
 * (a change under either name would be undone or lost by the move at the next open that can record it).
 */
export function legacyReader(keychain: SecretStore, refusal: () => Error): SecretStore {
  const refuse = async (): Promise<never> => {
    throw refusal()
  }
  return { set: refuse, clear: refuse, get: (account) => keychain.get(account), has: (account) => keychain.has(account) }
}

/**
 * The workspace's store once `move` has succeeded: each call first tries the move again (one try at a time, shared by
 * the calls that wait for it) and fails with its error while it fails. For a workspace whose move failed at open (the
 * keychain refused): none of its secrets is read or changed until its legacy entries are where it looks for them.
 */
export function afterMove(store: SecretStore, move: () => Promise<void>): SecretStore {
  let done: Promise<void> | null = null
  const moved = (): Promise<void> =>
    (done ??= move().catch((e: unknown) => {
      done = null
      throw e
    }))
  return {
    set: async (account, value) => (await moved(), store.set(account, value)),
    get: async (account) => (await moved(), store.get(account)),
    clear: async (account) => (await moved(), store.clear(account)),
    has: async (account) => (await moved(), store.has(account)),
  }
}
