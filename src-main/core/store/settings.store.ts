import { settingsSchema, type Settings } from '../../../src-shared/contract'
import { auditDoc } from './audit.store'
import { assertBulkOk, getOrNull, type Db } from './documents'

/** UI settings are per machine: a `_local` document is never replicated to teammates. */
const ID = '_local/settings'

export const DEFAULT_SETTINGS: Settings = { language: 'en', theme: 'system', savedSearches: [] }

export async function readSettings(db: Db): Promise<Settings> {
  try {
    const doc = await db.get(ID)
    const parsed = settingsSchema.safeParse(doc)
    // A document written by a newer or damaged version falls back per field rather than failing start-up.
    return parsed.success ? parsed.data : { ...DEFAULT_SETTINGS, ...settingsSchema.partial().catch({}).parse(doc) }
  } catch {
    return DEFAULT_SETTINGS
  }
}

/**
 * Applies `patch` and records the change in the audit trail, in one bulkDocs call. A patch that changes nothing
 * writes nothing.
 */
export async function writeSettings(db: Db, patch: Partial<Settings>, actor: string): Promise<Settings> {
  const current = await readSettings(db)
  const next = { ...current, ...patch }
  // Values compared as JSON: a list of saved searches sent again unchanged is no change.
  const changed = (Object.keys(next) as (keyof Settings)[]).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]))
  if (changed.length === 0) return next
  const existing = await getOrNull(db, ID)
  const before = Object.fromEntries(changed.map((k) => [k, current[k]]))
  const after = Object.fromEntries(changed.map((k) => [k, next[k]]))
  assertBulkOk(
    await db.bulkDocs([{ _id: ID, ...(existing ? { _rev: existing._rev } : {}), ...next } as never, auditDoc({ actor, action: 'settings.update', target: 'settings', outcome: 'ok', before, after })]),
  )
  return next
}
