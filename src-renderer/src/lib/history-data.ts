import type { HistoryEvent } from '../../../src-shared/models/historian'
import { bySequence, inReceivedOrder } from '../../../src-shared/models/history-order'

/** How deep and how many numeric fields are offered for the chart: device data is the device's, not ours to trust. */
const MAX_DEPTH = 5
const MAX_FIELDS = 50

/**
 * The paths of the numbers in an event's JSON data ('d.temp', 'hum'), in the order they appear; arrays are left out
 * (their positions are not fields). A payload that is not JSON has none.
 */
export function numericPaths(data: unknown, prefix = '', depth = 0, out: string[] = []): string[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data) || depth >= MAX_DEPTH) return out
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'number' && Number.isFinite(value)) out.push(path)
    else numericPaths(value, path, depth + 1, out)
  }
  return out
}

/** Every numeric field of the events, each once, in the order first met (at most MAX_FIELDS). */
export function numericFields(items: readonly HistoryEvent[]): string[] {
  const fields = new Set<string>()
  for (const item of items) {
    for (const path of numericPaths(item.data)) {
      fields.add(path)
      if (fields.size >= MAX_FIELDS) return [...fields]
    }
  }
  return [...fields]
}

/** The number at `path` of an event's data, or null where that event has none there. */
export function numberAt(item: HistoryEvent, path: string): number | null {
  let value: unknown = item.data
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return null
    value = (value as Record<string, unknown>)[key]
  }
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

export interface Point {
  id: string
  /** The event's time (epoch milliseconds) and its ISO text as stored. */
  at: number
  timestamp: string
  value: number
}

/** The events that have a number at `path`, in the order they were received (a burst's by sequence). */
export function seriesOf(items: readonly HistoryEvent[], path: string): Point[] {
  const points: Point[] = []
  for (const item of items) {
    const value = numberAt(item, path)
    const at = Date.parse(item.timestamp)
    if (value !== null && !Number.isNaN(at)) points.push({ id: item.id, at, timestamp: item.timestamp, value })
  }
  return points.sort((a, b) => a.at - b.at || bySequence(a.id, b.id))
}

/** An event's data in one line, for a table cell; the base64 payload of one that is not JSON. */
export function dataText(item: HistoryEvent): string {
  return 'data' in item ? JSON.stringify(item.data) : (item.payload ?? '')
}

/**
 * Each event's place in the order they were received, for the table's time column: sorted by it, newest first reads a
 * burst of one millisecond newest first too (by time alone, its events kept the order they were read in).
 */
export function receivedRanks(items: readonly HistoryEvent[]): ReadonlyMap<string, number> {
  return new Map(inReceivedOrder(items).map((e, i) => [e.id, i]))
}
