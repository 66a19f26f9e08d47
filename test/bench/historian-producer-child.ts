/**
 * The baseline, in a process of its own like the forwarder (so its CPU is its own, and the bench's process,
 * which reads the mock broker's records, does not slow it): a plain kafkajs producer sending BENCH_EVENTS events made in
 * memory (historian-load.ts; the forwarder's records, kafka-sink.ts), batches of BENCH_BATCH (500), one at a time,
 * acks=all, kafkajs's default partitioner, no compression, to FIELDLINE_HISTORIAN_KAFKA_BROKERS / _TOPIC. Nothing on
 * disk, no MQTT. Prints `status <delivered> 0 <delivered> 0 connected` every 100 ms once connected, like the forwarder's
 * child, and stays until SIGTERM once every batch is acknowledged.
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { kafkaRecord } from '../../src-main/core/historian/kafka-sink'
import { event } from './historian-load'

const total = Number(process.env.BENCH_EVENTS ?? 100_000)
const size = Number(process.env.BENCH_BATCH ?? 500)
const kafka = new Kafka({ clientId: 'bench-plain-producer', brokers: [process.env.FIELDLINE_HISTORIAN_KAFKA_BROKERS ?? ''], logLevel: logLevel.NOTHING })
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
await producer.connect()
let delivered = 0
const line = (): boolean => process.stdout.write(`status ${delivered} 0 ${delivered} 0 connected\n`)
const ticker = setInterval(line, 100)
const topic = process.env.FIELDLINE_HISTORIAN_KAFKA_TOPIC ?? ''
for (let i = 0; i < total; i += size) {
  const records = Array.from({ length: Math.min(size, total - i) }, (_, k) => event(i + k)).map(kafkaRecord)
  await producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: String(r.timestamp) })) })
  delivered += records.length
}
clearInterval(ticker)
line()
await producer.disconnect()
process.once('SIGTERM', () => process.stdout.write(`summary ${JSON.stringify({ delivered })}\n`, () => process.exit(0)))
setInterval(line, 1000)
