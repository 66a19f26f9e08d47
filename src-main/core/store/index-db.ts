import { ensurePrivateDir, tightenFiles } from '../common/private-fs'
import { storageProblem } from '../common/storage-errors'
import { plainLeveldown } from './level-backend'
import { rangeBatches, type LevelIterator } from './level-ranges'

export type IndexOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string }

export interface RangeOptions {
  gte?: string
  gt?: string
  lt?: string
  lte?: string
  reverse?: boolean
  /** False when only the keys are read (a posting list, a count). */
  values?: boolean
  /**
   * How many entries the caller means to read, when it means to read many (a term's postings read whole): up to that
   * many, the next batch is read from disk while the caller handles the last one (see `rangeBatches`). Beyond a
   * thousand, keys alone are read as far ahead as rows.
   */
  expected?: number
}

export type IndexEntry = [key: string, value: string]

export interface RangeReader {
  /** The next entries in key order (or reverse), at most `max`; an empty array once the range is exhausted. */
  next(max: number): Promise<IndexEntry[]>
  close(): Promise<void>
}

/**
 * A key-value store for derived indexes: the workspace's secondary indexes live in their own LevelDB beside PouchDB's,
 * so that an index can be rebuilt, dropped or changed without touching the documents, and so that PouchDB's own
 * per-key bookkeeping (rev trees, a sequence entry per write) is not paid for every index entry.
 */
export interface IndexDb {
  get(key: string): Promise<string | undefined>
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>
  /** Writes `ops` atomically; see `WriteOutcome`. */
  write(ops: readonly IndexOp[]): Promise<WriteOutcome>
  range(options: RangeOptions): RangeReader
  /** Roughly how many bytes the keys from `gte` to `lt` take on disk (not counting the newest writes, still in memory). */
  approximateSize(gte: string, lt: string): Promise<number>
  /** Drops every entry (the index is rebuilt from the workspace). */
  clear(): Promise<void>
  close(): Promise<void>
  /** Entries written to memory only, because the disk refused them (see `write`). */
  readonly unsaved: number
}

/**
 * `saved: false` when the disk refused the write (full, read-only): the entries are kept in memory and every read sees
 * them, so a workspace whose disk filled up still finds every device it acknowledged; the next write that the disk
 * takes saves them too, and a process that ends before that rebuilds them from the workspace at its next start.
 */
export type WriteOutcome = { saved: true } | { saved: false; error: Error }

export interface OpenIndexOptions {
  /** Sync each write to the disk before it resolves (LevelDB `sync`), as the workspace does. */
  durable: boolean
}

/** What the leveldown binding offers (callbacks only, in the abstract-leveldown 7 it is built on), as far as used here. */
type Done<T = void> = (error: Error | null | undefined, value?: T) => void
interface ChainedBatch {
  put(key: string, value: string): void
  del(key: string): void
  write(options: object, callback: Done): void
}
interface Binding {
  open(options: object, callback: Done): void
  close(callback: Done): void
  get(key: string, options: object, callback: Done<string>): void
  getMany(keys: readonly string[], options: object, callback: Done<(string | undefined)[]>): void
  batch(): ChainedBatch
  iterator(options: object): LevelIterator
  approximateSize(start: string, end: string, callback: Done<number>): void
}
type Destroy = (location: string, callback: Done) => void

const leveldown = plainLeveldown as ((location: string) => Binding) & { destroy: Destroy }

function call<T>(run: (done: Done<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))))
}

interface RawLevel {
  approximateSize(start: string, end: string): Promise<number>
  close(): Promise<void>
  get(key: string, options: object): Promise<string>
  getMany(keys: readonly string[], options: object): Promise<(string | undefined)[]>
  batch(ops: readonly IndexOp[], options: object): Promise<void>
  iterator(options: object): LevelIterator
}

/**
 * Orders two strings as LevelDB orders their UTF-8 bytes (by code point). JavaScript's `<` compares UTF-16 units,
 * which disagrees only where a character beyond U+FFFF meets one in U+E000–U+FFFF; sorts done in memory must agree
 * with the ranges read from disk, or a page would shift between two ways of answering the same query.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs !== ys && (xs ? y : x) >= 0xe000) return xs ? 1 : -1
    return x < y ? -1 : 1
  }
  return a.length - b.length
}

function inRange(key: string, o: RangeOptions): boolean {
  if (o.gte !== undefined && compareKeys(key, o.gte) < 0) return false
  if (o.gt !== undefined && compareKeys(key, o.gt) <= 0) return false
  if (o.lt !== undefined && compareKeys(key, o.lt) >= 0) return false
  if (o.lte !== undefined && compareKeys(key, o.lte) > 0) return false
  return true
}

/**
 * Bytes the binding reads per trip to its thread, at most 1000 entries (its own cap). Its default, 16 KiB, is some 45 rows
 * of the device index: a walk through a million rows (an export, a broad search) took 22,000 trips, each a wait for a
 * thread. Keys alone are small: a merge of hundreds of cells reads a few of each and must not read far ahead.
 */
const ROW_READ_AHEAD = 512 * 1024
const KEY_READ_AHEAD = 16 * 1024

function destroy(location: string): Promise<void> {
  return call((done) => leveldown.destroy(location, done))
}

