import { randomUUID } from 'node:crypto'
import type { Output, ParsedInput } from '../../../src-shared/contract'
import type { DeviceRow, DeviceSelection, ListColumn } from '../../../src-shared/models/device-query'
import { csvRecord, csvRow, jsonRow } from '../../../src-shared/models/device-table'
import { AppError } from '../common/errors'
import type { Logger } from '../log/logger'
import type { Db } from '../store/documents'
import type { DeviceIndex } from './listing/device-index'
import { toDeviceRow, type IndexedRow } from './listing/device-row'
import { docIdOfNat } from './listing/keys'
import { DeviceQueries } from './listing/query'

export interface DeviceListDeps {
  index: DeviceIndex
  db: Db
  logger: Logger
}

/** Text handed out per `export:next`: well under a serve-mode frame, big enough that a million rows take a few hundred calls. */
const EXPORT_CHUNK_CHARS = 512 * 1024
/** Exports running at once; each holds a walk through the index open. */
const MAX_EXPORTS = 4
/** An export nobody reads for this long (a closed window) is ended. */
const EXPORT_IDLE_MS = 10 * 60 * 1000

interface ExportJob {
  rows: AsyncGenerator<{ nat: string; row: IndexedRow }[]>
  columns: ListColumn[]
  format: 'csv' | 'jsonl'
  metadataFields: string[]
  written: number
  total: number
  header: boolean
  idle: NodeJS.Timeout
}

const metadataFieldsOf = (columns: readonly ListColumn[]) => columns.filter((c) => c.startsWith('metadata.')).map((c) => c.slice('metadata.'.length))

/**
 * The device list's channels: pages, counts and facets, and exports, answered from the device index (never from the
 * documents, except the metadata fields a page or an export asks for, read for its rows only). Every answer first
 * applies what the workspace holds beyond the index, so a change the operator just made is in the next page.
 */
export function createDeviceListService({ index, db, logger }: DeviceListDeps) {
  const exports = new Map<string, ExportJob>()

  async function current(): Promise<void> {
    // A failure to apply the latest changes (a damaged index batch) must not stop the list from answering with what
    // the index holds; it is logged, and the next query tries again.
    await index.sync().catch((e: unknown) => logger.error({ err: e }, 'the device index could not apply the latest changes'))
  }

  const queries = () => new DeviceQueries(index.db, index.cells)

  /** Metadata fields of the devices, as text, read from the documents (the index does not hold metadata). */
  async function metadataOf(nats: string[], fields: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>()
    if (fields.length === 0 || nats.length === 0) return out
    const page = await db.allDocs({ keys: nats.map(docIdOfNat), include_docs: true })
    page.rows.forEach((r, i) => {
      const metadata = (r.doc as { metadata?: unknown } | null | undefined)?.metadata
      const picked: Record<string, string> = {}
      if (typeof metadata === 'object' && metadata !== null) {
        for (const f of fields) {
          if (!Object.hasOwn(metadata, f)) continue
          const v = (metadata as Record<string, unknown>)[f]
          if (v !== undefined && v !== null) picked[f] = typeof v === 'string' ? v : JSON.stringify(v)
        }
      }
      out.set(nats[i]!, picked)
    })
    return out
  }

  async function deviceRows(rows: { nat: string; row: IndexedRow }[], fields: readonly string[]): Promise<DeviceRow[]> {
    const metadata = await metadataOf(
      rows.map((r) => r.nat),
      fields,
    )
    return rows.map((r) => toDeviceRow(r.row, metadata.get(r.nat) ?? {}))
  }

  function exportJob(jobId: string): ExportJob {
    const job = exports.get(jobId)
    if (!job) throw AppError.withRef('NOT_FOUND', `No export in progress with id ${jobId}`, { key: 'devices.export.noJob' })
    return job
  }

  async function endExport(jobId: string): Promise<boolean> {
    const job = exports.get(jobId)
    if (!job) return false
    exports.delete(jobId)
    clearTimeout(job.idle)
    await job.rows.return(undefined)
    return true
  }

  return {
    async query(input: ParsedInput<'devices:query'>): Promise<Output<'devices:query'>> {
      await current()
      return index.read(async () => {
        const page = await queries().page(input.query, input.offset, input.limit)
        return { total: page.total, totalExact: page.totalExact, items: await deviceRows(page.rows, input.metadataFields) }
      })
    },

    async count(input: ParsedInput<'devices:count'>): Promise<Output<'devices:count'>> {
      await current()
      return index.read(() => queries().tally(input.selection, input.by))
    },

    /** The list as it was before columns and filters: a text search in natural order, with an exact total. */
    async list(input: ParsedInput<'devices:list'>): Promise<Output<'devices:list'>> {
      await current()
      const query = { text: input.query, filters: {}, sort: 'typeId' as const, descending: false }
      return index.read(async () => {
        const q = queries()
        const page = await q.page(query, input.offset, input.limit)
        const total = page.totalExact ? page.total : (await q.tally({ query, except: [] }, [])).total
        return { total, items: page.rows.map(({ row }) => ({ typeId: row.typeId, deviceId: row.deviceId, description: row.description, extensions: row.extensions })) }
      })
    },

    async startExport(input: ParsedInput<'export:start'>): Promise<Output<'export:start'>> {
      if (exports.size >= MAX_EXPORTS) {
        throw AppError.withRef('RATE_LIMITED', `${MAX_EXPORTS} exports are running already; finish or cancel one first`, { key: 'devices.export.tooMany', params: { max: MAX_EXPORTS } })
      }
      await current()
      const selection: DeviceSelection = input.selection
      const total = (await index.read(() => queries().tally(selection, []))).total
      const jobId = randomUUID()
      const job: ExportJob = {
        rows: queries().rows(selection),
        columns: input.columns,
        format: input.format,
        metadataFields: metadataFieldsOf(input.columns),
        written: 0,
        total,
        header: input.format === 'csv',
        idle: setTimeout(() => void endExport(jobId).catch((e: unknown) => logger.warn({ err: e }, 'an abandoned export could not be closed')), EXPORT_IDLE_MS),
      }
      job.idle.unref?.()
      exports.set(jobId, job)
      return { jobId, total }
    },

    /**
     * The next part of an export. Devices are read as the export reaches them: one changed meanwhile is written as it
     * is then, one removed meanwhile is left out.
     */
    async nextExport(jobId: string): Promise<Output<'export:next'>> {
      const job = exportJob(jobId)
      job.idle.refresh()
      let data = ''
      if (job.header) {
        data += csvRecord(job.columns)
        job.header = false
      }
      let done = false
      while (data.length < EXPORT_CHUNK_CHARS) {
        const next = await index.read(() => job.rows.next())
        if (next.done) {
          done = true
          break
        }
        for (const row of await deviceRows(next.value, job.metadataFields)) data += job.format === 'csv' ? csvRow(row, job.columns) : jsonRow(row, job.columns)
        job.written += next.value.length
      }
      if (done) await endExport(jobId)
      return { data, rows: job.written, total: Math.max(job.total, job.written), done }
    },

    cancelExport: (jobId: string): Promise<boolean> => endExport(jobId),

    async close(): Promise<void> {
      await Promise.all([...exports.keys()].map((id) => endExport(id)))
    },
  }
}

export type DeviceListService = ReturnType<typeof createDeviceListService>
