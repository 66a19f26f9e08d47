import { DEVICE_ID_PATTERN, type DeviceKey } from '../../../../src-shared/models/device-id'
import { ReadWriteLock } from '../../common/read-write-lock'
import type { Logger } from '../../log/logger'
import { rateLimitedWarning } from '../../log/rate-limited'
import { latestSeq, readChanges, type Change } from '../../store/changes-feed'
import type { BaseDoc, Db } from '../../store/documents'
import { openIndexDb, type IndexDb, type IndexOp } from '../../store/index-db'
import { Cells } from './cells'
import { cellOf, decodeRow, deviceFields, simFacts, simKey, simRefOf, weatherFacts, withCaches, type IndexedRow, type SimFacts, type WeatherFacts } from './device-row'
import { CHECKPOINT_KEY, eachEntry, entriesOf, natKey, parseStoredRow, rowKey, SIM_PREFIX, simDevicesKey, WEATHER_PREFIX } from './keys'

/**
 * Why a purpose-built index in its own LevelDB, kept by following the workspace's changes feed from a checkpoint:
 *
 * - Opening costs the same whatever the fleet: the counts live in the cells (a few hundred), every list order, filter
 *   and search is a range of keys on disk, and nothing reads the device list at start.
 * - Every write is indexed, whoever made it: this core's services, an import, CouchDB replication, a tool writing the
 *   database directly. The index applies the feed's changes page by page, each page with its cell counts and the
 *   checkpoint (the last sequence applied) in one LevelDB batch, so the index always equals the workspace at its
 *   checkpoint. After a crash at any point (kill -9, power cut), opening replays the feed from the checkpoint: a
 *   bounded catch-up of what was written after the last batch, not a rebuild.
 * - Imports, the one writer of millions, hand their batches over directly (`written`): reading back what was just
 *   written costs PouchDB as much as writing it. The hand-over is taken only when the sequence numbers prove that no
 *   other write came in between; otherwise the feed is read as for any other change.
 * - PouchDB's own secondary indexes (map/reduce views, pouchdb-find) store every emitted row as a document with its
 *   revision bookkeeping and cannot answer a natural-order page with a count of a combined filter without reading
 *   every row; writing index entries in PouchDB's own LevelDB batch would need its private key format.
 *
 * A workspace without an index (an earlier release, a damaged index folder) builds it once, reporting progress.
 */
export interface DeviceIndex {
  readonly db: IndexDb
  readonly cells: Cells
  /** The workspace sequence the index has applied: an answer read from the index holds while it stays the same. */
  readonly seq: number
  /** Runs a read of the index while no batch is being applied. */
  read<T>(work: () => Promise<T>): Promise<T>
  /** Applies every change written to the workspace so far (called before each query: it reads its own writes). */
  sync(): Promise<void>
  /**
   * Hands over documents one bulkDocs call just wrote (all of them, `_local` ones aside, with the revisions it gave them:
   * new edits, bulkDocs' default) with the sequences around it.
   */
  written(docs: readonly BaseDoc[], span: SeqSpan): Promise<void>
  /** Which of these devices the workspace holds, after applying every change written so far. */
  holds(keys: readonly DeviceKey[]): Promise<boolean[]>
  close(): Promise<void>
}

export interface SeqSpan {
  before: number
  after: number
}

export interface IndexProgress {
  /** Devices indexed so far. */
  devices: number
  /** Workspace changes applied since the index was opened. */
  changes: number
  /** True while the index is built from nothing (the first open of an existing workspace). */
  building: boolean
  done: boolean
}

export interface OpenDeviceIndexOptions {
  workspace: Db
  location: string
  durable: boolean
  logger: Logger
  onProgress?: (progress: IndexProgress) => void
  /** How often changes written by others (replication) are looked for between queries; 0 turns it off. */
  followMs?: number
}

/** Bump when the layout in keys.ts or what a row holds changes: an index of another format is rebuilt. */
const FORMAT = 5
/** Changes applied per batch: bounded memory, and a crash loses at most this much index work. */
const PAGE = 2000

interface Checkpoint {
  format: number
  seq: number
  db: string
}

interface Indexed {
  cell: number
  row: IndexedRow
}

