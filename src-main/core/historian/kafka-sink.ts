/**
 * Events into a Kafka topic (docs/wire/couchdb-kafka.md §5, §2), through a `KafkaSink`: the native protocol
 * (kafkajs.sink.ts) or a REST producer (kafka-rest.sink.ts). Only the sink knows its client library, so moving the
 * native one to Confluent's KafkaJS-compatible client is a one-file change (docs/wire/couchdb-kafka.md §2.4).
 *
 * Each event is one record:
 * - key `<org>:<type>:<device>`: one device's events go to one partition and stay in order (the platform keyed by
 *   org + type + device too; the separator is ours [I], it keeps keys such as `ab`+`c` and `a`+`bc` apart);
 * - value: `{id, orgId, typeId, deviceId, eventId, format, timestamp, payload}` — the platform's sample connector's
 *   fields (payload in base64, timestamp ISO UTC) plus the event id and the org [I: the built-in connector's value format
 *   is not documented];
 * - header `id`: the event id, so a consumer recognises a record sent twice (after a failure whose outcome was unknown,
 *   or a crash between the broker's acknowledgement and the queue's cursor). Kafka itself stores such a record twice:
 *   delivery to Kafka is at least once, and exactly once by id for a consumer that keeps the ids it has seen.
 */
import type { HistorianEvent } from './event'
import { isoTime, partitionKey } from './event'
import type { DeliveryError } from './delivery-error'
import type { Sink, SinkResult } from './sink'

export interface KafkaRecord {
  key: string
  value: string
  headers: Record<string, string>
  /** ms since the epoch. */
  timestamp: number
}

/** Per record: which failed, and why (a native send fails or succeeds as a whole and reports none). */
export interface KafkaSendResult {
  failures: { index: number; error: DeliveryError }[]
}

export interface KafkaSink {
  send(topic: string, records: readonly KafkaRecord[]): Promise<KafkaSendResult>
  /** A check that changes nothing at the service, for "Verify connection"; says what it checked. */
  verify(): Promise<string>
  close(): Promise<void>
}

export function kafkaRecord(e: HistorianEvent): KafkaRecord {
  const value = {
    id: e.id,
    orgId: e.org,
    typeId: e.type,
    deviceId: e.device,
    eventId: e.event,
    format: e.format,
    timestamp: isoTime(e.receivedAt),
    payload: e.payload.toString('base64'),
  }
  return { key: partitionKey(e), value: JSON.stringify(value), headers: { id: e.id }, timestamp: e.receivedAt }
}

/** `check`: connect at start, so a broker out of reach shows before the first event (not for a REST producer, which has no read-only call). */
export function createKafkaDestinationSink(kafka: KafkaSink, topic: string, options: { check?: boolean } = {}): Sink {
  return {
    ...(options.check
      ? {
          async check() {
            await kafka.verify()
          },
        }
      : {}),
    // One batch at a time: two batches in flight could reach the broker in either order.
    concurrency: 1,
    async deliver(events) {
      const { failures } = await kafka.send(topic, events.map(kafkaRecord))
      const result: SinkResult = { stored: events.length - failures.length, retry: null, refused: [] }
      const again: HistorianEvent[] = []
      let retryError: DeliveryError | undefined
      for (const f of failures) {
        const event = events[f.index]
        if (!event) continue
        if (f.error.verdict === 'retry') {
          again.push(event)
          retryError ??= f.error
        } else {
          result.refused.push({ event, error: f.error })
        }
      }
      if (again.length > 0 && retryError) result.retry = { events: again, error: retryError }
      return result
    },
    close: () => kafka.close(),
  }
}
