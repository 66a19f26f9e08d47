/**
 * The vault secrets of a document that has left the workspace: a profile purged from the trash, or a shared document
 * a team-sync discard removed (sync.service.ts `discard`). A document's secrets are `<its id>/<field>` for each of its
 * `secretFields` (profiles, and the email and weather settings), in this workspace's keychain names.
 */
import type { Logger } from '../log/logger'
import { getOrNull, type BaseDoc, type Db } from '../store/documents'
import { listTrashDocs } from '../store/trash.store'
import { secretAccount, type SecretStore } from '../vault/secret-store'

export interface SecretOwner extends BaseDoc {
  secretFields?: string[]
}

/**
 * Clears them, unless a document lives again under the same id (restored, or saved anew: it owns those accounts now)
 * or a trash entry holds one that can still be restored. A keychain failure is logged, not thrown: the document is
 * gone already, and the operator's action (emptying the trash, discarding) did what it said.
 */
export async function clearRemovedSecrets(deps: { db: Db; vault: SecretStore; logger?: Logger }, doc: SecretOwner): Promise<void> {
  const fields = doc.secretFields ?? []
  if (fields.length === 0 || (await getOrNull(deps.db, doc._id))) return
  if ((await listTrashDocs(deps.db)).some((entry) => entry.docs.some((d) => d._id === doc._id))) return
  for (const field of fields) {
    const account = secretAccount(doc._id, field)
    try {
      await deps.vault.clear(account)
    } catch (e) {
      deps.logger?.warn({ err: e, account }, 'a removed document’s secret could not be removed from the keychain')
    }
  }
}
