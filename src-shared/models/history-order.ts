/**
 * The order a device's events were received in, the same in the history table, its chart and the CSV export: by time,
 * then, among events of one millisecond (a burst), by the sequence their id ends with. The forwarder gives each event
 * `<org>:<type>:<device>:<received>:<event>:<sequence>` (src-main/core/historian/event.ts), the sequence a tag of its
 * run followed by a counter of fixed width, so that one run's events of one millisecond compare in the order it
 * received them. Not by the whole id: the event's name comes before the sequence, and a burst of two kinds of events
 * would be read kind by kind (and the table, keeping ties in the order read, showed a burst oldest first when sorted
 * newest first).
 */
import type { HistoryEvent } from './historian'

type Ordered = Pick<HistoryEvent, 'id' | 'timestamp'>

/** What an event's id ends with: the sequence, after the last ':' (no part of it has one). */
export function eventSequence(id: string): string {
  return id.slice(id.lastIndexOf(':') + 1)
}

/** Two events' ids by their sequences, in code-unit order (the counter is zero-padded, base 36 lower case). */
export function bySequence(a: string, b: string): number {
  const x = eventSequence(a)
  const y = eventSequence(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/** The events in the order they were received, oldest first; a time that does not parse goes first, as it was read. */
export function inReceivedOrder<T extends Ordered>(events: readonly T[]): T[] {
  const at = (e: T): number => {
    const ms = Date.parse(e.timestamp)
    return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms
  }
  return events
    .map((event) => ({ event, ms: at(event) }))
    .sort((a, b) => (a.ms < b.ms ? -1 : a.ms > b.ms ? 1 : bySequence(a.event.id, b.event.id)))
    .map((e) => e.event)
}
