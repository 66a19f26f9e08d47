import { join } from 'node:path'
import PouchDB from 'pouchdb'
import { ensurePrivateDir } from '../common/private-fs'
import { z } from 'zod'
import { assertBulkOk, isNotFound, type BaseDoc, type Db } from './documents'
import type { Migration } from './schema'

const STATE_ID = '_local/fieldline-migrations'

/** `_local` documents have no kind or schemaVersion: they never replicate and are not migrated. */
const stateSchema = z.object({ _id: z.literal(STATE_ID), _rev: z.string().optional(), applied: z.array(z.string()) })
type MigrationState = z.infer<typeof stateSchema>

export function migrationId(m: Migration): string {
  return `${m.kind}@${m.from}->${m.to}`
}

/**
 * Refuses a release whose migrations could leave a document behind: for every kind exactly one step from each
 * version below its current one, in order, none beyond it. A workspace last opened at any earlier version, and any
 * document replicated in from a teammate on one, then has a path to today's shape.
 */
export function checkSchema(current: Readonly<Record<string, number>>, migrations: readonly Migration[]): void {
  const seen = new Map<string, number>()
  for (const m of migrations) {
    const target = current[m.kind]
    if (target === undefined) throw new Error(`Migration ${migrationId(m)}: the kind has no current schema version`)
    if (m.to !== m.from + 1) throw new Error(`Migration ${migrationId(m)}: a step raises the version by exactly one`)
    if (m.to > target) throw new Error(`Migration ${migrationId(m)}: ${m.kind} is written at version ${target}`)
    const expected = (seen.get(m.kind) ?? 0) + 1
    if (m.from !== expected) throw new Error(`Migration ${migrationId(m)}: expected the step from version ${expected} of ${m.kind} here`)
    seen.set(m.kind, m.from)
  }
  for (const [kind, version] of Object.entries(current)) {
    const last = seen.get(kind) ?? 0
    if (version > 1 && last !== version - 1) throw new Error(`${kind} is written at version ${version} but no migration reaches it from version ${last + 1}`)
  }
}

/** One step: the migrated fields, with the identity and revision the document had and the step's version. */
function step(doc: BaseDoc, m: Migration): BaseDoc {
  return { ...m.up(doc), _id: doc._id, ...(doc._rev ? { _rev: doc._rev } : {}), kind: doc.kind, schemaVersion: m.to }
}

/** Applies every step that applies to `doc`, in order; returns the same object when none does. */
export function upgradeDoc(doc: BaseDoc, migrations: readonly Migration[]): BaseDoc {
  let current = doc
  for (const m of migrations) {
    if (current.kind === m.kind && current.schemaVersion === m.from) current = step(current, m)
  }
  return current
}

export interface RunOptions {
  backupDir: string
  batchSize?: number
}

/**
 * Brings the workspace up to date. Before the first pending migration touches anything, the whole database
 * is copied to `backups/` (other tools lost users' data in failed upgrades; a copy makes that recoverable).
 * A migration is recorded as applied only after every one of its writes succeeded, so an interrupted run (a crash,
 * a refused write) resumes where it stopped: documents already at the step's version are not matched again.
 */
export async function runMigrations(db: Db, migrations: readonly Migration[], options: RunOptions): Promise<string[]> {
  const state = await readState(db)
  const pending = migrations.filter((m) => !state.applied.includes(migrationId(m)))
  if (pending.length === 0) return []

  const info = await db.info()
  if (info.doc_count > 0) await backup(db, options.backupDir)

  const batchSize = options.batchSize ?? 500
  for (const m of pending) {
    let startkey: string | undefined
    for (;;) {
      const page = await db.allDocs({ include_docs: true, limit: batchSize + (startkey ? 1 : 0), ...(startkey ? { startkey } : {}) })
      const rows = startkey ? page.rows.slice(1) : page.rows
      if (rows.length === 0) break
      const changed = rows
        .map((r) => r.doc)
        .filter((d): d is PouchDB.Core.ExistingDocument<BaseDoc> => !!d && d.kind === m.kind && d.schemaVersion === m.from)
        .map((d) => step(d, m))
      // A conflict on one row (a teammate's edit replicated in meanwhile) leaves that document at the old version:
      // the migration must not be recorded, so the next start migrates what is left.
      if (changed.length > 0) assertBulkOk(await db.bulkDocs(changed))
      startkey = rows[rows.length - 1]!.id
      if (rows.length < batchSize) break
    }
    state.applied.push(migrationId(m))
    const res = await (db as unknown as PouchDB.Database<MigrationState>).put(state)
    state._rev = res.rev
  }
  return pending.map(migrationId)
}

/** No record yet means nothing ran; any other failure to read it must stop start-up, not re-run every migration. */
async function readState(db: Db): Promise<MigrationState> {
  let doc: unknown
  try {
    doc = await db.get(STATE_ID)
  } catch (e) {
    if (isNotFound(e)) return { _id: STATE_ID, applied: [] }
    throw e
  }
  return stateSchema.parse(doc)
}

async function backup(db: Db, backupDir: string): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  ensurePrivateDir(backupDir)
  const target = new PouchDB(join(backupDir, `workspace-${stamp}`))
  try {
    await db.replicate.to(target)
  } finally {
    await target.close()
  }
}
