/**
 * The vault of one open workspace: the SecretStore every service of the core is given, naming this workspace's
 * keychain entries (vault/workspace-names.ts), and, once per workspace, the move of its entries from the legacy names.
 * It stands beside app.ts because only here is every kind of document that refers to a secret known.
 */
import { storageProblemError } from './common/storage-errors'
import type { Logger } from './log/logger'
import { listTargets } from './ledger/ledger.store'
import { MAIL_SETTINGS_ID } from './mail/mail.store'
import { getOrNull, type BaseDoc, type Db } from './store/documents'
import { listProfiles } from './store/profiles.store'
import { listTrashDocs } from './store/trash.store'
import type { Workspace } from './store/workspace'
import { readSyncSettings, syncSecretAccount } from './sync/sync.store'
import { afterMove, copyWorkspaceSecrets, legacyReader, moveLegacySecrets, workspaceStore } from './vault/workspace-names'
import { secretAccount, type SecretStore } from './vault/secret-store'
import { WEATHER_SETTINGS_ID } from './weather/weather.store'

/** `_local/vault-move`: that this workspace's legacy keychain entries were moved, so the move runs once. */
export const VAULT_MOVE_ID = '_local/vault-move'

interface MoveRecord {
  _id: typeof VAULT_MOVE_ID
  movedAt: string
  /** Entries copied to the workspace's names (already there, or not in the keychain: not counted). */
  moved: number
}

/** `_local/vault-copy`: that a copied workspace's entries were copied from the original's id (`from`), so it runs once. */
export const VAULT_COPY_ID = '_local/vault-copy'

interface CopyRecord {
  _id: typeof VAULT_COPY_ID
  _rev?: string
  from: string
  copiedAt: string
  copied: number
}

interface SecretOwner extends BaseDoc {
  secretFields?: string[]
}

/**
 * Every account the workspace's documents say holds a secret, legacy names. A document's secrets are
 * `<its id>/<field>` for each of its `secretFields` (profiles, ledger targets, the email and weather settings, and the
 * profiles the trash can bring back); team sync's are `sync/<field>`.
 */
async function referencedAccounts(db: Db): Promise<string[]> {
  const owners: SecretOwner[] = [...(await listProfiles(db)), ...(await listTargets(db))]
  for (const id of [MAIL_SETTINGS_ID, WEATHER_SETTINGS_ID]) {
    const doc = await getOrNull<SecretOwner>(db, id)
    if (doc) owners.push(doc)
  }
  for (const entry of await listTrashDocs(db)) owners.push(...(entry.docs as SecretOwner[]))
  const sync = await readSyncSettings(db)
  return [...owners.flatMap((doc) => (doc.secretFields ?? []).map((field) => secretAccount(doc._id, field))), ...(sync?.secretFields ?? []).map(syncSecretAccount)]
}

async function moveRecorded(db: Db): Promise<boolean> {
  return (await getOrNull(db, VAULT_MOVE_ID)) !== null
}

/**
 * The store the services of this workspace are given. A workspace that has moved uses its own names. One that has not
 * moves now; when the keychain (or the record's write) fails, it opens all the same and the move is tried again at
 * the first use of a secret. A read-only workspace that has not moved, and cannot record a move, reads the legacy
 * names and refuses changes.
 */
export async function openWorkspaceVault(workspace: Workspace, keychain: SecretStore, logger: Logger): Promise<SecretStore> {
  const { db, id: workspaceId, readOnly } = workspace
  // Outside a read-only copy, a workspace is without an id only because its disk was full when it first opened.
  const refusal = () => storageProblemError(readOnly ?? 'full', workspace.dataDir)
  if (workspaceId === null) return legacyReader(keychain, refusal)
  const own = workspaceStore(keychain, workspaceId)
  const original = workspace.copiedFrom
  // A copy of a copy holds its original's record: the entries are copied again, from the id this copy had.
  const copyRecord = original ? await getOrNull<CopyRecord & BaseDoc>(db, VAULT_COPY_ID) : null
  const copyDue = original !== null && copyRecord?.from !== original.id
  const moveDue = !(await moveRecorded(db))
  if (!copyDue && !moveDue) return own
  if (readOnly) return legacyReader(keychain, refusal)

  // A copy's entries first (the original's, under the id the copy had), then any legacy ones; neither overwrites.
  const prepare = async (): Promise<void> => {
    const record = await getOrNull<CopyRecord & BaseDoc>(db, VAULT_COPY_ID)
    if (copyDue && record?.from !== original.id) {
      const copied = await copyWorkspaceSecrets(keychain, original.id, workspaceId, await referencedAccounts(db))
      const rev = record?._rev
      await (db as unknown as PouchDB.Database<CopyRecord>).put({ _id: VAULT_COPY_ID, ...(rev ? { _rev: rev } : {}), from: original.id, copiedAt: new Date().toISOString(), copied })
      logger.info({ copied, from: original.path }, "the copied workspace's keychain entries were copied to its own names")
    }
    if (moveDue && !(await moveRecorded(db))) {
      const moved = await moveLegacySecrets(keychain, workspaceId, await referencedAccounts(db))
      // Recorded after the copies: a crash between them copies nothing twice (an entry already moved is skipped).
      await (db as unknown as PouchDB.Database<MoveRecord>).put({ _id: VAULT_MOVE_ID, movedAt: new Date().toISOString(), moved })
      if (moved > 0) logger.info({ moved }, "the workspace's keychain entries were moved to its own names")
    }
  }
  try {
    await prepare()
    return own
  } catch (e) {
    // The workspace opens all the same; its secrets wait for the copy or move, tried again at their first use.
    logger.warn({ err: e }, "the workspace's keychain entries could not be moved to its own names yet")
    return afterMove(own, prepare)
  }
}
