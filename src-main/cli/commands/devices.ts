import { importCountsText, refusedRows } from '../../../src-shared/models/import-counts'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Command } from 'commander'
import { IMPORT_ENCODINGS, type ImportReport } from '../../../src-shared/contract'
import { DEVICE_COLUMNS, FACET_FIELDS, FILTER_FIELDS, type ListColumn } from '../../../src-shared/models/device-query'
import { cellText, columnValue, csvRecord, csvRow, jsonRow } from '../../../src-shared/models/device-table'
import { exportFileStart } from '../../../src-shared/models/export-format'
import { MAX_IMPORT_CHUNK_BYTES } from '../../../src-shared/models/limits'
import { collect, parseColumns, parseFacet, queryOf, type QueryOptions } from '../device-list-options'
import { exportFormatOf, exportProgress, importProgress, isDeviceName, writeWhole } from '../export-progress'
import { countOf, countText } from '../../../src-shared/models/count-text'
import { cannotReadError } from '../file-problems'
import { jsonFileText } from '../json-file-text'
import { importFields, METADATA_COLUMN, SIM_ID_COLUMN, type ImportField } from '../../core/devices/import-fields'
import { CliError, EXIT, formatDiagnostic, rowsFormat, wholeNumber, type Runtime } from '../runtime'
import { registerDevicesLocation } from './devices-location'

type WithRuntime = <A extends unknown[]>(fn: (rt: Runtime, ...args: A) => Promise<number | void>) => (...args: A) => Promise<void>

/** A JSON file's text, or standard input's for '-': decoded from its bytes, so that a UTF-16 file is read as one (jsonFileText). */
async function readInput(file: string): Promise<string> {
  let bytes: Uint8Array
  try {
    if (file === '-') {
      const chunks: Buffer[] = []
      for await (const c of process.stdin) chunks.push(c as Buffer)
      bytes = Buffer.concat(chunks)
    } else bytes = await readFile(file)
  } catch (e) {
    throw new CliError(`fieldline: ${cannotReadError(file, e)}`, EXIT.usage)
  }
  const read = jsonFileText(bytes)
  if ('text' in read) return read.text
  const name = file === '-' ? 'standard input' : file
  const what = read.unreadable
  throw new CliError(
    'encoding' in what
      ? `fieldline: ${name} is ${what.encoding} text, which Fieldline does not read: save it as UTF-8 (or UTF-16) and give it again; nothing was saved`
      : `fieldline: ${name}, line ${what.line}, byte offset ${what.offset}: not UTF-8 (byte ${what.byte}, perhaps Latin-1 or Windows-1252): save it as UTF-8 and give it again; nothing was saved`,
    EXIT.usage,
  )
}

/** What `devices list` shows without `--columns`: the list as it was before columns could be chosen. */
const DEFAULT_COLUMNS: ListColumn[] = ['typeId', 'deviceId', 'description', 'extensions']

const metadataFieldsOf = (columns: readonly ListColumn[]) => columns.filter((c) => c.startsWith('metadata.')).map((c) => c.slice('metadata.'.length))

/** One table line: cells separated by tabs, empty cells at the end left out (a device without extensions shows three). */
export function tableLine(cells: string[]): string {
  while (cells.length > 1 && cells.at(-1) === '') cells.pop()
  // A tab or a line break inside a cell would shift the columns after it.
  return cells.map((c) => c.replace(/[\t\r\n]+/g, ' ')).join('\t')
}

/**
 * An import the core stopped part way (a record it cannot read past, a damaged chunk) keeps the rows before the stop:
 * the refusal says how many, from the import's end in the audit trail, so neither a person nor a script takes the
 * stop for "nothing changed". With --json, that count goes to stdout too.
 */
async function withWhatStayed(rt: Runtime, jobId: string, error: unknown): Promise<unknown> {
  if (!(error instanceof CliError)) return error
  const end = (await rt.call('audit:list', { query: jobId, limit: 20 }).catch(() => null))?.items.find((e) => e.action === 'devices.import')
  const after = (end?.after ?? (await batchesWritten(rt, jobId))) as { rows?: number | null; added?: number; failed?: number | null }
  if (typeof after.added !== 'number') return error
  if (rt.json) rt.out(JSON.stringify({ jobId, stopped: error.message.replace(/^fieldline: /, ''), rows: after.rows ?? null, added: after.added, failed: after.failed ?? null }))
  const kept = after.added === 0 ? 'no device was added' : `the ${countOf(after.added, 'device')} added before it ${after.added === 1 ? 'stays' : 'stay'}`
  // Without its end entry (a full disk refused it) the import is reported as interrupted when the folder is writable again.
  const again = end ? '' : after.added > 0 ? '; once there is room, import the same file again to add the rest (the devices already there are counted as such, not refused)' : ''
  return new CliError(`${error.message}\nfieldline: ${kept}${again}`, error.exitCode)
}

