import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import PouchDB from 'pouchdb'
import type { BaseDoc, Db } from './documents'

/**
 * A migration upgrades every document of one kind from one schemaVersion to the next. Documents also
 * arrive by replication from teammates running older versions, so `upgradeDoc` is applied on read too.
 */
export interface Migration {
  kind: string
  from: number
  to: number
  up(doc: BaseDoc): BaseDoc
}

/** The schema version every kind is written at today; a migration that raises one raises it here too. */
export const CURRENT_SCHEMA: Readonly<Record<string, number>> = {
  device: 1,
  draft: 1,
  profile: 1,
  audit: 1,
  cache: 1,
  outbox: 1,
  mailSettings: 1,
  invitation: 1,
  package: 1,
  ticket: 1,
  /** Device events read back from the historian's buckets, in the local history cache (history-cache.store.ts). */
  historyEvent: 1,
}

/** Released migrations, oldest first. None yet: every kind is still at its first schema version. */
export const MIGRATIONS: readonly Migration[] = []

const STATE_ID = '_local/fieldline-migrations'

interface MigrationState {
  _id: string
  _rev?: string
  applied: string[]
}

export function migrationId(m: Migration): string {
  return `${m.kind}@${m.from}->${m.to}`
}

/** Applies the migrations that apply to `doc`, in order; returns the same object when none do. */
export function upgradeDoc(doc: BaseDoc, migrations: readonly Migration[]): BaseDoc {
  let current = doc
  for (const m of migrations) {
    if (current.kind === m.kind && current.schemaVersion === m.from) {
      current = { ...m.up(current), schemaVersion: m.to }
    }
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
 * Progress is recorded per migration, so an interrupted run resumes rather than restarting.
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
        .map((d) => ({ ...m.up(d), _id: d._id, _rev: d._rev, schemaVersion: m.to }))
      if (changed.length > 0) await db.bulkDocs(changed)
      startkey = rows[rows.length - 1]!.id
      if (rows.length < batchSize) break
    }
    state.applied.push(migrationId(m))
    // `_local` documents have no kind or schemaVersion: they never replicate and are not migrated.
    const res = await (db as unknown as PouchDB.Database<MigrationState>).put(state)
    state._rev = res.rev
  }
  return pending.map(migrationId)
}

async function readState(db: Db): Promise<MigrationState> {
  try {
    return (await db.get(STATE_ID)) as unknown as MigrationState
  } catch {
    return { _id: STATE_ID, applied: [] }
  }
}

async function backup(db: Db, backupDir: string): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  await mkdir(backupDir, { recursive: true })
  const target = new PouchDB(join(backupDir, `workspace-${stamp}`))
  try {
    await db.replicate.to(target)
  } finally {
    await target.close()
  }
}
