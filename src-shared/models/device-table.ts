/**
 * Device rows written out as text: CSV and JSON Lines exports, and the CLI's tables. One definition, so the file the
 * core exports and the table the CLI prints show a column the same way.
 */
import type { DeviceColumn, DeviceRow, ListColumn, WeatherQuantity } from './device-query'

export type CellValue = string | number | boolean | string[] | null

/** A weather value with its unit ("12.5 °C"): readings fetched in other unit systems sit in one column. */
export const quantityText = (q: WeatherQuantity | null): string | null => (q === null ? null : `${q.value} ${q.unit}`)

export function columnValue(row: DeviceRow, column: ListColumn): CellValue {
  if (column.startsWith('metadata.')) return row.metadata[column.slice('metadata.'.length)] ?? null
  if (column === 'weatherTemperature' || column === 'weatherWindSpeed') return quantityText(row[column])
  return row[column as Exclude<DeviceColumn, 'weatherTemperature' | 'weatherWindSpeed'>]
}

/** A value as one cell of text: lists joined with spaces, nothing for an empty value. */
export function cellText(value: CellValue): string {
  if (value === null) return ''
  if (Array.isArray(value)) return value.join(' ')
  return String(value)
}

/**
 * A spreadsheet runs a cell that begins with = + - @ (or a tab or carriage return, which it skips first) as a formula:
 * "=HYPERLINK(…)" in a description would run on the operator's machine. Such cells get a leading apostrophe, which
 * spreadsheets show as text and do not display (OWASP, CSV injection).
 */
/** A value that itself starts with apostrophes before one of them is guarded once more, so that an import reads it back. */
const GUARDED = /^'*[=+\-@\t\r]/

export function formulaSafe(text: string): string {
  return GUARDED.test(text) ? `'${text}` : text
}

/**
 * A cell of a device export as it was before formulaSafe: what a CSV import reads, so that an export imports again as
 * the devices it holds ("-7f" keeps its ID, "=SUM" its description, "'=SUM" its apostrophe). Spreadsheets do not write
 * the apostrophe into the CSV files they save, so one before = + - @, a tab or a carriage return is such a guard.
 */
export function formulaUnsafe(text: string): string {
  return text.startsWith("'") && GUARDED.test(text.slice(1)) ? text.slice(1) : text
}

/** One CSV record (RFC 4180: quoted where needed, quotes doubled, CRLF at the end), every cell formula-safe. */
export function csvRecord(cells: readonly string[]): string {
  let out = ''
  for (let i = 0; i < cells.length; i++) out += (i === 0 ? '' : ',') + csvCell(cells[i]!)
  return `${out}\r\n`
}

const NEEDS_QUOTES = /[",\r\n]/

function csvCell(cell: string): string {
  const safe = formulaSafe(cell)
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

/** One device as a CSV record; an export writes a million of them, so no array of cells is made per row. */
export function csvRow(row: DeviceRow, columns: readonly ListColumn[]): string {
  let out = ''
  for (let i = 0; i < columns.length; i++) out += (i === 0 ? '' : ',') + csvCell(cellText(columnValue(row, columns[i]!)))
  return `${out}\r\n`
}

/** One JSON Lines record: the columns asked for, with their JSON types (null for an empty value). */
export function jsonRow(row: DeviceRow, columns: readonly ListColumn[]): string {
  return `${JSON.stringify(Object.fromEntries(columns.map((c) => [c, columnValue(row, c)])))}\n`
}
