/**
 * A device's history as CSV (RFC 4180), written the same way by `fieldline historian history --format csv` and by the
 * device page's "Export CSV": one header line, one line per event, the data as JSON text.
 *
 * Written safely for spreadsheets (OWASP's CSV injection advice): a cell a spreadsheet would run as a formula — one
 * that starts with = + - @, a tab or a carriage return — gets a leading apostrophe, which spreadsheets read as "text"
 * and do not show. An event id or a base64 payload can start with '-' or '+'; device data is never run. A cell that is
 * nothing but a decimal number ("-12.5") stays as it is: a spreadsheet reads it as that number, not as a formula.
 */
import type { HistoryEvent } from './historian'

export const HISTORY_CSV_COLUMNS = ['id', 'typeId', 'deviceId', 'eventId', 'format', 'timestamp', 'data', 'payload'] as const

const FORMULA_START = /^[=+\-@\t\r]/
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/

/** One cell: defused when a spreadsheet would run it, quoted when it holds a quote, a comma or a line break. */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** A cell as it was before csvCell defused it: a file Fieldline wrote to be imported again reads back what it held. */
export function undefusedCell(value: string): string {
  const rest = value.slice(1)
  return value.startsWith("'") && FORMULA_START.test(rest) && !PLAIN_NUMBER.test(rest) ? rest : value
}

export function historyCsvHeader(): string {
  return HISTORY_CSV_COLUMNS.join(',')
}

export function historyCsvLine(e: HistoryEvent): string {
  const values: Record<(typeof HISTORY_CSV_COLUMNS)[number], string> = {
    id: e.id,
    typeId: e.typeId,
    deviceId: e.deviceId,
    eventId: e.eventId,
    format: e.format,
    timestamp: e.timestamp,
    data: 'data' in e ? JSON.stringify(e.data) : '',
    payload: e.payload ?? '',
  }
  return HISTORY_CSV_COLUMNS.map((c) => csvCell(values[c])).join(',')
}
