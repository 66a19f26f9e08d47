/**
 * A device's history as CSV (RFC 4180), written the same way by `fieldline historian history --format csv` and by the
 * device page's "Export CSV": one header line, one line per event, one column per field of the data (`data.temperature`,
 * `data.gps.lat` for a nested one), so that a spreadsheet sorts and charts a field without parsing JSON. The columns are
 * the fields of all the events exported, in natural order (the same columns whatever order the events were read in); an
 * event without a field leaves its cell empty. A list is one cell, as JSON. The raw JSON is kept, in a `data` column,
 * only for the events whose data has no fields to spread (a number, a list, a text) or whose fields would collide
 * (`{"a.b": 1, "a": {"b": 2}}`); `payload` (base64, for data that was not JSON) only when an event has one.
 *
 * Written safely for spreadsheets (OWASP's CSV injection advice): a cell a spreadsheet would run as a formula — one
 * that starts with = + - @, a tab or a carriage return — gets a leading apostrophe, which spreadsheets read as "text"
 * and do not show. An event id or a base64 payload can start with '-' or '+'; device data is never run. A cell that is
 * nothing but a decimal number ("-12.5") stays as it is: a spreadsheet reads it as that number, not as a formula.
 */
import type { HistoryEvent } from './historian'
import { inReceivedOrder } from './history-order'

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

/** The columns every event fills. */
export const HISTORY_CSV_EVENT_COLUMNS = ['id', 'typeId', 'deviceId', 'eventId', 'format', 'timestamp'] as const

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** A field's value as a cell reads it: text as it is, a number or a boolean as JSON writes it, null as nothing, a list or an empty object as JSON. */
function fieldText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === null || value === undefined) return ''
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

/**
 * The fields of one event's data by column (`data.gps.lat`), or null when the data has none to spread (not a JSON
 * object) or two of its fields would share a column: that event's data is written whole, as JSON.
 */
export function dataFields(data: unknown): Map<string, string> | null {
  if (!isObject(data)) return null
  const fields = new Map<string, string>()
  const walk = (object: Record<string, unknown>, prefix: string): boolean => {
    for (const [key, value] of Object.entries(object)) {
      const column = `${prefix}.${key}`
      if (isObject(value) && Object.keys(value).length > 0) {
        if (!walk(value, column)) return false
      } else if (fields.has(column)) return false
      else fields.set(column, fieldText(value))
    }
    return true
  }
  return walk(data, 'data') ? fields : null
}

const natural = new Intl.Collator('en', { numeric: true })
/** Natural order (sensor2 before sensor10), then code units: the same order on every machine, whatever its language. */
const byName = (a: string, b: string): number => natural.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0)

/** The CSV's lines, header first, one per event in the order they were received (models/history-order.ts). */
export function historyCsvLines(given: readonly HistoryEvent[]): string[] {
  const events = inReceivedOrder(given)
  const spread = events.map((e) => ('data' in e ? dataFields(e.data) : null))
  const fieldColumns = [...new Set(spread.flatMap((fields) => (fields ? [...fields.keys()] : [])))].sort(byName)
  const rawData = events.some((e, i) => 'data' in e && spread[i] === null)
  const payload = events.some((e) => e.payload !== undefined)
  const header = [...HISTORY_CSV_EVENT_COLUMNS, ...fieldColumns, ...(rawData ? ['data'] : []), ...(payload ? ['payload'] : [])]
  const lines = events.map((e, i) => {
    const fields = spread[i]
    const cells = [
      ...HISTORY_CSV_EVENT_COLUMNS.map((c) => e[c]),
      ...fieldColumns.map((c) => fields?.get(c) ?? ''),
      ...(rawData ? [fields === null && 'data' in e ? JSON.stringify(e.data) : ''] : []),
      ...(payload ? [e.payload ?? ''] : []),
    ]
    return cells.map(csvCell).join(',')
  })
  return [header.map(csvCell).join(','), ...lines]
}
