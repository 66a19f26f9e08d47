/**
 * A destination's way of storing events: one `deliver` per batch, answering per event, so a batch where some events
 * were stored and others were not is never mistaken for a success (a CouchDB 201 with failed rows, a Kafka REST 207).
 * destination.ts owns the retries, the splitting and the state.
 */
import type { AppError } from '../common/errors'
import type { DeliveryError } from './delivery-error'
import type { HistorianEvent } from './event'

export interface SinkResult {
  /** Events stored now, or found already stored (an id sent before). */
  stored: number
  /** Events to send again, and why (the first reason, when several). */
  retry: { events: HistorianEvent[]; error: DeliveryError } | null
  /** Events the destination refused for good (too large on their own, rejected by a validation function). */
  refused: { event: HistorianEvent; error: AppError }[]
}

export interface Sink {
  /** Batches sent at once. Kafka keeps 1, so a device's events cannot overtake each other. */
  readonly concurrency: number
  /** Throws a DeliveryError when the request as a whole failed; otherwise says what happened to each event. */
  deliver(events: readonly HistorianEvent[]): Promise<SinkResult>
  /** Work on a clock, between batches: the next bucket database before its boundary. */
  maintain?(now: number): Promise<void>
  /** A check that changes nothing, run at start when there is no `maintain`: whether the service can be reached. */
  check?(): Promise<void>
  close(): Promise<void>
}

export function allStored(count: number): SinkResult {
  return { stored: count, retry: null, refused: [] }
}
