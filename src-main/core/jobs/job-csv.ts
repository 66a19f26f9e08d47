/**
 * A job's CSV: a header naming the identifier column (`iccid`, `sim`, or `serial` for Orange serial numbers) and
 * optionally `status`, `ratePlan`, `text` (per-row values that override the job's) and `carrier` (`orange` for an
 * Orange SIM's serial number), or a bare list of ICCIDs, one a line. Cells are read as text: nothing here turns a long
 * number into a float.
 */
import { parse } from 'csv-parse/sync'
import { MAX_JOB_ROWS } from '../../../src-shared/models/sim-jobs'
import { countText } from '../../../src-shared/models/count-text'
import { AppError } from '../common/errors'
import { csvProblem } from '../devices/import-parsers'

export interface CsvTarget {
  /** The file's line (1 is the first). */
  line: number
  id: string
  status?: string
  ratePlan?: string
  text?: string
  /** `orange` for an Orange SIM named by its serial number; the job's Control Center account otherwise. */
  carrier?: string
}

const COLUMNS: Record<string, keyof Omit<CsvTarget, 'line'>> = {
  iccid: 'id',
  sim: 'id',
  serial: 'id',
  serialnumber: 'id',
  status: 'status',
  rateplan: 'ratePlan',
  text: 'text',
  message: 'text',
  carrier: 'carrier',
}

/** An ICCID row is a few dozen characters: a record this long is a quote left open, or not a CSV file. */
const MAX_RECORD = 64 * 1024
const TOO_LONG = `it is longer than ${countText(MAX_RECORD)} characters (a quote left open?)`

const canonical = (name: string): string => name.toLowerCase().replace(/[\s_-]/g, '')

export function parseJobCsv(text: string): CsvTarget[] {
  let records: { record: string[]; info: { lines: number } }[]
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { bom: true, relax_column_count: true, skip_empty_lines: true, info: true, max_record_size: MAX_RECORD }) as unknown as typeof records
  } catch (e) {
    // csv-parse's own English quoted the record, so a binary file printed its bytes (cold trial); said in our words,
    // translated, by the line where the record starts.
    const { code, lines } = e as { code?: string; lines?: number }
    const { problem, words } = code === 'CSV_MAX_RECORD_SIZE' ? { problem: 'tooLong', words: TOO_LONG } : csvProblem(code)
    const line = lines ?? 1
    throw AppError.withRef('VALIDATION', `Line ${line} of the CSV cannot be read: ${words}`, { key: 'jobs.csvUnreadable', params: { line, problem } })
  }
  if (records.length === 0) throw AppError.withRef('VALIDATION', 'The CSV has no rows', { key: 'jobs.csvEmpty' })
  const first = records[0]!.record.map((c) => canonical(c))
  const hasHeader = first.some((c) => c in COLUMNS)
  if (!hasHeader && records[0]!.record.length > 1) {
    throw AppError.withRef('VALIDATION', 'The CSV needs a header naming its iccid column', { key: 'jobs.csvNoHeader' })
  }
  const fields = hasHeader ? first.map((c) => COLUMNS[c]) : ['id' as const]
  if (!fields.includes('id')) throw AppError.withRef('VALIDATION', 'The CSV needs a header naming its iccid column', { key: 'jobs.csvNoHeader' })
  const rows = hasHeader ? records.slice(1) : records
  if (rows.length > MAX_JOB_ROWS) {
    throw AppError.withRef('TOO_LARGE', `A job has at most ${countText(MAX_JOB_ROWS)} rows; this CSV has ${countText(rows.length)}`, {
      key: 'jobs.tooManyRows',
      params: { max: MAX_JOB_ROWS, rows: rows.length },
    })
  }
  return rows.map(({ record, info }) => {
    const target: CsvTarget = { line: info.lines, id: '' }
    record.forEach((cell, i) => {
      const field = fields[i]
      if (field && cell.trim() !== '') target[field] = field === 'id' ? cell : cell.trim()
    })
    return target
  })
}
