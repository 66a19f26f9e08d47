import { profileDocId } from '../../../src-shared/models/profiles'
import type { BaseDoc, Db } from './documents'
import { getOrNull } from './documents'
import { CURRENT_SCHEMA } from './schema'

/**
 * An extension profile: the non-secret settings of one account at an external service (a Control Center
 * host and user name, an mbed domain…) and the names of its secret fields. The secret values are in the
 * vault under `<profile id>/<field>`; this document only says which of them exist.
 */
export interface ProfileDoc extends BaseDoc {
  kind: 'profile'
  extension: string
  name: string
  settings: Record<string, unknown>
  secretFields: string[]
  /** The profile used for devices whose configuration names none. */
  isDefault: boolean
  createdAt: string
  updatedAt: string
}

export { profileDocId }

/**
 * One default per kind, as every computer reads it: two workspaces that each made a different profile the default
 * before they synced both keep saying so (two documents, no replication conflict). The one saved most recently
 * (`updatedAt`, written when it was made the default) stays the default, a tie going to the smaller id; the others
 * read as not the default, and the next save of any of them writes it so.
 */
function oneDefaultPerKind(docs: ProfileDoc[]): ProfileDoc[] {
  const chosen = new Map<string, ProfileDoc>()
  for (const doc of docs) {
    if (!doc.isDefault) continue
    const held = chosen.get(doc.extension)
    if (!held || doc.updatedAt > held.updatedAt || (doc.updatedAt === held.updatedAt && doc._id < held._id)) chosen.set(doc.extension, doc)
  }
  return docs.map((doc) => (doc.isDefault && chosen.get(doc.extension) !== doc ? { ...doc, isDefault: false } : doc))
}

export async function listProfiles(db: Db, extension?: string): Promise<ProfileDoc[]> {
  const prefix = extension ? `profile:${extension}:` : 'profile:'
  const page = await db.allDocs({ include_docs: true, startkey: prefix, endkey: `${prefix}\ufff0` })
  return oneDefaultPerKind(page.rows.map((r) => r.doc as unknown as ProfileDoc))
}

export async function getProfile(db: Db, extension: string, id: string): Promise<ProfileDoc | null> {
  return getOrNull<ProfileDoc>(db, profileDocId(extension, id))
}

export function newProfileDoc(input: { extension: string; id: string; name: string; settings: Record<string, unknown>; secretFields: string[]; isDefault?: boolean }, now: string): ProfileDoc {
  return {
    _id: profileDocId(input.extension, input.id),
    kind: 'profile',
    schemaVersion: CURRENT_SCHEMA.profile,
    extension: input.extension,
    name: input.name,
    settings: input.settings,
    secretFields: [...new Set(input.secretFields)].sort(),
    isDefault: input.isDefault ?? false,
    createdAt: now,
    updatedAt: now,
  }
}