/**
 * What an import's batches wrote, from their entries, when its end entry could not be written (the disk filled up
 * under it): without them the CLI said only "the change was not saved", and 20,000 devices were there.
 */
async function batchesWritten(rt: Runtime, jobId: string): Promise<{ added: number } | null> {
  let added = 0
  let found = false
  for (let offset = 0; ; offset += 1000) {
    const page = await rt.call('audit:list', { query: jobId, offset, limit: 1000, filter: { action: 'devices.import.batch' } }).catch(() => null)
    if (!page) return null
    for (const e of page.items) {
      const n = (e.after as { jobId?: string; added?: unknown } | null)?.added
      if ((e.after as { jobId?: string } | null)?.jobId === jobId && typeof n === 'number') {
        added += n
        found = true
      }
    }
    if (page.items.length < 1000) break
  }
  if (found) return { added }
  // No batch either: whether the import's start was written tells "nothing added" from "nothing known".
  const start = await rt.call('audit:list', { query: jobId, limit: 20, filter: { action: 'devices.import.start' } }).catch(() => null)
  return start && start.items.length > 0 ? { added: 0 } : null
}

/** What each column an import reads holds; typed by the importer's fields, so a field it comes to read needs its line here. */
const IMPORT_FIELD_NOTES: Record<ImportField, string> = {
  typeId: 'required',
  deviceId: 'required',
  description: 'free text',
  carrier: 'jasper, atnt or orange',
  iccid: 'the SIM of a jasper or atnt device (text: a spreadsheet number is refused)',
  serialnumber: 'the SIM of an orange device (13 digits)',
  latitude: 'decimal degrees, with longitude',
  longitude: 'decimal degrees, with latitude',
  elevation: 'metres, with a latitude and longitude',
  accuracy: 'metres, with a latitude and longitude',
}

/** `devices import --help`'s list of columns, from the importer's own (importFields): the help cannot leave one out. */
export function importColumnsHelp(): string {
  const lines = importFields().map(({ field, aliases }) => [field, `${IMPORT_FIELD_NOTES[field]}${aliases.length > 0 ? ` (also read from ${aliases.join(', ')})` : ''}`])
  lines.push([SIM_ID_COLUMN, "a device export's SIM identifier, read as the one its carrier column takes"], [`${METADATA_COLUMN}<field>`, "a device export's metadata field"])
  const width = Math.max(...lines.map(([name]) => name!.length))
  return [
    '',
    `Columns read (a CSV header's case, spaces, '-' and '_' do not matter, but in ${SIM_ID_COLUMN} and ${METADATA_COLUMN}<field>):`,
    ...lines.map(([name, note]) => `  ${name!.padEnd(width)}  ${note}`),
    'Any other column is kept as metadata. JSON Lines: one object per line with the same members, and',
    'metadata and extensionConfig as objects.',
  ].join('\n')
}

