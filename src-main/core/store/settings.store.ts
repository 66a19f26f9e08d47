import { settingsSchema, type Settings } from '../../../src-shared/contract'
import type { Db } from './documents'

/** UI settings are per machine: a `_local` document is never replicated to teammates. */
const ID = '_local/settings'

export const DEFAULT_SETTINGS: Settings = { language: 'en', theme: 'system' }

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

export async function writeSettings(db: Db, patch: Partial<Settings>): Promise<Settings> {
  const current = await readSettings(db)
  const next = { ...current, ...patch }
  let rev: string | undefined
  try {
    rev = (await db.get(ID))._rev
  } catch {
    rev = undefined
  }
  await db.put({ _id: ID, ...(rev ? { _rev: rev } : {}), ...next } as never)
  return next
}
