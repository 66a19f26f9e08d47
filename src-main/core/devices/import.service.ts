import { randomUUID } from 'node:crypto'
import type { ImportReport, ImportRowError } from '../../../src-shared/contract'
import type { CallContext } from '../common/call-context'
import { AppError } from '../common/errors'
import { throttled, type EventBus } from '../common/events'
import { appendAudit } from '../store/audit.store'
import { deviceDocId, newDeviceDoc, type DeviceDoc, type DeviceIndex } from '../store/devices.store'
import { assertBulkOk, type Db } from '../store/documents'
import { createParser, formatFor, type ImportFormat, type ParsedRow, type RowParser } from './import-parsers'
import { rowToDevice } from './import-rows'

const BATCH = 500
const MAX_REPORTED_ERRORS = 1000
/** An import nobody feeds for this long (a closed window) is ended and audited as abandoned. */
const IDLE_MS = 10 * 60 * 1000

interface Job {
  id: string
  fileName: string
  format: ImportFormat
  parser: RowParser
  seen: Set<string>
  batch: DeviceDoc[]
  rows: number
  added: number
  failed: number
  errors: ImportRowError[]
  /** Chunks are processed one after another even if a transport delivers calls concurrently. */
  queue: Promise<unknown>
  idle: NodeJS.Timeout
  actor: string
  progress: ReturnType<typeof throttled<'job:progress'>>
}

export interface ImportDeps {
  db: Db
  index: DeviceIndex
  bus: EventBus
}

/**
 * Imports are streamed: the file arrives in chunks (over the bridge from the UI, or read from disk by the
 * CLI) and is written in batches, so a file of any size never sits in memory. Every batch is acknowledged
 * by the store before the next chunk is accepted.
 */
export function createImportService({ db, index, bus }: ImportDeps) {
  const jobs = new Map<string, Job>()

  function job(id: string): Job {
    const j = jobs.get(id)
    if (!j) throw AppError.withRef('NOT_FOUND', `No import in progress with id ${id}`, { key: 'import.noJob' })
    return j
  }

  function touch(j: Job): void {
    j.idle.refresh()
  }

  function report(j: Job): ImportReport {
    return { jobId: j.id, rows: j.rows, added: j.added, failed: j.failed, errors: j.errors }
  }

  function publish(j: Job, done: boolean): void {
    const payload = { jobId: j.id, kind: 'import' as const, rows: j.rows, added: j.added, failed: j.failed, done }
    if (done) {
      j.progress.push(payload)
      j.progress.flush()
    } else j.progress.push(payload)
  }

  function fail(j: Job, row: number, message: string, ref: ImportRowError['ref']): void {
    j.failed++
    if (j.errors.length < MAX_REPORTED_ERRORS) j.errors.push({ row, message, ref })
  }

  async function flush(j: Job): Promise<void> {
    if (j.batch.length === 0) return
    const docs = j.batch
    j.batch = []
    assertBulkOk(await db.bulkDocs(docs))
    for (const d of docs) index.upsert(d)
    j.added += docs.length
  }

  async function consume(j: Job, rows: ParsedRow[]): Promise<void> {
    const now = new Date().toISOString()
    for (const r of rows) {
      j.rows++
      if ('error' in r) {
        fail(j, r.row, r.error.message, r.error.ref)
        continue
      }
      const outcome = rowToDevice(r.fields)
      if (!outcome.ok) {
        fail(j, r.row, outcome.message, outcome.ref)
        continue
      }
      const id = deviceDocId(outcome.device)
      const label = `${outcome.device.typeId}/${outcome.device.deviceId}`
      if (j.seen.has(id)) {
        fail(j, r.row, `Device ${label} appears more than once in this file`, { key: 'import.duplicate', params: { id: label } })
        continue
      }
      if (index.has(id)) {
        fail(j, r.row, `Device ${label} already exists`, { key: 'import.exists', params: { id: label } })
        continue
      }
      j.seen.add(id)
      j.batch.push(newDeviceDoc(outcome.device, now))
      if (j.batch.length >= BATCH) await flush(j)
    }
    publish(j, false)
  }

  async function close(j: Job, outcome: 'ok' | 'failed', detail: string): Promise<void> {
    clearTimeout(j.idle)
    jobs.delete(j.id)
    await appendAudit(db, {
      actor: j.actor,
      action: 'devices.import',
      target: j.fileName,
      outcome,
      after: { rows: j.rows, added: j.added, failed: j.failed },
      detail,
    })
    publish(j, true)
    if (j.added > 0) bus.emit('devices:changed', { reason: 'imported' })
    bus.emit('audit:changed', {})
  }

  /** Runs one step of a job after the previous one; a failed step ends the job and is audited. */
  function step<T>(j: Job, work: () => Promise<T>): Promise<T> {
    const run = j.queue.then(async () => {
      try {
        return await work()
      } catch (e) {
        if (jobs.has(j.id)) {
          await flush(j).catch(() => undefined)
          await close(j, 'failed', e instanceof Error ? e.message : 'import failed')
        }
        throw e
      }
    })
    j.queue = run.catch(() => undefined)
    return run
  }

  return {
    start(input: { fileName: string; format?: ImportFormat | undefined }, ctx: CallContext): { jobId: string; format: ImportFormat } {
      const format = input.format ?? formatFor(input.fileName)
      const id = randomUUID()
      const j: Job = {
        id,
        fileName: input.fileName,
        format,
        parser: createParser(format),
        seen: new Set(),
        batch: [],
        rows: 0,
        added: 0,
        failed: 0,
        errors: [],
        queue: Promise.resolve(),
        idle: setTimeout(() => void step(j, async () => { await flush(j); await close(j, 'failed', 'abandoned: no data received for 10 minutes') }).catch(() => undefined), IDLE_MS),
        actor: ctx.actor,
        progress: throttled(bus, 'job:progress'),
      }
      j.idle.unref?.()
      jobs.set(id, j)
      return { jobId: id, format }
    },

    chunk(jobId: string, text: string): Promise<{ rows: number }> {
      const j = job(jobId)
      touch(j)
      return step(j, async () => {
        await consume(j, await j.parser.write(text))
        return { rows: j.rows }
      })
    },

    finish(jobId: string): Promise<ImportReport> {
      const j = job(jobId)
      return step(j, async () => {
        await consume(j, await j.parser.end())
        await flush(j)
        await close(j, 'ok', `${j.added} added, ${j.failed} refused of ${j.rows} rows`)
        return report(j)
      })
    },

    cancel(jobId: string): Promise<{ cancelled: boolean }> {
      const j = jobs.get(jobId)
      if (!j) return Promise.resolve({ cancelled: false })
      return step(j, async () => {
        // Rows already written were acknowledged and stay; the batch in hand is written too, so the
        // report's "added" is exactly what the workspace holds.
        await flush(j)
        await close(j, 'failed', `cancelled by the operator after ${j.rows} rows (${j.added} added)`)
        return { cancelled: true }
      })
    },

    get active(): number {
      return jobs.size
    },
  }
}

export type ImportService = ReturnType<typeof createImportService>