export function registerDevices(program: Command, withRuntime: WithRuntime): void {
  const devices = program.command('devices').description('list, add, remove and import devices; read and write their extension configuration')

  /** Which devices: what `list`, `count` and `export` share. */
  const selectionOptions = (command: Command): Command =>
    command
      .option('-q, --query <text>', 'search: every word must begin a word of the type, ID, description, ICCID or serial number', '')
      .option('--filter <field=value>', `keep devices whose FIELD is VALUE (${FILTER_FIELDS.join(', ')}); repeat for more`, collect, [])
  /** In which order: only for the commands that write rows (a count has none, and its help listed them for nothing). */
  const orderOptions = (command: Command): Command => command.option('--sort <field>', `order by a column (${DEVICE_COLUMNS.join(', ')})`).option('--desc', 'reverse the order')

  orderOptions(selectionOptions(devices.command('list').description('list devices: search, filter by field, sort by any column')))
    .option('--columns <a,b,c>', `columns to show (${DEVICE_COLUMNS.join(', ')}, metadata.<field>)`, DEFAULT_COLUMNS.join(','))
    .option('--format <format>', 'table (tab-separated; the default), csv or jsonl; not with --json, which prints {total, items}')
    .option('--offset <n>', 'skip this many matches', '0')
    .option('--limit <n>', 'show at most this many', '1000')
    .action(
      withRuntime(async (rt, opts: QueryOptions & { columns: string; format?: string; offset: string; limit: string }) => {
        const format = rowsFormat(rt.json, opts.format)
        const columns = parseColumns(opts.columns)
        const query = queryOf(opts)
        const offset = wholeNumber('--offset', opts.offset, 0, Number.MAX_SAFE_INTEGER)
        const page = await rt.call('devices:query', {
          query,
          offset,
          limit: wholeNumber('--limit', opts.limit, 1, 1000),
          metadataFields: metadataFieldsOf(columns),
        })
        // Scripts get an exact count even where the list answers with an estimate (a very broad search).
        const total = page.totalExact ? page.total : (await rt.call('devices:count', { selection: { query } })).total
        if (format === 'json') return rt.out(JSON.stringify({ total, items: page.items.map((row) => Object.fromEntries(columns.map((c) => [c, columnValue(row, c)]))) }))
        if (format === 'csv') rt.out([csvRecord(columns), ...page.items.map((row) => csvRow(row, columns))].join('').trimEnd())
        else if (format === 'jsonl') {
          if (page.items.length)
            rt.out(
              page.items
                .map((row) => jsonRow(row, columns))
                .join('')
                .trimEnd(),
            )
        } else for (const row of page.items) rt.out(tableLine(columns.map((c) => cellText(columnValue(row, c)))))
        // In every format (cold trial: \`--format csv > all.csv\` at a million devices held 1,000 rows, and nothing said so).
        const next = offset + page.items.length
        // The offset is left bare: it is typed back as --offset.
        rt.err(`${countText(page.items.length)} shown of ${countText(total)}${next < total ? ` (the next with --offset ${next}; every device: devices export FILE)` : ''}`)
      }),
    )

  selectionOptions(devices.command('count').description('count devices (all, or those a search and filters select), optionally by field'))
    .option('--by <field>', `count by ${FACET_FIELDS.join(', ')}`)
    .action(
      withRuntime(async (rt, opts: QueryOptions & { by?: string }) => {
        const counted = await rt.call('devices:count', { selection: { query: queryOf(opts) }, by: parseFacet(opts.by) })
        if (rt.json) return rt.out(JSON.stringify(counted))
        rt.out(countText(counted.total))
        for (const facet of counted.facets) for (const v of facet.values) rt.out(`${v.value}\t${countText(v.count)}`)
      }),
    )

  orderOptions(selectionOptions(devices.command('export <file>').description('write the devices a search and filters select to a CSV or JSON Lines file')))
    .option('--columns <a,b,c>', `columns to write (default: all of ${DEVICE_COLUMNS.join(', ')}; metadata.<field> too)`, DEVICE_COLUMNS.join(','))
    .option('--format <format>', "the file's format, csv or jsonl: by default from its name (.csv; .jsonl or .ndjson), CSV for a name without extension; --json is the summary printed, {file, rows}")
    .option('--no-bom', "CSV: leave out the UTF-8 byte-order mark the file starts with (Excel needs it to read accents; a script's CSV reader may not expect it)")
    .action(
      withRuntime(async (rt, file: string, opts: QueryOptions & { columns: string; format?: string; bom: boolean }) => {
        const format = exportFormatOf(file, opts.format)
        const columns = parseColumns(opts.columns)
        const { jobId, total } = await rt.call('export:start', { selection: { query: queryOf(opts) }, columns, format })
        const progress = exportProgress(process.stderr, file, total)
        let rows = 0
        try {
          await writeWhole(
            file,
            async (out) => {
              // Said once the file is open: a name refused (a folder) says only why.
              progress(0, false)
              await out.write(exportFileStart(format, opts.bom))
              for (;;) {
                const part = await rt.call('export:next', { jobId })
                await out.write(part.data)
                rows = part.rows
                progress(rows, part.done)
                if (part.done) break
              }
            },
            () => rt.call('export:cancel', { jobId }),
          )
        } finally {
          progress.stop()
        }
        const summary = rt.json ? JSON.stringify({ file, rows }) : `exported ${countOf(rows, 'device')} to ${file}`
        // Exported to /dev/stdout, the rows are stdout: the summary is not one of them.
        if (isDeviceName(file)) rt.err(summary)
        else rt.out(summary)
      }),
    )

  devices
    .command('add <typeId> <deviceId>')
    .description('add a device')
    .option('-d, --description <text>', 'description', '')
    .action(
      withRuntime(async (rt, typeId: string, deviceId: string, opts: { description: string }) => {
        const device = await rt.call('devices:add', { typeId, deviceId, description: opts.description })
        rt.out(rt.json ? JSON.stringify(device) : `added ${device.typeId}/${device.deviceId}`)
      }),
    )

  devices
    .command('remove <typeId> <deviceId>')
    .description('remove a device into the trash (recorded in the audit trail; `trash restore` brings it back)')
    .action(
      withRuntime(async (rt, typeId: string, deviceId: string) => {
        const { trashId } = await rt.call('devices:remove', { typeId, deviceId })
        rt.out(rt.json ? JSON.stringify({ removed: true, typeId, deviceId, trashId }) : `removed ${typeId}/${deviceId} (trash ${trashId})`)
      }),
    )

  devices
    .command('import <file>')
    .description('import devices from CSV (a header naming typeId and deviceId) or JSON Lines; --help lists the columns read')
    .addHelpText('after', importColumnsHelp())
    .option('--format <format>', 'csv or jsonl (default: from the file name)')
    .option('--encoding <encoding>', `the file's encoding: ${IMPORT_ENCODINGS.join(' or ')} (latin1 is read as Windows-1252)`, 'utf-8')
    .action(
      withRuntime(async (rt, file: string, opts: { format?: string; encoding: string }) => {
        if (opts.format !== undefined && opts.format !== 'csv' && opts.format !== 'jsonl') throw new CliError(`fieldline: --format must be csv or jsonl`, EXIT.usage)
        const encoding = IMPORT_ENCODINGS.find((e) => e === opts.encoding)
        if (!encoding) throw new CliError(`fieldline: --encoding must be ${IMPORT_ENCODINGS.join(' or ')}`, EXIT.usage)
        let size: number
        try {
          const found = await stat(file)
          // Refused before the import starts: read as a stream, a folder failed after it, leaving an import "cut short".
          if (found.isDirectory()) throw Object.assign(new Error(`${file} is a folder`), { code: 'EISDIR' })
          size = found.size
        } catch (e) {
          throw new CliError(`fieldline: ${cannotReadError(file, e)}`, EXIT.usage)
        }
        const { jobId } = await rt.call('import:start', { fileName: basename(file), encoding, ...(opts.format ? { format: opts.format } : {}) })
        const progress = importProgress(process.stderr, file, size)
        progress(0, 0, false)
        let sent = 0
        // Bytes, not text: the core decodes them, so it can name the line and byte offset of anything not UTF-8.
        const stream = createReadStream(file, { highWaterMark: MAX_IMPORT_CHUNK_BYTES })
        let report: ImportReport
        try {
          for await (const chunk of stream) {
            const bytes = chunk as Buffer
            const { rows } = await rt.call('import:chunk', { jobId, data: bytes.toString('base64') })
            sent += bytes.length
            progress(sent, rows, false)
          }
          report = await rt.call('import:finish', { jobId })
        } catch (e) {
          stream.destroy()
          progress.stop()
          throw await withWhatStayed(rt, jobId, e)
        }
        progress(sent, report.rows, true)
        const refused = refusedRows(report)
        if (rt.json) rt.out(JSON.stringify(report))
        else {
          // A device already there is not a row to fix: counted in the summary, not listed as an error.
          const listed = report.errors.filter((e) => e.ref?.key !== 'import.exists')
          for (const e of listed) rt.err(`${file}:${e.row}: error: ${e.message}`)
          if (refused > listed.length) rt.err(`… and ${countOf(refused - listed.length, 'more refused row')}`)
          rt.out(importCountsText(report))
        }
        // Devices already there alone are no failure: a file imported again to finish an interrupted import exits 0.
        return refused > 0 ? EXIT.usage : EXIT.ok
      }),
    )

  registerDevicesLocation(devices, withRuntime)

  const config = devices.command('config').description("read or write a device's extension configuration")
  config
    .command('get <typeId> <deviceId>')
    .description('print the saved extension configuration as JSON')
    .action(
      withRuntime(async (rt, typeId: string, deviceId: string) => {
        const device = await rt.call('devices:get', { typeId, deviceId })
        rt.out(JSON.stringify(device.extensionConfig ?? {}, null, rt.json ? undefined : 2))
      }),
    )
  config
    .command('set <typeId> <deviceId> <file>')
    .description("validate and save the extension configuration from FILE ('-' for standard input)")
    .action(
      withRuntime(async (rt, typeId: string, deviceId: string, file: string) => {
        const text = await readInput(file)
        const name = file === '-' ? '<stdin>' : file
        const checked = await rt.call('devices:validateConfig', { text })
        if (!checked.valid) {
          if (rt.json) rt.out(JSON.stringify(checked))
          for (const d of checked.diagnostics) rt.err(formatDiagnostic(name, d))
          return EXIT.usage
        }
        const saved = await rt.call('devices:saveConfig', { typeId, deviceId, text })
        for (const d of saved.diagnostics) rt.err(formatDiagnostic(name, d))
        rt.out(rt.json ? JSON.stringify(saved) : `saved the extension configuration of ${typeId}/${deviceId}`)
      }),
    )
}
