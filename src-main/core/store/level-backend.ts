import { createRequire } from 'node:module'

/** The part of leveldown (LevelDB's Node binding) that PouchDB's adapter calls to write. */
interface LevelDown {
  _open(options: object, callback: (error?: Error) => void): void
  _get(key: unknown, options: object, callback: (error?: Error | null, value?: unknown) => void): void
  _getMany(keys: unknown[], options: object, callback: (error?: Error | null, values?: unknown[]) => void): void
  _put(key: unknown, value: unknown, options: object, callback: (error?: Error) => void): void
  _del(key: unknown, options: object, callback: (error?: Error) => void): void
  _batch(operations: unknown[], options: object, callback: (error?: Error) => void): void
  _chainedBatch(): { _write(options: object, callback: (error?: Error) => void): void }
}
export type LevelDownFactory = ((location: string) => LevelDown) & { destroy: (location: string, callback: (error?: Error) => void) => void }

/**
 * The leveldown PouchDB itself depends on (resolved from PouchDB's own location, so it is the same build and
 * version as the adapter expects; the project does not depend on leveldown directly).
 */
const fromPouch = createRequire(createRequire(import.meta.url).resolve('pouchdb'))
const leveldown = fromPouch('leveldown') as LevelDownFactory

const WRITE_BUFFER_BYTES = 32 * 1024 * 1024

/** The same leveldown, for the workspace's own indexes beside PouchDB's database (store/index-db.ts types what it uses). */
export const plainLeveldown: (location: string) => unknown = leveldown

/**
 * That leveldown's native binding, private to it: store/level-ranges.ts reads ranges a batch at a time through it
 * where it has the shape leveldown 6.1.1 gives it, hence nothing is assumed of it here.
 */
export const leveldownBinding: Record<string, unknown> = fromPouch('leveldown/binding')

export interface BackendSwitches {
  /** Every write is synced to the disk before it is acknowledged (LevelDB's `sync`: fdatasync of its log). */
  durable: boolean
  /** Set once a read-only copy is open: every write is refused, with an error the dispatcher names. */
  readOnly: boolean
}

function refused(callback: (error?: Error) => void): void {
  process.nextTick(callback, Object.assign(new Error('The workspace is open read-only: its data folder cannot be written'), { code: 'EROFS' }))
}

type GetCallback = (error?: Error | null, value?: unknown) => void

/**
 * One error for every key LevelDB lacks: an import asks for thousands of documents that do not exist yet, and an Error
 * captures a stack trace when made (levelup, the one reader, wraps it in an error of its own and changes nothing of it).
 */
const NOT_FOUND = new Error('NotFound: ')

/**
 * Reads of single keys made in the same turn of the event loop, sent to LevelDB as one `getMany` per kind of read.
 * PouchDB's bulkDocs reads every document's current state with a `get` of its own before writing it: an import batch of
 * thousands of documents made thousands of trips to the binding's threads, each with its own callback, a tenth of the
 * import's time. One getMany reads them in one trip. A key LevelDB lacks fails as `get` fails (a "NotFound" error).
 */
function coalescedGets(db: LevelDown): LevelDown['_get'] {
  const getMany = db._getMany.bind(db)
  const waiting = new Map<string, { options: object; keys: unknown[]; callbacks: GetCallback[] }>()
  const send = () => {
    const groups = [...waiting.values()]
    waiting.clear()
    for (const { options, keys, callbacks } of groups) {
      getMany(keys, options, (error, values) => {
        callbacks.forEach((callback, i) => {
          if (error) callback(error)
          else if (values?.[i] === undefined) callback(NOT_FOUND)
          else callback(null, values[i])
        })
      })
    }
  }
  return (key, options, callback) => {
    const { asBuffer, fillCache } = options as { asBuffer?: boolean; fillCache?: boolean }
    const kind = `${asBuffer !== false}:${fillCache !== false}`
    let group = waiting.get(kind)
    if (!group) {
      if (waiting.size === 0) process.nextTick(send)
      waiting.set(kind, (group = { options: { asBuffer: asBuffer !== false, fillCache: fillCache !== false }, keys: [], callbacks: [] }))
    }
    group.keys.push(key)
    group.callbacks.push(callback)
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
    const open = db._open.bind(db)
    // LevelDB's 4 MB write buffer made an import of hundreds of thousands of devices flush and compact level-0 files
    // all along: 32 MB, as the device index has (store/index-db.ts), took a fifth off PouchDB's own CPU for a
    // 300,000-device import (import-floor) and 3 % off a whole import of a million.
    db._open = (given, callback) => open({ ...given, writeBufferSize: WRITE_BUFFER_BYTES }, callback)
    const put = db._put.bind(db)
    const del = db._del.bind(db)
    const batch = db._batch.bind(db)
    const chained = db._chainedBatch.bind(db)
    const options = (given: object) => (switches.durable ? { ...given, sync: true } : given)
    db._get = coalescedGets(db)
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
