import type { Output, ParsedInput } from '../../../src-shared/contract'
import type { DeviceRow, DeviceSelection, ListColumn } from '../../../src-shared/models/device-query'
import { csvRecord, csvRow, jsonRow } from '../../../src-shared/models/device-table'
import type { ExportJobs, ExportPart } from '../common/export-jobs'
import type { Logger } from '../log/logger'
import type { Db } from '../store/documents'
import type { DeviceIndex } from './listing/device-index'
import { toDeviceRow, type IndexedRow } from './listing/device-row'
import { docIdOfNat } from './listing/keys'
import { DeviceQueries } from './listing/query'
import { SelectionTotals } from './listing/selection-totals'

export interface DeviceListDeps {
  index: DeviceIndex
  db: Db
  logger: Logger
  /** The exports in progress, shared with the other lists that export (`export:next` reads any of them). */
  exports: ExportJobs
}

const metadataFieldsOf = (columns: readonly ListColumn[]) => columns.filter((c) => c.startsWith('metadata.')).map((c) => c.slice('metadata.'.length))

/**
 * The device list's channels: pages, counts and facets, and exports, answered from the device index (never from the
 * documents, except the metadata fields a page or an export asks for, read for its rows only). Every answer first
 * applies what the workspace holds beyond the index, so a change the operator just made is in the next page.
 */
export function createDeviceListService({ index, db, logger, exports }: DeviceListDeps) {
  async function current(): Promise<void> {
    // A failure to apply the latest changes (a damaged index batch) must not stop the list from answering with what
    // the index holds; it is logged, and the next query tries again.
    await index.sync().catch((e: unknown) => logger.error({ err: e }, 'the device index could not apply the latest changes'))
  }

  const queries = () => new DeviceQueries(index.db, index.cells)
  // One for the workspace: the list's estimated totals stay put while the operator changes the sort.
  const totals = new SelectionTotals(() => index.seq)

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

  /**
   * The export's parts, devices read as the export reaches them: one changed meanwhile is written as it is then, one
   * removed meanwhile is left out. Ending the parts early (cancel, idle) closes the walk through the index.
   */
  async function* exportParts(selection: DeviceSelection, columns: ListColumn[], format: 'csv' | 'jsonl'): AsyncGenerator<ExportPart, void, undefined> {
    const rows = queries().rows(selection)
    const fields = metadataFieldsOf(columns)
    const read = () => index.read(() => rows.next())
    // The next batch is read from the index (on LevelDB's threads) while this one is written out (on this one).
    let reading: ReturnType<typeof read> | null = null
    try {
      if (format === 'csv') yield { data: csvRecord(columns), rows: 0 }
      reading = read()
      for (;;) {
        const next = await reading
        reading = null
        if (next.done) return
        reading = read()
        let data = ''
        for (const row of await deviceRows(next.value, fields)) data += format === 'csv' ? csvRow(row, columns) : jsonRow(row, columns)
        yield { data, rows: next.value.length }
      }
    } finally {
      // A read under way is let finish before the walk is closed (a generator cannot be returned while it runs).
      await reading?.catch(() => undefined)
      await rows.return(undefined)
    }
  }

  return {
    async query(input: ParsedInput<'devices:query'>): Promise<Output<'devices:query'>> {
      await current()
      return index.read(async () => {
        const page = await queries().page(input.query, input.offset, input.limit, totals)
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
      exports.assertRoom()
      await current()
      const total = (await index.read(() => queries().tally(input.selection, []))).total
      return exports.start(total, exportParts(input.selection, input.columns, input.format))
    },
  }
}

export type DeviceListService = ReturnType<typeof createDeviceListService>