function parseIndexed(value: string | undefined): Indexed | null {
  if (value === undefined) return null
  const stored = parseStoredRow(value)
  return { cell: stored.cell, row: decodeRow(stored.json) }
}

/** The nat of a document named after a device (`device:<type>:<id>`, `cache:weather:<type>:<id>`), given its prefix. */
function natOfDocId(id: string, prefix: string): string | null {
  const rest = id.slice(prefix.length)
  const colon = rest.indexOf(':')
  if (colon < 0) return null
  const key = { typeId: rest.slice(0, colon), deviceId: rest.slice(colon + 1) }
  return DEVICE_ID_PATTERN.test(key.typeId) && DEVICE_ID_PATTERN.test(key.deviceId) ? natKey(key) : null
}

const SIM_DOC_PREFIX = 'cache:sim:'
/** weather/weather.store.ts names a device's cached reading `cache:weather:<typeId>:<deviceId>`. */
const WEATHER_DOC_PREFIX = 'cache:weather:'

export async function openDeviceIndex(options: OpenDeviceIndexOptions): Promise<DeviceIndex> {
  const { workspace, logger } = options
  const { db, fresh } = await openIndexDb(options.location, { durable: options.durable })
  const dbId = await workspace.id()
  const stored = fresh ? undefined : await db.get(CHECKPOINT_KEY)
  const checkpoint = stored ? (JSON.parse(stored) as Checkpoint) : null
  const target = await latestSeq(workspace)
  // Another format, another database (a folder restored from elsewhere), or a workspace older than the index (a
  // backup put back): the index cannot be trusted and is built again.
  const building = !checkpoint || checkpoint.format !== FORMAT || checkpoint.db !== dbId || checkpoint.seq > target
  if (building && !fresh) await db.clear()
  let seq = building ? 0 : checkpoint.seq
  let cells = building ? new Cells() : await Cells.load(db)
  const lock = new ReadWriteLock()
  const unsaved = rateLimitedWarning(logger, 'the device index could not be saved (the disk refused it); it is kept in memory', 60_000)
  const checkpointOp = (at: number): IndexOp => ({ type: 'put', key: CHECKPOINT_KEY, value: JSON.stringify({ format: FORMAT, seq: at, db: dbId } satisfies Checkpoint) })

  async function write(ops: IndexOp[]): Promise<void> {
    try {
      const outcome = await db.write(ops)
      if (!outcome.saved) unsaved({ err: outcome.error, pending: db.unsaved })
    } catch (e) {
      // The batch is lost, the counts in memory are not: take them back from what the index holds.
      cells = await Cells.load(db)
      throw e
    }
  }

  /** The SIM facts the index holds for `keys`, after `fresh` (this page's cache changes). */
  async function factsFor(keys: string[], page: Map<string, SimFacts | null>): Promise<Map<string, SimFacts | null>> {
    const out = new Map<string, SimFacts | null>()
    const missing = keys.filter((k) => !page.has(k))
    const stored = await db.getMany(missing.map((k) => `${SIM_PREFIX}${k}`))
    missing.forEach((k, i) => out.set(k, stored[i] ? (JSON.parse(stored[i]) as SimFacts) : null))
    for (const k of keys) if (page.has(k)) out.set(k, page.get(k)!)
    return out
  }

  /** The weather facts the index holds for the devices `nats`, after `page` (this page's cache changes). */
  async function weatherFor(nats: readonly string[], page: Map<string, WeatherFacts | null>): Promise<Map<string, WeatherFacts | null>> {
    const out = new Map(page)
    const missing = nats.filter((n) => !page.has(n))
    const stored = await db.getMany(missing.map((n) => `${WEATHER_PREFIX}${n}`))
    missing.forEach((n, i) => out.set(n, stored[i] ? (JSON.parse(stored[i]) as WeatherFacts) : null))
    return out
  }

  /** Which devices name each SIM, as the index holds it, for `keys` (read once per page, changed in memory, written back). */
  async function simDevices(keys: readonly string[], into: Map<string, Set<string>>): Promise<void> {
    const missing = keys.filter((k) => !into.has(k))
    const stored = await db.getMany(missing.map(simDevicesKey))
    missing.forEach((k, i) => into.set(k, new Set(stored[i] ? stored[i].split('\n') : [])))
  }

  /**
   * Applies one page of changes (the latest state of each document) and moves the checkpoint to `last`, in one batch.
   * `created`: IDs of documents the index is known not to hold (see `written`), whose rows are not read back.
   */
  async function apply(changes: readonly Change[], last: number, created?: ReadonlySet<string>): Promise<void> {
    const sims = new Map<string, SimFacts | null>()
    const weathers = new Map<string, WeatherFacts | null>()
    const devices = new Map<string, BaseDoc | null>()
    /** The devices of this page the index holds no row for (an import's new devices): their rows are not read back. */
    const absent = new Set<string>()
    for (const ch of changes) {
      if (ch.id.startsWith(SIM_DOC_PREFIX)) sims.set(ch.id.slice(SIM_DOC_PREFIX.length), ch.doc ? simFacts(ch.doc) : null)
      else if (ch.id.startsWith(WEATHER_DOC_PREFIX)) {
        const nat = natOfDocId(ch.id, WEATHER_DOC_PREFIX)
        if (nat) weathers.set(nat, ch.doc ? weatherFacts(ch.doc) : null)
      } else if (ch.id.startsWith('device:')) {
        const nat = natOfDocId(ch.id, 'device:')
        if (nat) {
          devices.set(nat, ch.doc)
          if (created?.has(ch.id)) absent.add(nat)
          else absent.delete(nat)
        }
      }
    }
    const ops: IndexOp[] = []
    for (const [key, facts] of sims) ops.push(facts ? { type: 'put', key: `${SIM_PREFIX}${key}`, value: JSON.stringify(facts) } : { type: 'del', key: `${SIM_PREFIX}${key}` })
    for (const [nat, facts] of weathers) ops.push(facts ? { type: 'put', key: `${WEATHER_PREFIX}${nat}`, value: JSON.stringify(facts) } : { type: 'del', key: `${WEATHER_PREFIX}${nat}` })

    // Devices whose SIM or weather changed in a cache, without a change of their own in this page, take the new facts.
    const bySimKey = new Map<string, Set<string>>()
    await simDevices([...sims.keys()], bySimKey)
    const byCache = new Set<string>()
    for (const sim of sims.keys()) for (const nat of bySimKey.get(sim)!) if (!devices.has(nat)) byCache.add(nat)
    for (const nat of weathers.keys()) if (!devices.has(nat)) byCache.add(nat)
    const nats = [...devices.keys(), ...byCache]
    const unread = nats.filter((nat) => !absent.has(nat))
    const read = (await db.getMany(unread.map(rowKey))).map(parseIndexed)
    const stored = new Map(unread.map((nat, i) => [nat, read[i] ?? null]))
    const before = nats.map((nat) => stored.get(nat) ?? null)

    const fields = [...devices.values()].map((doc) => (doc ? deviceFields(doc) : null))
    // Only a device with a location shows a weather reading (withCaches): the others' cached readings are not read.
    const located = nats.filter((nat, i) => {
      const row = i < devices.size ? fields[i] : before[i]?.row
      return !!row && row.latitude !== null && row.longitude !== null
    })
    const weatherOf = await weatherFor(located, weathers)
    const wanted = new Set<string>()
    for (const f of fields) {
      const ref = f && simRefOf(f)
      if (ref) wanted.add(simKey(ref))
    }
    for (const b of before.slice(devices.size)) {
      const ref = b && simRefOf(b.row)
      if (ref) wanted.add(simKey(ref))
    }
    const facts = await factsFor([...wanted], sims)
    const factsOf = (f: Parameters<typeof simRefOf>[0]) => {
      const ref = simRefOf(f)
      return ref ? (facts.get(simKey(ref)) ?? null) : null
    }

    /** Devices that stop or start naming a SIM: [sim, nat, named]. */
    const moves: [string, string, boolean][] = []
    nats.forEach((nat, i) => {
      const old = before[i] ?? null
      let next: IndexedRow | null
      if (i < devices.size) {
        const f = fields[i]
        next = f ? withCaches(f, factsOf(f), weatherOf.get(nat) ?? null) : null
      } else next = old ? withCaches(old.row, factsOf(old.row), weatherOf.get(nat) ?? null) : null
      const cell = next ? cells.idFor(cellOf(next)) : 0
      if (!old) {
        // A device new to the index (an import's): its entries are put as they are made.
        if (next) eachEntry(next, cell, nat, (key, value) => ops.push({ type: 'put', key, value }))
      } else {
        const was = entriesOf(old.row, old.cell, nat)
        const now = next ? entriesOf(next, cell, nat) : new Map<string, string>()
        for (const key of was.keys()) if (!now.has(key)) ops.push({ type: 'del', key })
        for (const [key, value] of now) if (was.get(key) !== value) ops.push({ type: 'put', key, value })
      }
      if (old) cells.adjust(old.cell, -1)
      if (next) cells.adjust(cell, 1)
      const from = old && simRefOf(old.row)
      const to = next && simRefOf(next)
      if (from && (!to || simKey(from) !== simKey(to))) moves.push([simKey(from), nat, false])
      if (to && (!from || simKey(from) !== simKey(to))) moves.push([simKey(to), nat, true])
    })
    if (moves.length > 0) {
      await simDevices(
        moves.map(([sim]) => sim),
        bySimKey,
      )
      const touched = new Set<string>()
      for (const [sim, nat, named] of moves) {
        if (named) bySimKey.get(sim)!.add(nat)
        else bySimKey.get(sim)!.delete(nat)
        touched.add(sim)
      }
      for (const sim of touched) {
        const list = [...bySimKey.get(sim)!]
        ops.push(list.length ? { type: 'put', key: simDevicesKey(sim), value: list.join('\n') } : { type: 'del', key: simDevicesKey(sim) })
      }
    }
    ops.push(...cells.takeWrites(), checkpointOp(last))
    await write(ops)
    seq = last
  }

  let tail: Promise<unknown> = Promise.resolve()
  let pendingSync: Promise<void> | null = null
  let lastHandOver = 0
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work)
    tail = run.catch(() => undefined)
    return run
  }

  async function catchUp(onPage?: (applied: number) => void): Promise<number> {
    let applied = 0
    for (;;) {
      const latest = await latestSeq(workspace)
      if (seq >= latest) return applied
      const { changes, last } = await readChanges(workspace, seq, PAGE)
      await lock.write(() => apply(changes, changes.length ? last : latest))
      applied += changes.length
      onPage?.(applied)
    }
  }

  const report = (changes: number, done: boolean) => options.onProgress?.({ devices: cells.total, changes, building, done })
  if (building) await write([checkpointOp(0)])
  report(await catchUp((applied) => report(applied, false)), true)

  const follow =
    (options.followMs ?? 1000) > 0
      ? setInterval(() => {
          // An import hands its batches over; reading the feed meanwhile would only read them a second time.
          if (pendingSync || Date.now() - lastHandOver < 2000) return
          void latestSeq(workspace)
            .then((latest) => (latest > seq ? index.sync() : undefined))
            .catch((e: unknown) => logger.warn({ err: e }, 'the device index could not follow the workspace'))
        }, options.followMs ?? 1000)
      : null
  follow?.unref()

  const index: DeviceIndex = {
    db,
    get cells() {
      return cells
    },
    get seq() {
      return seq
    },
    read: (work) => lock.read(work),
    sync() {
      pendingSync ??= serial(async () => {
        pendingSync = null
        await catchUp()
      })
      return pendingSync
    },
    written(docs, span) {
      lastHandOver = Date.now()
      return serial(async () => {
        if (seq >= span.after) return
        const direct = seq === span.before && span.after - span.before === docs.length && docs.every((d) => !(d as { _deleted?: boolean })._deleted)
        // A document at its first revision did not exist, not even deleted, before this write; the index equals the
        // workspace before it (seq === span.before), so it holds no row for it.
        const created = new Set(docs.filter((d) => d._rev?.startsWith('1-')).map((d) => d._id))
        if (direct)
          await lock.write(() =>
            apply(
              docs.map((doc) => ({ id: doc._id, seq: 0, doc })),
              span.after,
              created,
            ),
          )
        else await catchUp()
      })
    },
    async holds(keys) {
      await index.sync()
      const rows = await lock.read(() => db.getMany(keys.map((k) => rowKey(natKey(k)))))
      return rows.map((r) => r !== undefined)
    },
    async close() {
      if (follow) clearInterval(follow)
      await tail
      unsaved.flush()
      await db.close()
    },
  }
  return index
}
