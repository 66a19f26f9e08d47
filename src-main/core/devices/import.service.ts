import { randomUUID } from 'node:crypto'
import { parse as parseCsv } from 'csv-parse/sync'
import type { ImportReport, ImportRowError } from '../../../src-shared/contract'
import { refusedRows } from '../../../src-shared/models/import-counts'
import type { CallContext } from '../common/call-context'
import { AppError } from '../common/errors'
import { throttled, type EventBus } from '../common/events'
import { auditDoc, type AuditInput } from '../store/audit.store'
import { latestSeq } from '../store/changes-feed'
import { newDeviceDoc, type DeviceDoc } from '../store/devices.store'
import { assertBulkOk, getOrNull, type BaseDoc, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import { createDecoder, type Decoded, type ImportDecoder, type ImportEncoding } from './import-decoder'
import { createParser, formatFor, type ImportFormat, type ParsedChunk, type ParsedRow, type RowParser } from './import-parsers'
import { rowToDevice } from './import-rows'
import { createSeenIds, type SeenIds } from './import-seen'
import type { DeviceIndex } from './listing/device-index'

/**
 * Devices per batch (one bulkDocs call, one audit entry, one synced write of the workspace and of the index): large,
 * because every batch pays a sync of each store and PouchDB's bookkeeping of a call, small enough to stay a few
 * megabytes in memory.
 */
export const IMPORT_BATCH = 5000
/** Refused rows the report lists, other than devices already there (ImportReport.errors says why two bounds). */
const MAX_REPORTED_ERRORS = 1000
/** Rows naming a device the workspace held already that the report lists: a re-run import refuses thousands. */
const MAX_REPORTED_EXISTING = 100
/** Longest refused row the report copies, in characters: a thousand of them stay a small report. */
const MAX_COPIED_ROW_CHARS = 8 * 1024
/**
 * How often, at most, the lists showing devices are told that an import added some: often enough for an operator to
 * see the devices arrive, rarely enough that reading the list again costs the import nothing to speak of.
 */
const LIST_REFRESH_MS = 2000
/** An import nobody feeds for this long (a closed window) is ended and audited as abandoned. */
const IDLE_MS = 10 * 60 * 1000

/** What the workspace knows of an import while it runs: enough to tell the truth about it after a crash. */
interface RunningImport {
  fileName: string
  actor: string
  startedAt: string
  rows: number
  added: number
  failed: number
  /**
   * Of `failed`, the rows whose device was there already. A record an earlier build wrote lacks it: its `failed` holds
   * both, and what is said of it does not pretend to know the split.
   */
  existing?: number
}

/**
 * The imports that have started and not ended, per machine (`_local/`: never replicated, a teammate's workspace
 * must not report this machine's interrupted import). It is written in the same bulkDocs call as each batch, so it
 * always states what the workspace holds.
 */
interface ImportsDoc extends BaseDoc {
  kind: 'imports'
  running: Record<string, RunningImport>
}

const IMPORTS_ID = '_local/imports'

/** An import the last run of the process did not live to end, as its last acknowledged batch left it. */
export type InterruptedImport = Pick<RunningImport, 'fileName' | 'startedAt' | 'rows' | 'added' | 'failed' | 'existing'>

interface Job {
  id: string
  fileName: string
  format: ImportFormat
  encoding: ImportEncoding
  decoder: ImportDecoder
  parser: RowParser
  /** The devices the batches already written named (added, or refused as already there), by document ID. */
  seen: SeenIds
  /** The document IDs of the batch in hand, to refuse a device it names twice before the batch is written. */
  inBatch: Set<string>
  batch: { doc: DeviceDoc; row: number; source: string | undefined }[]
  batches: number
  rows: number
  added: number
  failed: number
  /** Of `failed`, rows whose device was there before (or another writer added meanwhile). */
  existing: number
  errors: ImportRowError[]
  /** How many of `errors` are of each kind, for their bounds. */
  listed: { existing: number; other: number }
  /** Chunks are processed one after another even if a transport delivers calls concurrently. */
  queue: Promise<unknown>
  idle: NodeJS.Timeout
  actor: string
  startedAt: string
  progress: ReturnType<typeof throttled<'job:progress'>>
  /** The lists showing devices, told as batches land (not per batch: a million devices make 200 of them). */
  changed: ReturnType<typeof throttled<'devices:changed'>>
}

export interface ImportDeps {
  db: Db
  index: DeviceIndex
  bus: EventBus
}

const duplicateMessage = (label: string) => `Device ${label} appears more than once in this file`

function detailOf(j: Pick<Job, 'id' | 'rows' | 'added' | 'failed'> & { existing?: number | undefined }): string {
  // The devices already there are not refused rows: said apart (`failed` counts both), unless the record is an earlier
  // build's, which did not count them apart.
  if (j.existing === undefined) return `import ${j.id}: ${j.added} added, ${j.failed} refused or already there of ${j.rows} rows`
  const existing = j.existing ? `, ${j.existing} already there` : ''
  return `import ${j.id}: ${j.added} added${existing}, ${refusedRows({ failed: j.failed, existing: j.existing })} refused of ${j.rows} rows`
}

/**
 * Imports are streamed: the file arrives in chunks of bytes (over the IPC transport from the UI, or read from disk
 * by the CLI), is decoded here (so that what is not text is refused with its line and byte offset, whoever sent
 * it), and is written in batches, so a file of any size never sits in memory. Every batch is acknowledged by the
 * store before the next chunk is accepted.
 *
 * The audit trail tells the truth whatever happens to the process: an import's start is recorded before any
 * device is written, each batch is written in one bulkDocs call with its own audit entry and the running counts,
 * and the end is recorded with the final counts. An import the process did not live to end is found at the next
 * start (`recover`) and recorded as interrupted, with the devices its acknowledged batches added.
 */
export function createImportService({ db, index, bus }: ImportDeps) {
  const jobs = new Map<string, Job>()
  let imports: ImportsDoc | null = null
  /** Every write of the imports document goes through here, so its revision is always the last one written. */
  let writes: Promise<unknown> = Promise.resolve()

  async function importsDoc(): Promise<ImportsDoc> {
    imports ??= (await getOrNull<ImportsDoc>(db, IMPORTS_ID)) ?? { _id: IMPORTS_ID, kind: 'imports', schemaVersion: CURRENT_SCHEMA.imports, running: {} }
    return imports
  }

  /** The device index's work on the last batch written; the next batch waits for it, so the index never lags far. */
  let indexing: Promise<void> = Promise.resolve()

  /**
   * Writes `docs` and the imports document as `change` leaves it, in one bulkDocs call, and hands the documents to
   * the device index with the sequence numbers around the write (the index takes them directly when no other write
   * came in between, instead of reading back a million devices from the changes feed).
   */
  function writeWith(docs: BaseDoc[], change: (running: Record<string, RunningImport>) => void): Promise<void> {
    const run = writes.then(async () => {
      await indexing
      const current = await importsDoc()
      const running = { ...current.running }
      change(running)
      const next: ImportsDoc = { ...current, running }
      const before = await latestSeq(db)
      const results = await db.bulkDocs([...docs, next])
      // bulkDocs writes each document it can, refusing the others one by one (a device another writer added since the
      // check, 409): the imports document is known as written, or read again, so that the next write does not conflict.
      const own = results.at(-1)
      imports = own && !('error' in own && own.error) ? { ...next, _rev: (own as PouchDB.Core.Response).rev } : null
      try {
        assertBulkOk(results)
      } catch (e) {
        throw Object.assign(e as Error, { devicesWritten: docs.filter((d, i) => d._id.startsWith('device:') && !('error' in results[i]! && results[i].error)).length })
      }
      const after = await latestSeq(db)
      const written = docs.map((d, i) => ({ ...d, _rev: (results[i] as PouchDB.Core.Response).rev }))
      // Should the index fail to take them, they stay in the changes feed, which the next query applies.
      indexing = index.written(written, { before, after }).catch(() => undefined)
    })
    writes = run.catch(() => undefined)
    return run
  }

  function running(j: Job): RunningImport {
    return { fileName: j.fileName, actor: j.actor, startedAt: j.startedAt, rows: j.rows, added: j.added, failed: j.failed, existing: j.existing }
  }

  function audit(j: Job, entry: Omit<AuditInput, 'actor' | 'target'>) {
    return auditDoc({ actor: j.actor, target: j.fileName, ...entry })
  }

  const noJob = (id: string) => AppError.withRef('NOT_FOUND', `No import in progress with id ${id}`, { key: 'import.noJob' })

  function job(id: string): Job {
    const j = jobs.get(id)
    if (!j) throw noJob(id)
    return j
  }

  function report(j: Job): ImportReport {
    // Rows found to exist already are refused when their batch is written, after later rows' own refusals.
    const columns = j.parser.header
    // The rows to fix first, then the devices already there: a re-run import lists a hundred of those before row 49,992.
    const existing = (e: ImportRowError) => (e.ref?.key === 'import.exists' ? 1 : 0)
    const errors = [...j.errors].sort((a, b) => existing(a) - existing(b) || a.row - b.row)
    return { jobId: j.id, rows: j.rows, added: j.added, failed: j.failed, existing: j.existing, errors, ...(columns ? { columns } : {}) }
  }

  /**
   * A refused row's cells as the file wrote them (untrimmed). Only records csv-parse read whole carry their text, so
   * reading one again cannot fail; should it, the text goes as one cell rather than be lost.
   */
  function cellsOf(j: Job, source: string | undefined): string[] | undefined {
    if (source === undefined || source.length > MAX_COPIED_ROW_CHARS) return undefined
    // The line break is taken off here, for the few rows refused, rather than copying every row's text as it is read.
    const text = source.replace(/\r?\n$|\r$/, '')
    if (j.format !== 'csv') return [text]
    try {
      const [cells] = parseCsv(text, { relax_column_count: true }) as string[][]
      return cells ?? [text]
    } catch {
      return [text]
    }
  }

  function publish(j: Job, done: boolean): void {
    const payload = { jobId: j.id, kind: 'import' as const, rows: j.rows, added: j.added, failed: j.failed, existing: j.existing, done }
    j.progress.push(payload)
    if (done) j.progress.flush()
  }

  function fail(j: Job, row: number, source: string | undefined, message: string, ref: ImportRowError['ref']): void {
    j.failed++
    const kind = ref?.key === 'import.exists' ? 'existing' : 'other'
    if (kind === 'existing') j.existing++
    if (j.listed[kind] >= (kind === 'existing' ? MAX_REPORTED_EXISTING : MAX_REPORTED_ERRORS)) return
    j.listed[kind]++
    const cells = cellsOf(j, source)
    j.errors.push(cells ? { row, message, ref, cells } : { row, message, ref })
  }

  /**
   * Refuses the rows of `batch` whose device the workspace holds already: named by an earlier batch of this file (a
   * duplicate), or there before the import. Asked of the device index (caught up with the workspace first): PouchDB
   * answers a list of keys with one range read per key, which costs an import a third of its time.
   */
  async function withoutExisting(j: Job, batch: Job['batch']): Promise<Job['batch']> {
    await indexing
    const held = await index.holds(batch.map((b) => b.doc))
    const kept = batch.filter((b, i) => {
      if (!held[i]) return true
      const label = `${b.doc.typeId}/${b.doc.deviceId}`
      if (j.seen.has(b.doc._id)) fail(j, b.row, b.source, duplicateMessage(label), { key: 'import.duplicate', params: { id: label } })
      else fail(j, b.row, b.source, `Device ${label} already exists`, { key: 'import.exists', params: { id: label } })
      return false
    })
    for (const b of batch) j.seen.add(b.doc._id)
    return kept
  }

  async function flush(j: Job): Promise<void> {
    if (j.batch.length === 0) return
    const batch = await withoutExisting(j, j.batch)
    j.batch = []
    j.inBatch.clear()
    if (batch.length === 0) return
    const docs = batch.map((b) => b.doc)
    const first = batch[0]!.row
    const last = batch.at(-1)!.row
    j.batches++
    j.added += docs.length
    const label = (d: DeviceDoc) => `${d.typeId}/${d.deviceId}`
    // The rows and the first and last device name the batch; listing its thousands of devices would make a million-device
    // import weigh tens of megabytes in the trail every Activity page reads.
    const entry = audit(j, {
      action: 'devices.import.batch',
      outcome: 'ok',
      after: { jobId: j.id, batch: j.batches, added: docs.length, rows: [first, last], first: label(docs[0]!), last: label(docs.at(-1)!) },
      detail: `import ${j.id}, batch ${j.batches}: ${docs.length} devices added from rows ${first}–${last}`,
    })
    try {
      await writeWith([...docs, entry], (r) => {
        r[j.id] = running(j)
      })
    } catch (e) {
      // The devices bulkDocs wrote stay (the batch's entry names them all): the end entry counts only those.
      j.added -= docs.length - ((e as { devicesWritten?: number }).devicesWritten ?? 0)
      throw e
    }
    // Once the index holds them, so that the list read again finds them.
    void indexing.then(() => j.changed.push({ reason: 'imported' }))
  }

  async function consume(j: Job, rows: ParsedRow[]): Promise<void> {
    const now = new Date().toISOString()
    for (const r of rows) {
      j.rows++
      if ('error' in r) {
        fail(j, r.row, r.source, r.error.message, r.error.ref)
        continue
      }
      const outcome = rowToDevice(r.fields)
      if (!outcome.ok) {
        fail(j, r.row, r.source, outcome.message, outcome.ref)
        continue
      }
      const doc = newDeviceDoc(outcome.device, now)
      // A device an earlier batch named is the workspace's by now: the batch's check against the index finds it.
      if (j.inBatch.has(doc._id)) {
        const label = `${doc.typeId}/${doc.deviceId}`
        fail(j, r.row, r.source, duplicateMessage(label), { key: 'import.duplicate', params: { id: label } })
        continue
      }
      j.inBatch.add(doc._id)
      j.batch.push({ doc, row: r.row, source: r.source })
      if (j.batch.length >= IMPORT_BATCH) await flush(j)
    }
    publish(j, false)
  }

  async function close(j: Job, outcome: 'ok' | 'failed', why: string, cancelled = false): Promise<void> {
    clearTimeout(j.idle)
    jobs.delete(j.id)
    await writeWith(
      [
        audit(j, {
          action: 'devices.import',
          outcome,
          after: { jobId: j.id, rows: j.rows, added: j.added, failed: j.failed, existing: j.existing, ...(cancelled ? { cancelled } : {}) },
          detail: `${detailOf(j)}${why ? `; ${why}` : ''}`,
        }),
      ],
      (r) => {
        delete r[j.id]
      },
    )
    await indexing
    publish(j, true)
    if (j.added > 0) bus.emit('devices:changed', { reason: 'imported' })
    bus.emit('audit:changed', {})
  }

  /**
   * Runs one step of a job after the previous one; a failed step ends the job and is audited. A step queued behind the
   * one that ended the job (a chunk sent while the cancel was under way) is refused: run, it would write a batch after
   * the job's end entry and record the job as running again (reported as interrupted at the next start). `ended`
   * answers such a step instead (by default it is refused as for a job that never was).
   */
  function step<T>(
    j: Job,
    work: () => Promise<T>,
    ended: () => T = () => {
      throw noJob(j.id)
    },
  ): Promise<T> {
    const run = j.queue.then(async () => {
      if (jobs.get(j.id) !== j) return ended()
      try {
        return await work()
      } catch (e) {
        if (jobs.has(j.id)) {
          await flush(j).catch(() => undefined)
          await close(j, 'failed', e instanceof Error ? e.message : 'import failed').catch(() => undefined)
        }
        throw e
      }
    })
    j.queue = run.catch(() => undefined)
    return run
  }

  /** The chunk's bytes; base64 that does not encode back to itself was altered on the way and is refused. */
  function bytesOf(data: string): Buffer {
    const bytes = Buffer.from(data, 'base64')
    if (bytes.toString('base64') !== data) throw AppError.withRef('VALIDATION', 'An import chunk arrived damaged (it is not base64); the import stops', { key: 'import.badChunk' })
    return bytes
  }

  /** Consumes what the parser read, then stops the import if the file cannot be read any further. */
  async function take(j: Job, parsed: ParsedChunk): Promise<void> {
    await consume(j, parsed.rows)
    if (parsed.stop) throw parsed.stop
  }

  async function feed(j: Job, decoded: Decoded): Promise<void> {
    await take(j, await j.parser.write(decoded.text, decoded.problems))
  }

  return {
    /** Records, at start, every import the last run of the process did not live to end, and says which they were. */
    async recover(): Promise<InterruptedImport[]> {
      const interrupted = Object.entries((await importsDoc()).running)
      if (interrupted.length === 0) return []
      // An earlier build's record has no `existing`: none is written for it rather than a false 0.
      const counts = (r: RunningImport) => ({ rows: r.rows, added: r.added, failed: r.failed, ...(r.existing === undefined ? {} : { existing: r.existing }) })
      const entries = interrupted.map(([jobId, r]) =>
        auditDoc({
          actor: r.actor,
          action: 'devices.import.interrupted',
          target: r.fileName,
          outcome: 'failed',
          after: { jobId, ...counts(r), startedAt: r.startedAt },
          detail: `${detailOf({ id: jobId, ...r })} when the process stopped; the devices of its acknowledged batches are kept, the rest of the file was not imported`,
        }),
      )
      await writeWith(entries, (running) => {
        for (const [jobId] of interrupted) delete running[jobId]
      })
      return interrupted.map(([, r]) => ({ fileName: r.fileName, startedAt: r.startedAt, ...counts(r) }))
    },

    async start(input: { fileName: string; format?: ImportFormat | undefined; encoding?: ImportEncoding | undefined }, ctx: CallContext): Promise<{ jobId: string; format: ImportFormat }> {
      const format = input.format ?? formatFor(input.fileName)
      const encoding = input.encoding ?? 'utf-8'
      const id = randomUUID()
      const j: Job = {
        id,
        fileName: input.fileName,
        format,
        encoding,
        decoder: createDecoder(encoding),
        parser: createParser(format),
        seen: createSeenIds(),
        inBatch: new Set(),
        batch: [],
        batches: 0,
        rows: 0,
        added: 0,
        failed: 0,
        existing: 0,
        errors: [],
        listed: { existing: 0, other: 0 },
        queue: Promise.resolve(),
        idle: setTimeout(
          () => void step(j, () => Promise.reject(AppError.withRef('TIMEOUT', 'abandoned: no data received for 10 minutes', { key: 'import.abandoned' }))).catch(() => undefined),
          IDLE_MS,
        ),
        actor: ctx.actor,
        startedAt: new Date().toISOString(),
        progress: throttled(bus, 'job:progress'),
        changed: throttled(bus, 'devices:changed', LIST_REFRESH_MS),
      }
      j.idle.unref?.()
      try {
        await writeWith([audit(j, { action: 'devices.import.start', outcome: 'ok', after: { jobId: id, format, encoding }, detail: `import ${id} started (${format}, ${encoding})` })], (r) => {
          r[id] = running(j)
        })
      } catch (e) {
        clearTimeout(j.idle)
        throw e
      }
      jobs.set(id, j)
      bus.emit('audit:changed', {})
      return { jobId: id, format }
    },

    chunk(jobId: string, data: string): Promise<{ rows: number }> {
      const j = job(jobId)
      j.idle.refresh()
      return step(j, async () => {
        await feed(j, j.decoder.write(bytesOf(data)))
        return { rows: j.rows }
      })
    },

    finish(jobId: string): Promise<ImportReport> {
      const j = job(jobId)
      return step(j, async () => {
        await feed(j, j.decoder.end())
        await take(j, await j.parser.end([]))
        await flush(j)
        await close(j, 'ok', '')
        return report(j)
      })
    },

    cancel(jobId: string): Promise<{ cancelled: boolean }> {
      const j = jobs.get(jobId)
      if (!j) return Promise.resolve({ cancelled: false })
      return step<{ cancelled: boolean }>(
        j,
        async () => {
          // Rows already written were acknowledged and stay; the batch in hand is written too, so the
          // report's "added" is exactly what the workspace holds.
          await flush(j)
          await close(j, 'failed', `cancelled by the operator after ${j.rows} rows; the devices added stay`, true)
          return { cancelled: true }
        },
        // Ended while this cancel waited (another cancel, a failed chunk, the end of the file): nothing more to stop.
        () => ({ cancelled: false }),
      )
    },

    get active(): number {
      return jobs.size
    },
  }
}

export type ImportService = ReturnType<typeof createImportService>
