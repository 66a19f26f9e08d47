/**
 * The historian benchmark's device events (historian.bench.ts): the topic and payload of message n, the event the
 * forwarder would make of it, and one publisher's way of sending them. The bench's own process and the publisher
 * processes (historian-publisher-child.ts) publish the same messages.
 */
import type { MqttClient } from 'mqtt'
import type { HistorianEvent } from '../../src-main/core/historian/event'

export const ORG = 'benchorg'

export const payload = (n: number): string => JSON.stringify({ n, temp: 21.53, humidity: 48.2, battery: 3.71, status: 'ok', seq: n })
export const topic = (n: number): string => `iot-2/type/bench/id/dev${n % 1000}/evt/reading/fmt/json`

/** The event the forwarder would make of message n: what the plain writers send, so the comparison is like for like. */
export function event(n: number): HistorianEvent {
  const receivedAt = Date.now()
  return {
    id: `${ORG}:bench:dev${n % 1000}:${new Date(receivedAt).toISOString()}:reading:base${n}`,
    org: ORG,
    type: 'bench',
    device: `dev${n % 1000}`,
    event: 'reading',
    format: 'json',
    receivedAt,
    payload: Buffer.from(payload(n)),
  }
}

/** Publishes `count` events as fast as the broker acknowledges them (QoS 1, 1,000 in flight); returns the ms it took. */
export async function publishAll(client: MqttClient, from: number, count: number): Promise<number> {
  const started = performance.now()
  for (let i = from; i < from + count; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, from + count - i) }, (_, k) => client.publishAsync(topic(i + k), payload(i + k), { qos: 1 })))
  }
  return performance.now() - started
}
