import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { isNotFound, type Db } from './documents'

/**
 * `_local/workspace`: the workspace's own identity, a random id made the first time a release that knows it opens the
 * workspace. It lives in the workspace (the desktop app, serve mode and the CLI opening one data folder see the same
 * id) and, being `_local`, is never replicated: a teammate's workspace, or another data folder on this computer
 * holding copies of the same profiles, has its own. The vault names this workspace's keychain entries with it.
 */
export const WORKSPACE_IDENTITY_ID = '_local/workspace'

/** `_local` documents have no kind or schemaVersion: they never replicate and are not migrated. */
const identitySchema = z.object({ _id: z.literal(WORKSPACE_IDENTITY_ID), _rev: z.string().optional(), id: z.string().uuid(), createdAt: z.string() })

/** The workspace's id, or null when it has none yet. A damaged record stops the open rather than orphan its secrets. */
export async function readWorkspaceId(db: Db): Promise<string | null> {
  let doc: unknown
  try {
    doc = await db.get(WORKSPACE_IDENTITY_ID)
  } catch (e) {
    if (isNotFound(e)) return null
    throw e
  }
  return identitySchema.parse(doc).id
}

/** The workspace's id, made and stored now if it has none. */
export async function ensureWorkspaceId(db: Db): Promise<string> {
  const existing = await readWorkspaceId(db)
  if (existing) return existing
  const id = randomUUID()
  await (db as unknown as PouchDB.Database<z.infer<typeof identitySchema>>).put({ _id: WORKSPACE_IDENTITY_ID, id, createdAt: new Date().toISOString() })
  return id
}
