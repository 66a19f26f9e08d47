/**
 * This computer's team sync, in `_local` documents (never replicated, each machine has its own):
 *
 * - `_local/sync-settings` (kind 'syncSettings'): server, database, sign-in kind, user, what is shared. The password or
 *   API key is in the vault under `sync/<field>`; `secretFields` only says which are set.
 * - `_local/sync-state` (kind 'syncState'): when both sides were last up to date, the documents the server refused
 *   (refusals are never retried, so they are remembered until the operator clears them), and, per conflicted document,
 *   the revisions that came in from the server: those are "theirs", the others "mine"; and the role the server last
 *   gave this computer's user, so the UI stays read-only for a viewer while the sync is stopped; and the revisions
 *   discards wrote (sync.service.ts `discard`).
 */
import type { SyncDenied, SyncRole, SyncShare } from '../../../src-shared/models/sync'
import { getOrNull, type BaseDoc, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import { secretAccount } from '../vault/secret-store'

export const SYNC_SETTINGS_ID = '_local/sync-settings'
export const SYNC_STATE_ID = '_local/sync-state'
export const SYNC_SECRET_PROFILE = 'sync'
export type SyncSecret = 'password' | 'apiKey'

/** 'joining': the new password of a join under way, only until it is saved (sync.service.ts `join`). */
export function syncSecretAccount(field: SyncSecret | 'joining'): string {
  return secretAccount(SYNC_SECRET_PROFILE, field)
}

export interface SyncSettingsDoc extends BaseDoc {
  kind: 'syncSettings'
  url: string
  database: string
  auth: 'basic' | 'iam'
  username: string
  iamUrl: string
  shares: SyncShare[]
  autoStart: boolean
  secretFields: SyncSecret[]
  updatedAt: string
}

/** Most refusals remembered; older ones are dropped first (the count keeps growing). */
export const MAX_DENIED = 200
/** Most discarded documents remembered; older ones are dropped first. */
export const MAX_DISCARDED = 200

/** What discarding this computer's unsent change to one document wrote. */
export interface DiscardRecord {
  /** The unsent revisions and the ones the discard wrote: the server refusing them again is not a new refusal. */
  revs: string[]
  /**
   * The revision that shows the server's version again, written as a child of it (only when the server's version was
   * an ancestor of the unsent change here); it gives way to the next revision the server sends.
   */
  restored?: string
}

export interface SyncStateDoc extends BaseDoc {
  kind: 'syncState'
  lastSyncAt: string | null
  denied: SyncDenied[]
  deniedTotal: number
  /** Conflicted document id → revisions that arrived from the server. */
  theirs: Record<string, string[]>
  /** Absent in a state written before the role was remembered: read as not known. */
  role?: SyncRole | null
  roleAsOf?: string | null
  /** Per document id, what discarding its unsent change wrote; absent in a state written before discards existed. */
  discarded?: Record<string, DiscardRecord>
}

export function readSyncSettings(db: Db): Promise<(SyncSettingsDoc & { _rev: string }) | null> {
  return getOrNull<SyncSettingsDoc>(db, SYNC_SETTINGS_ID)
}

export function newSyncSettingsDoc(fields: Omit<SyncSettingsDoc, '_id' | '_rev' | 'kind' | 'schemaVersion'>): SyncSettingsDoc {
  return { _id: SYNC_SETTINGS_ID, kind: 'syncSettings', schemaVersion: CURRENT_SCHEMA.syncSettings, ...fields }
}

export async function readSyncState(db: Db): Promise<SyncStateDoc & { _rev?: string }> {
  return (
    (await getOrNull<SyncStateDoc>(db, SYNC_STATE_ID)) ?? { _id: SYNC_STATE_ID, kind: 'syncState', schemaVersion: CURRENT_SCHEMA.syncState, lastSyncAt: null, denied: [], deniedTotal: 0, theirs: {} }
  )
}

/** What a change of the sync state returns when the state it read needs no write. */
export const UNCHANGED = Symbol('unchanged sync state')

/**
 * Read, change, write, again on a conflict: the live sync and a resolution may both touch the state. `_local`
 * documents have no revision history, so a conflict here is only a race between two writers of this process. A change
 * that decides from what it read that nothing is to be written returns UNCHANGED: the decision and the write then
 * rest on the same read, and the state is returned as read.
 */
export async function updateSyncState(db: Db, change: (state: SyncStateDoc) => void | typeof UNCHANGED): Promise<{ state: SyncStateDoc; written: boolean }> {
  for (let attempt = 0; ; attempt++) {
    const state = await readSyncState(db)
    if (change(state) === UNCHANGED) return { state, written: false }
    try {
      await db.put(state)
      return { state, written: true }
    } catch (e) {
      if ((e as { status?: number }).status !== 409 || attempt >= 5) throw e
    }
  }
}
