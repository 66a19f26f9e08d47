import { createRequire } from 'node:module'

/** The part of leveldown (LevelDB's Node binding) that PouchDB's adapter calls to write. */
interface LevelDown {
  _get(key: unknown, options: GetOptions, callback: (error: Error | null, value?: unknown) => void): void
  _getMany(keys: unknown[], options: GetOptions, callback: (error: Error | null, values?: unknown[]) => void): void
  _put(key: unknown, value: unknown, options: object, callback: (error?: Error) => void): void
  _del(key: unknown, options: object, callback: (error?: Error) => void): void
  _batch(operations: unknown[], options: object, callback: (error?: Error) => void): void
  _chainedBatch(): { _write(options: object, callback: (error?: Error) => void): void }
}
interface GetOptions {
  asBuffer?: boolean
  fillCache?: boolean
}
export type LevelDownFactory = ((location: string) => LevelDown) & { destroy: (location: string, callback: (error?: Error) => void) => void }

/**
 * The leveldown PouchDB itself depends on (resolved from PouchDB's own location, so it is the same build and
 * version as the adapter expects; the project does not depend on leveldown directly).
 */
const fromPouch = createRequire(createRequire(import.meta.url).resolve('pouchdb'))
const leveldown = fromPouch('leveldown') as LevelDownFactory

/** The same leveldown, for the workspace's own indexes beside PouchDB's database (store/index-db.ts types what it uses). */
export const plainLeveldown: (location: string) => unknown = leveldown

export interface BackendSwitches {
  /** Every write is synced to the disk before it is acknowledged (LevelDB's `sync`: fdatasync of its log). */
  durable: boolean
  /** Set once a read-only copy is open: every write is refused, with an error the dispatcher names. */
  readOnly: boolean
}

function refused(callback: (error?: Error) => void): void {
  process.nextTick(callback, Object.assign(new Error('The workspace is open read-only: its data folder cannot be written'), { code: 'EROFS' }))
}

type GetCallback = (error: Error | null, value?: unknown) => void

/**
 * Gets issued in the same tick, answered by one `getMany` per set of options. PouchDB's bulkDocs looks up every
 * document it is given with its own `get` (all at once, before writing): an import batch of thousands of devices
 * would otherwise cross into the binding and its thread pool once per device.
 */
export function coalescedGet(db: Pick<LevelDown, '_getMany'>): LevelDown['_get'] {
  let pending: { key: unknown; options: GetOptions; callback: GetCallback }[] = []
  const flush = () => {
    const taken = pending
    pending = []
    const groups = new Map<string, typeof taken>()
    for (const p of taken) {
      const signature = `${p.options.asBuffer !== false}|${p.options.fillCache !== false}`
      const group = groups.get(signature)
      if (group) group.push(p)
      else groups.set(signature, [p])
    }
    for (const group of groups.values()) {
      db._getMany(
        group.map((p) => p.key),
        group[0]!.options,
        (error, values) => {
          group.forEach((p, i) => {
            if (error) return p.callback(error)
            const value = values?.[i]
            // The error leveldown's own get gives a missing key (levelup recognises it by its message).
            if (value === undefined) return p.callback(new Error('NotFound: '))
            p.callback(null, value)
          })
        },
      )
    }
  }
  return (key, options, callback) => {
    if (pending.length === 0) process.nextTick(flush)
    pending.push({ key, options, callback })
  }
}

/**
 * leveldown with Fieldline's write rules, passed to PouchDB as its `db`. PouchDB's LevelDB adapter never passes
 * write options down (it calls `batch(ops, callback)`), so without this LevelDB acknowledges a write once it is in
 * the operating system's cache: safe from a killed process, lost in a power cut. With `durable`, each acknowledged
 * write (one PouchDB call: a change and its audit entry, or an import batch of 500 devices) is synced first, and
 * LevelDB groups writes that arrive together into one sync.
 */
export function levelBackend(switches: BackendSwitches): LevelDownFactory {
  // PouchDB keys its open databases by this function's name and the location.
  const fieldlineLeveldown = (location: string): LevelDown => {
    const db = leveldown(location)
    db._get = coalescedGet(db)
    const put = db._put.bind(db)
    const del = db._del.bind(db)
    const batch = db._batch.bind(db)
    const chained = db._chainedBatch.bind(db)
    const options = (given: object) => (switches.durable ? { ...given, sync: true } : given)
    db._put = (key, value, given, callback) => (switches.readOnly ? refused(callback) : put(key, value, options(given), callback))
    db._del = (key, given, callback) => (switches.readOnly ? refused(callback) : del(key, options(given), callback))
    db._batch = (operations, given, callback) => (switches.readOnly ? refused(callback) : batch(operations, options(given), callback))
    db._chainedBatch = () => {
      const chain = chained()
      const write = chain._write.bind(chain)
      chain._write = (given, callback) => (switches.readOnly ? refused(callback) : write(options(given), callback))
      return chain
    }
    return db
  }
  return Object.assign(fieldlineLeveldown, { destroy: leveldown.destroy })
}
