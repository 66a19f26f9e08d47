/**
 * The plain pipelines the historian benchmark compares the forwarder with, in a process of their own like the forwarder
 * (historian-child.ts), fed by the same publisher through the same mosquitto: a mqtt.js subscriber (MQTT 5, QoS 1,
 * persistent session, as the forwarder subscribes) whose messages are made into the forwarder's events (event.ts: the
 * same ids) and sent on in batches of up to 500, as the forwarder's destinations send them:
 *
 *   BENCH_PLAIN_SINK=kafka   (default) a kafkajs producer, one batch at a time, acks=all, keyed and valued as the
 *                            forwarder's records (kafka-sink.ts).
 *   BENCH_PLAIN_SINK=couch   `_bulk_docs` through the CouchDB peer's IAM front, three batches in flight, the forwarder's
 *                            documents (couch.sink.ts) into one database; every row is checked (stored, or a conflict on
 *                            an id sent before), and a row that is neither ends the run with an error.
 *
 *   BENCH_PLAIN=memory   messages are kept in memory only until the destination has them: a crash loses what was
 *                        acknowledged to the broker and not yet sent. No durability; the cheapest possible bridge.
 *   BENCH_PLAIN=disk     the same durability as the forwarder's queue (historian-plain-queue.ts): each message is on
 *                        disk (one synchronous write) before mqtt.js acknowledges it.
 *   BENCH_PLAIN=pipe     Kafka only: the plainest pipe. Each message goes on as it came, keyed org:type:device as the
 *                        forwarder keys it, its value the raw payload: no event id, no record envelope, no queue.
 *
 * Prints `status <delivered> <queued> <received> 0 <mqtt state>` every 100 ms, like the forwarder's child.
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { connect } from 'mqtt'
import { kafkaRecord } from '../../src-main/core/historian/kafka-sink'
import { createSequence, encodeEvent, eventId, partitionKey, type HistorianEvent } from '../../src-main/core/historian/event'
import { parseTopic } from '../../src-main/core/platform/topics'
import { plainBulkDocs, plainDatabase } from './historian-plain-couch'
import { openPlainQueue } from './historian-plain-queue'

const mode = process.env.BENCH_PLAIN === 'disk' || process.env.BENCH_PLAIN === 'pipe' ? process.env.BENCH_PLAIN : 'memory'
const org = 'benchorg'
const sequence = createSequence()
const pending: { event: HistorianEvent; end: number }[] = []
let received = 0
let delivered = 0
let state = 'connecting'
const queue = mode === 'disk' ? openPlainQueue(process.env.BENCH_DATA_DIR ?? '') : null

interface PlainSink {
  /** Batches in flight at once. */
  lanes: number
  send(events: HistorianEvent[]): Promise<void>
  close(): Promise<void>
}

async function kafkaSink(): Promise<PlainSink> {
  const kafka = new Kafka({ clientId: 'bench-plain-bridge', brokers: [process.env.FIELDLINE_HISTORIAN_KAFKA_BROKERS ?? ''], logLevel: logLevel.NOTHING })
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true })
  await producer.connect()
  const topic = process.env.FIELDLINE_HISTORIAN_KAFKA_TOPIC ?? ''
  return {
    lanes: 1,
    async send(events) {
      if (mode === 'pipe') {
        await producer.send({ topic, acks: -1, messages: events.map((e) => ({ key: partitionKey(e), value: e.payload })) })
        return
      }
      const records = events.map(kafkaRecord)
      await producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: String(r.timestamp) })) })
    },
    close: () => producer.disconnect(),
  }
}

async function couchSink(): Promise<PlainSink> {
  const target = await plainDatabase(process.env.FIELDLINE_HISTORIAN_COUCH_URL ?? '', `iotp_${org}_bridge${mode}_all`)
  return { lanes: 3, send: (events) => plainBulkDocs(target, events), close: async () => undefined }
}

const sink = process.env.BENCH_PLAIN_SINK === 'couch' ? await couchSink() : await kafkaSink()

let wakers: (() => void)[] = []
let running = true
const lanes = Array.from({ length: sink.lanes }, async () => {
  while (running || pending.length > 0) {
    if (pending.length === 0) {
      await new Promise<void>((resolve) => wakers.push(resolve))
      continue
    }
    const batch = pending.splice(0, 500)
    await sink.send(batch.map((p) => p.event))
    delivered += batch.length
    queue?.confirm((batch[batch.length - 1] as { end: number }).end)
  }
})
const wake = (): void => {
  const w = wakers
  wakers = []
  for (const f of w) f()
}

// The handler is there before the connection: with a persistent session the broker sends what it kept for this client
// right after CONNACK, and mqtt.js acknowledges a message even when no one listens.
const client = connect(process.env.FIELDLINE_MQTT_URL ?? '', {
  clientId: process.env.BENCH_CLIENT_ID ?? `bench-plain-${mode}`,
  protocolVersion: 5,
  clean: false,
  properties: { sessionExpiryInterval: 3600 },
  reconnectPeriod: 1000,
})
client.on('message', (topic, payload) => {
  received++
  const t = parseTopic(topic)
  if (!t || t.kind !== 'event') return
  const e: HistorianEvent = { id: '', org, type: t.type, device: t.id, event: t.name, format: t.fmt, receivedAt: 0, payload }
  if (mode !== 'pipe') {
    e.receivedAt = Date.now()
    e.id = eventId(e, sequence())
  }
  // On disk before this handler returns, as the forwarder does: mqtt.js sends the PUBACK right after.
  const end = queue ? queue.append(encodeEvent(e)) : 0
  pending.push({ event: e, end })
  wake()
})
await new Promise((resolve) => client.once('connect', resolve))
await client.subscribeAsync('iot-2/type/+/id/+/evt/+/fmt/+', { qos: 1 })
state = 'connected'

const ticker = setInterval(() => process.stdout.write(`status ${delivered} ${pending.length} ${received} 0 ${state}\n`), 100)
process.once('SIGTERM', () => {
  void (async () => {
    clearInterval(ticker)
    await client.endAsync()
    running = false
    wake()
    await Promise.all(lanes)
    await sink.close()
    queue?.close()
    process.stdout.write(`summary ${JSON.stringify({ received, delivered })}\n`)
    process.exit(0)
  })()
})
