/**
 * The plain pipelines the historian benchmark compares the forwarder with, in a process of their own like the forwarder
 * (historian-child.ts), fed by the same publisher through the same mosquitto: a mqtt.js subscriber (MQTT 5, QoS 1,
 * persistent session, as the forwarder subscribes) whose messages a kafkajs producer sends to Kafka in batches of up to
 * 500, one batch at a time, acks=all, keyed and valued as the forwarder's records (kafka-sink.ts).
 *
 *   BENCH_PLAIN=memory   messages are kept in memory only until Kafka has them: a crash loses what was acknowledged
 *                        to the broker and not yet sent. No durability; the cheapest possible MQTT → Kafka bridge.
 *   BENCH_PLAIN=disk     the same durability as the forwarder's queue (historian-plain-queue.ts): each message is on
 *                        disk (one synchronous write) before mqtt.js acknowledges it.
 *
 * Prints `status <delivered> <queued> <received> 0 <mqtt state>` every 100 ms, like the forwarder's child.
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { connectAsync } from 'mqtt'
import { kafkaRecord, type KafkaRecord } from '../../src-main/core/historian/kafka-sink'
import { createSequence, encodeEvent, eventId, type HistorianEvent } from '../../src-main/core/historian/event'
import { parseTopic } from '../../src-main/core/platform/topics'
import { openPlainQueue } from './historian-plain-queue'

const mode = process.env.BENCH_PLAIN === 'disk' ? 'disk' : 'memory'
const org = 'benchorg'
const sequence = createSequence()
const pending: { record: KafkaRecord; end: number }[] = []
let received = 0
let delivered = 0
let state = 'connecting'
const queue = mode === 'disk' ? openPlainQueue(process.env.BENCH_DATA_DIR ?? '') : null

const kafka = new Kafka({ clientId: 'bench-plain-bridge', brokers: [process.env.FIELDLINE_HISTORIAN_KAFKA_BROKERS ?? ''], logLevel: logLevel.NOTHING })
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true })
await producer.connect()
const topicName = process.env.FIELDLINE_HISTORIAN_KAFKA_TOPIC ?? ''

let wake: (() => void) | null = null
let running = true
const sender = (async () => {
  while (running || pending.length > 0) {
    if (pending.length === 0) {
      await new Promise<void>((resolve) => (wake = resolve))
      continue
    }
    const batch = pending.splice(0, 500)
    await producer.send({ topic: topicName, acks: -1, messages: batch.map(({ record: r }) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: String(r.timestamp) })) })
    delivered += batch.length
    queue?.confirm((batch[batch.length - 1] as { end: number }).end)
  }
})()

const client = await connectAsync(process.env.FIELDLINE_MQTT_URL ?? '', {
  clientId: `bench-plain-${mode}`,
  protocolVersion: 5,
  clean: false,
  properties: { sessionExpiryInterval: 3600 },
  reconnectPeriod: 1000,
})
client.on('message', (topic, payload) => {
  received++
  const t = parseTopic(topic)
  if (!t || t.kind !== 'event') return
  const e: HistorianEvent = { id: '', org, type: t.type, device: t.id, event: t.name, format: t.fmt, receivedAt: Date.now(), payload }
  e.id = eventId(e, sequence())
  // On disk before this handler returns, as the forwarder does: mqtt.js sends the PUBACK right after.
  const end = queue ? queue.append(encodeEvent(e)) : 0
  pending.push({ record: kafkaRecord(e), end })
  wake?.()
  wake = null
})
await client.subscribeAsync('iot-2/type/+/id/+/evt/+/fmt/+', { qos: 1 })
state = 'connected'

const ticker = setInterval(() => process.stdout.write(`status ${delivered} ${pending.length} ${received} 0 ${state}\n`), 100)
process.once('SIGTERM', () => {
  void (async () => {
    clearInterval(ticker)
    await client.endAsync()
    running = false
    wake?.()
    await sender
    await producer.disconnect()
    queue?.close()
    process.stdout.write(`summary ${JSON.stringify({ received, delivered })}\n`)
    process.exit(0)
  })()
})
