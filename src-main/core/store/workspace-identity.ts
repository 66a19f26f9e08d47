import { randomUUID } from 'node:crypto'
import { realpath, stat } from 'node:fs/promises'
import { z } from 'zod'
import { storageProblem } from '../common/storage-errors'
import { isNotFound, type Db } from './documents'

/**
 * `_local/workspace`: the workspace's own identity, a random id made the first time a release that knows it opens the
 * workspace. It lives in the workspace (the desktop app, serve mode and the CLI opening one data folder see the same
 * id) and, being `_local`, is never replicated: a teammate's workspace, or another data folder on this computer
 * holding copies of the same profiles, has its own. The vault names this workspace's keychain entries with it.
 *
 * A copy of the data folder (cp -r, a backup restored beside the original) copies this record too, and two workspaces
 * with one id would read and overwrite each other's keychain entries. So the record also says where the workspace
 * lives: the data folder's real path and its device and inode as the OS reports them. Opened from another folder while
 * the recorded one is still there (same device and inode at the recorded path), the workspace is a copy: it takes a
 * new id and records which one it was copied from (the vault copies its secrets, workspace-vault.ts). Opened from
 * another folder while the recorded one is gone, it was moved (renamed, or copied and the original removed): it keeps
 * its id, and the record follows it.
 */
export const WORKSPACE_IDENTITY_ID = '_local/workspace'

const locationSchema = z.object({ path: z.string(), dev: z.string(), ino: z.string() })
type Location = z.infer<typeof locationSchema>

/** `_local` documents have no kind or schemaVersion: they never replicate and are not migrated. */
const identitySchema = z.object({
  _id: z.literal(WORKSPACE_IDENTITY_ID),
  _rev: z.string().optional(),
  id: z.string().uuid(),
  createdAt: z.string(),
  /** Absent in a record an earlier release made: recorded at the next open. */
  location: locationSchema.optional(),
  /** The workspace this one is a copy of: its id (whose keychain entries the vault copies) and its data folder. */
  copiedFrom: z.object({ id: z.string().uuid(), path: z.string(), at: z.string() }).optional(),
})
type IdentityDoc = z.infer<typeof identitySchema>

export interface WorkspaceIdentity {
  id: string
  /** Set when the workspace is a copy of another data folder's (kept in the record: the vault's copy may wait). */
  copiedFrom: { id: string; path: string; at: string } | null
  /** True at the open that found the copy and gave it its new id: the one time it is said. */
  copiedNow: boolean
}

async function readIdentity(db: Db): Promise<IdentityDoc | null> {
  let doc: unknown
  try {
    doc = await db.get(WORKSPACE_IDENTITY_ID)
  } catch (e) {
    if (isNotFound(e)) return null
    throw e
  }
  return identitySchema.parse(doc)
}

/** The workspace's id, or null when it has none yet. A damaged record stops the open rather than orphan its secrets. */
export async function readWorkspaceId(db: Db): Promise<string | null> {
  return (await readIdentity(db))?.id ?? null
}

/** Where a folder is, as the OS reports it: device and inode as decimal strings (an NTFS file id does not fit a double). */
export async function folderLocation(dir: string): Promise<Location> {
  const path = await realpath(dir)
  const s = await stat(path, { bigint: true })
  return { path, dev: String(s.dev), ino: String(s.ino) }
}

const sameFolder = (a: Location, b: Location): boolean => a.dev === b.dev && a.ino === b.ino

/** Whether the folder a record names is still where it was: the same device and inode at its path. */
async function stillThere(recorded: Location): Promise<boolean> {
  try {
    return sameFolder(await folderLocation(recorded.path), recorded)
  } catch {
    return false
  }
}

const identity = (doc: IdentityDoc, copiedNow = false): WorkspaceIdentity => ({
  id: doc.id,
  copiedFrom: doc.copiedFrom ?? null,
  copiedNow,
})

/**
 * The workspace's identity in the data folder `dataDir`: made and stored now if it has none; a new id when the
 * workspace is a copy of one still in its own folder; the location brought up to date when it was moved.
 */
export async function ensureWorkspaceIdentity(db: Db, dataDir: string): Promise<WorkspaceIdentity> {
  const store = db as unknown as PouchDB.Database<IdentityDoc>
  const here = await folderLocation(dataDir)
  const existing = await readIdentity(db)
  if (!existing) {
    const doc: IdentityDoc = { _id: WORKSPACE_IDENTITY_ID, id: randomUUID(), createdAt: new Date().toISOString(), location: here }
    await store.put(doc)
    return identity(doc)
  }
  const recorded = existing.location
  if (recorded && !sameFolder(recorded, here) && (await stillThere(recorded))) {
    const at = new Date().toISOString()
    const doc: IdentityDoc = { _id: WORKSPACE_IDENTITY_ID, _rev: existing._rev!, id: randomUUID(), createdAt: at, location: here, copiedFrom: { id: existing.id, path: recorded.path, at } }
    await store.put(doc)
    return identity(doc, true)
  }
  // In place, moved, or recorded by an earlier release: the same workspace, wherever it now is.
  if (!recorded || recorded.path !== here.path || !sameFolder(recorded, here)) {
    // A disk that refuses the update leaves the old place recorded: the next open that can write records this one.
    await store.put({ ...existing, location: here }).catch((e: unknown) => {
      if (storageProblem(e) === undefined) throw e
    })
  }
  return identity(existing)
}