async function openRaw(location: string): Promise<RawLevel> {
  ensurePrivateDir(location)
  tightenFiles(location)
  const binding = leveldown(location)
  // A larger write buffer than LevelDB's 4 MB: an import writes millions of small entries in random order, and fewer,
  // larger level-0 files mean less compaction (a third less CPU for a 100,000-device import).
  await call((done) => binding.open({ createIfMissing: true, writeBufferSize: 32 * 1024 * 1024 }, done))
  return {
    approximateSize: (start, end) => call((done) => binding.approximateSize(start, end, done)),
    close: () => call((done) => binding.close(done)),
    get: (key, options) => call((done) => binding.get(key, options, done)),
    getMany: (keys, options) => call((done) => binding.getMany(keys, options, done)),
    batch: (ops, options) => {
      // A chained batch hands each entry over as two strings; an array of operation objects costs LevelDB's binding
      // three property reads per entry, which is most of the time an import spends writing its index.
      const chain = binding.batch()
      for (const op of ops) {
        if (op.type === 'put') chain.put(op.key, op.value)
        else chain.del(op.key)
      }
      return call((done) => chain.write(options, done))
    },
    iterator: (options) => binding.iterator(options),
  }
}

/**
 * Opens (or creates) the index store at `location`. An index whose files are damaged is dropped and started afresh:
 * it holds nothing that cannot be derived again from the workspace. `fresh` says the store starts empty.
 */
export async function openIndexDb(location: string, options: OpenIndexOptions): Promise<{ db: IndexDb; fresh: boolean }> {
  let raw: RawLevel
  let fresh = false
  try {
    raw = await openRaw(location)
  } catch (e) {
    if (storageProblem(e) !== undefined || !/corrupt/i.test(e instanceof Error ? e.message : '')) throw e
    await destroy(location)
    raw = await openRaw(location)
    fresh = true
  }
  const readOptions = { asBuffer: false }
  const writeOptions = options.durable ? { sync: true } : {}
  /** Writes the disk refused, newest value per key (null: deleted), until a later write saves them. */
  const overlay = new Map<string, string | null>()

  const db: IndexDb = {
    async get(key) {
      if (overlay.has(key)) return overlay.get(key) ?? undefined
      try {
        return await raw.get(key, readOptions)
      } catch (e) {
        if ((e as { code?: string }).code === 'LEVEL_NOT_FOUND' || /NotFound/i.test((e as Error).message)) return undefined
        throw e
      }
    },
    async getMany(keys) {
      if (keys.length === 0) return []
      const values = await raw.getMany(keys, readOptions)
      if (overlay.size === 0) return values
      return keys.map((k, i) => (overlay.has(k) ? (overlay.get(k) ?? undefined) : values[i]))
    },
    async write(ops) {
      const pending: IndexOp[] = overlay.size === 0 ? [] : [...overlay].map(([key, value]) => (value === null ? { type: 'del', key } : { type: 'put', key, value }))
      try {
        await raw.batch(pending.length ? [...pending, ...ops] : ops, writeOptions)
        overlay.clear()
        return { saved: true }
      } catch (e) {
        if (storageProblem(e) === undefined) throw e
        for (const op of ops) overlay.set(op.key, op.type === 'put' ? op.value : null)
        return { saved: false, error: e as Error }
      }
    },
    range(o) {
      const values = o.values !== false
      const { expected, ...bounds } = o
      const reader = rangeBatches(
        raw.iterator,
        { ...bounds, keys: true, values, keyAsBuffer: false, valueAsBuffer: false, highWaterMark: values || (expected ?? 0) > 1000 ? ROW_READ_AHEAD : KEY_READ_AHEAD },
        expected,
      )
      const readBatch = reader.read
      let done = false
      // The refused writes inside the range, in the same order, merged over what the disk holds.
      const extra = overlay.size === 0 ? [] : [...overlay].filter(([k]) => inRange(k, o)).sort(([a], [b]) => (o.reverse ? compareKeys(b, a) : compareKeys(a, b)))
      let from: IndexEntry[] = []
      let at = 0
      const before = (a: string, b: string) => (o.reverse ? compareKeys(a, b) > 0 : compareKeys(a, b) < 0)
      return {
        async next(max) {
          if (extra.length === 0) {
            if (done) return []
            const batch = await readBatch(max)
            done = batch.done
            return batch.entries
          }
          const out: IndexEntry[] = []
          while (out.length < max) {
            if (at >= from.length && !done) {
              const batch = await readBatch(max)
              done = batch.done
              from = batch.entries
              at = 0
            }
            const disk = at < from.length ? from[at] : undefined
            const mem = extra[0]
            if (!disk && !mem) break
            if (mem && (!disk || !before(disk[0], mem[0]))) {
              extra.shift()
              if (disk && disk[0] === mem[0]) at++
              if (mem[1] !== null) out.push([mem[0], mem[1]])
            } else {
              at++
              out.push(disk!)
            }
          }
          return out
        },
        close: () => {
          done = true
          return reader.end()
        },
      }
    },
    approximateSize: (gte, lt) => raw.approximateSize(gte, lt),
    async clear() {
      overlay.clear()
      await raw.close()
      await destroy(location)
      raw = await openRaw(location)
    },
    close: () => raw.close(),
    get unsaved() {
      return overlay.size
    },
  }
  return { db, fresh }
}
