import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import PouchDB from 'pouchdb'
import { ensurePrivateDir, tightenFiles } from '../common/private-fs'
import { dataDirInUse, storageProblem, type StorageProblem } from '../common/storage-errors'
import type { BaseDoc, Db } from './documents'
import { levelBackend, type BackendSwitches } from './level-backend'
import { checkSchema, runMigrations } from './migrations'
import { CURRENT_SCHEMA, MIGRATIONS } from './schema'
import { upgradeOnRead } from './upgrade-on-read'
import { ensureWorkspaceIdentity, readWorkspaceId } from './workspace-identity'

/**
 * The workspace: one PouchDB database on LevelDB in the data directory. PouchDB is an existing, proven
 * sync engine, so team sharing is CouchDB replication of this same database (DESIGN: Workspace store).
 */
export interface Workspace {
  db: Db
  dataDir: string
  /**
   * The workspace's own random id (workspace-identity.ts), made at its first open by this release; null while it
   * could not be stored (a read-only copy, or a full disk, at that first open).
   */
  id: string | null
  /**
   * The workspace this one is a copy of (another data folder's, still in its place: workspace-identity.ts), whose
   * keychain entries the vault copies to this one's id; `now` at the open that found it, the one time it is said.
   */
  copiedFrom: { id: string; path: string; at: string; now: boolean } | null
  /**
   * Why the workspace is a read-only copy (its data folder could not be written when it was opened: a read-only
   * disk or a full one), or null when it is the real, writable workspace.
   */
  readOnly: StorageProblem | null
  /**
   * Where indexes derived from the workspace live (`<dataDir>/indexes`, or inside a read-only copy), and whether
   * their writes are synced like the workspace's.
   */
  indexes: { dir: string; durable: boolean }
  close(): Promise<void>
}

/** The folder of derived indexes, beside the workspace's own. */
const INDEXES = 'indexes'

export interface OpenOptions {
  /**
   * Sync every acknowledged write to the disk (default). Only benchmarks turn it off, to measure what durability
   * costs against the behaviour before it.
   */
  durable?: boolean
}

/** Opens the database and waits for LevelDB to open it, so a folder it cannot use fails here, not at first use. */
async function openDb(location: string, switches: BackendSwitches): Promise<Db> {
  const db = new PouchDB<BaseDoc>(location, { auto_compaction: true, db: levelBackend(switches) })
  try {
    await db.info()
    return db
  } catch (e) {
    await db.close().catch(() => undefined)
    throw e
  }
}

export async function openWorkspace(dataDir: string, options: OpenOptions = {}): Promise<Workspace> {
  checkSchema(CURRENT_SCHEMA, MIGRATIONS)
  const location = join(dataDir, 'workspace')
  const switches: BackendSwitches = { durable: options.durable ?? true, readOnly: false }
  let db: Db
  try {
    ensurePrivateDir(dataDir)
    // LevelDB would create the folder readable by others; made first, it is private and its files with it.
    ensurePrivateDir(location)
    tightenFiles(location)
    // auto_compaction keeps the LevelDB files from growing with every revision of a draft or a setting.
    db = await openDb(location, switches)
  } catch (e) {
    const problem = storageProblem(e)
    if (problem === undefined) throw dataDirInUse(e, dataDir) ?? e
    return openReadOnlyCopy(dataDir, location, problem)
  }
  await runMigrations(db, MIGRATIONS, { backupDir: join(dataDir, 'backups') })
  // A disk that is full (or a file LevelDB may not write) at the first open by this release leaves the workspace without
  // an id until an open that can store it; the vault reads the legacy names meanwhile (core/workspace-vault.ts).
  const identity = await ensureWorkspaceIdentity(db, dataDir).catch((e: unknown) => {
    if (storageProblem(e) === undefined) throw e
    return null
  })
  const copiedFrom = identity?.copiedFrom ? { ...identity.copiedFrom, now: identity.copiedNow } : null
  // Every module reads through the upgrading view; writes, replication and backups see documents as stored.
  return {
    db: upgradeOnRead(db, MIGRATIONS),
    dataDir,
    id: identity?.id ?? null,
    copiedFrom,
    readOnly: null,
    indexes: { dir: join(dataDir, INDEXES), durable: switches.durable },
    close: () => db.close(),
  }
}

/**
 * LevelDB cannot open a folder it cannot write (it takes a lock file and replays its log into a new table on every
 * open), yet an operator whose disk is full or whose data folder is read-only must still see the devices. So the
 * workspace is copied to a private temporary folder and opened there with every write refused. The copy is removed
 * on close; it fails like any open when the temporary folder has no room either.
 */
async function openReadOnlyCopy(dataDir: string, location: string, problem: StorageProblem): Promise<Workspace> {
  const copy = await mkdtemp(join(tmpdir(), 'fieldline-readonly-'))
  const remove = () => rm(copy, { recursive: true, force: true })
  try {
    const copied = join(copy, 'workspace')
    // The indexes come along: they are caught up in the copy rather than built again from nothing.
    for (const [from, to] of [
      [location, copied],
      [join(dataDir, INDEXES), join(copy, INDEXES)],
    ] as const) {
      await cp(from, to, { recursive: true, filter: (source) => basename(source) !== 'LOCK' }).catch((e: NodeJS.ErrnoException) => {
        // A data folder with no workspace (or no index) yet reads as an empty one.
        if (e.code !== 'ENOENT') throw e
      })
    }
    // Nothing written to the copy outlives the process, so there is nothing to sync.
    const switches: BackendSwitches = { durable: false, readOnly: false }
    const db = await openDb(copied, switches)
    await runMigrations(db, MIGRATIONS, { backupDir: join(copy, 'backups') })
    switches.readOnly = true
    return {
      db: upgradeOnRead(db, MIGRATIONS),
      dataDir,
      // Read, never made: an id made in the copy would be gone at the next open.
      id: await readWorkspaceId(db),
      // A copy that cannot record its own id reads under the id it was copied with; it changes nothing.
      copiedFrom: null,
      readOnly: problem,
      indexes: { dir: join(copy, INDEXES), durable: false },
      async close() {
        await db.close()
        await remove()
      },
    }
  } catch (e) {
    await remove()
    throw e
  }
}
