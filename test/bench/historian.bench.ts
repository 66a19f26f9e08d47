/**
 * Benchmark (not a test; prints figures, asserts nothing): the historian's sustained events/s from mosquitto into
 * Kafka (librdkafka's mock cluster, started with kcat) and into CouchDB bucket databases (the CouchDB peer:
 * express-pouchdb behind its IAM front), each next to a plain writer measured in the same run — a plain kafkajs producer
 * and a plain `_bulk_docs` writer sending the same records and documents — then the time the Kafka queue takes to
 * recover after an outage while events keep coming at 5,000/s, the events lost (published minus distinct ids stored),
 * and the forwarder's RSS through each phase.
 *
 * The forwarder runs in a child process, configured like `fieldline historian run`; the CouchDB peer in another; the
 * publisher, the plain writers and kcat's output reading in this one. The machine's load average is printed: other
 * work on it slows every figure alike.
 *
 *   node --import tsx test/bench/historian.bench.ts          (or: npm run bench -- historian)
 *   BENCH_KAFKA_EVENTS=100000   events of the Kafka run (default 100,000)
 *   BENCH_COUCH_EVENTS=30000    events of the CouchDB run (default 30,000)
 *   BENCH_OUTAGE_SECONDS=15     the broker's outage in the recovery run (default 15; the issue's 60 s, scaled down)
 *   BENCH_RATE=5000             events/s offered during the recovery run (default 5,000)
 *   BENCH_HEAP=1                the forwarder prints its live heap every 2 s (after a forced GC)
 *   BENCH_PROFILE=<dir>         write a V8 CPU profile of each forwarder process there
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { connectAsync, type MqttClient } from 'mqtt'
import { eventDocument } from '../../src-main/core/historian/couch.sink'
import { kafkaRecord } from '../../src-main/core/historian/kafka-sink'
import type { HistorianEvent } from '../../src-main/core/historian/event'
import { startKafkaMock, type KafkaMock } from '../helpers/kafka-mock'
import { eachLine } from '../helpers/lines'
import { fmt, rssMiB, sleep, startQuietBroker } from './bench-kit'

const KAFKA_EVENTS = Number(process.env.BENCH_KAFKA_EVENTS ?? 100_000)
const COUCH_EVENTS = Number(process.env.BENCH_COUCH_EVENTS ?? 30_000)
const OUTAGE_S = Number(process.env.BENCH_OUTAGE_SECONDS ?? 15)
const RATE = Number(process.env.BENCH_RATE ?? 5_000)
const ORG = 'benchorg'
const here = fileURLToPath(new URL('.', import.meta.url))

const payload = (n: number): string => JSON.stringify({ n, temp: 21.53, humidity: 48.2, battery: 3.71, status: 'ok', seq: n })
const topic = (n: number): string => `iot-2/type/bench/id/dev${n % 1000}/evt/reading/fmt/json`

/** The event the forwarder would make of message n: what the plain writers send, so the comparison is like for like. */
function event(n: number): HistorianEvent {
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

interface Child {
  proc: ChildProcess
  delivered: number
  queued: number
  received: number
  mqtt: string
  summary: string
  rss: number[]
  stop(): Promise<void>
}

function startForwarder(env: Record<string, string>, dataDir: string): Child {
  const flags = [...(process.env.BENCH_HEAP ? ['--expose-gc'] : []), ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])]
  const proc = spawn(process.execPath, [...flags, '--import', 'tsx', join(here, 'historian-child.ts')], {
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FIELDLINE_'))), ...env, BENCH_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  process.on('exit', () => proc.kill('SIGKILL'))
  const child: Child = {
    proc,
    delivered: 0,
    queued: 0,
    received: 0,
    mqtt: 'idle',
    summary: '',
    rss: [],
    async stop() {
      clearInterval(sampler)
      proc.kill('SIGTERM')
      await new Promise((resolve) => proc.once('exit', resolve))
    },
  }
  eachLine(proc.stdout, (line) => {
    const m = /^status (\d+) (\d+) (\d+) (\d+) (\w+)$/.exec(line)
    if (m) {
      child.delivered = Number(m[1])
      child.queued = Number(m[2])
      child.received = Number(m[3])
      child.mqtt = m[5] ?? ''
    } else if (line.startsWith('summary ')) child.summary = line.slice(8)
  })
  const sampler = setInterval(() => {
    if (proc.pid && proc.exitCode === null) child.rss.push(rssMiB(proc.pid))
  }, 500)
  return child
}

async function until(check: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (check()) return true
    await sleep(stepMs)
  }
  return check()
}

/** Publishes `count` events as fast as the broker acknowledges them (QoS 1, 1,000 in flight). */
async function publishAll(client: MqttClient, from: number, count: number): Promise<number> {
  const started = performance.now()
  for (let i = from; i < from + count; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, from + count - i) }, (_, k) => client.publishAsync(topic(i + k), payload(i + k), { qos: 1 })))
  }
  return performance.now() - started
}

/** Publishes at `rate` events/s until `stop()` says so; returns how many it published. */
function publishPaced(client: MqttClient, rate: number, from: number): { stop(): Promise<number> } {
  let running = true
  let n = from
  const tickMs = 20
  const loop = (async () => {
    const started = performance.now()
    while (running) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate)
      const batch: Promise<unknown>[] = []
      while (n - from < due) {
        batch.push(client.publishAsync(topic(n), payload(n), { qos: 1 }))
        n++
      }
      await Promise.all(batch)
      await sleep(tickMs)
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return n - from
    },
  }
}

function distinctIds(mock: KafkaMock): number {
  return new Set(mock.records().map((r) => r.headers.id)).size
}

const range = (rss: number[]): string => (rss.length ? `RSS ${Math.min(...rss)}–${Math.max(...rss)} MiB (last ${rss[rss.length - 1]} MiB)` : 'RSS not sampled')

/** The MQTT path alone: the same publisher into a plain mqtt.js subscriber (QoS 1, as the forwarder subscribes). */
async function mqttBaseline(url: string, pub: MqttClient, count: number): Promise<number> {
  const sub = await connectAsync(url, { clientId: 'bench-plain-subscriber', protocolVersion: 5 })
  let got = 0
  sub.on('message', () => got++)
  await sub.subscribeAsync('iot-2/type/+/id/+/evt/+/fmt/+', { qos: 1 })
  const started = performance.now()
  await publishAll(pub, 5_000_000, count)
  await until(() => got >= count, 120_000)
  const rate = (count * 1000) / (performance.now() - started)
  await sub.endAsync()
  return rate
}

async function kafkaBaseline(): Promise<number> {
  const mock = await startKafkaMock('baseline')
  try {
    const kafka = new Kafka({ clientId: 'bench-plain', brokers: [mock.bootstrap], logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    const started = performance.now()
    for (let i = 0; i < KAFKA_EVENTS; i += 500) {
      const records = Array.from({ length: Math.min(500, KAFKA_EVENTS - i) }, (_, k) => kafkaRecord(event(i + k)))
      await producer.send({ topic: 'baseline', acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: String(r.timestamp) })) })
    }
    const ms = performance.now() - started
    await producer.disconnect()
    return (KAFKA_EVENTS * 1000) / ms
  } finally {
    await mock.stop()
  }
}

async function couchBaseline(url: string): Promise<number> {
  const tokenRes = await fetch(`${url}/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=bench-key',
  })
  const token = ((await tokenRes.json()) as { access_token: string }).access_token
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  await fetch(`${url}/iotp_${ORG}_plain_baseline`, { method: 'PUT', headers })
  const batches: number[] = []
  for (let i = 0; i < COUCH_EVENTS; i += 500) batches.push(i)
  const started = performance.now()
  // Three batches in flight, as the CouchDB destination sends them.
  await Promise.all(
    [0, 1, 2].map(async () => {
      for (let i = batches.shift(); i !== undefined; i = batches.shift()) {
        const docs = Array.from({ length: Math.min(500, COUCH_EVENTS - i) }, (_, k) => eventDocument(event(i + k), 'UTC'))
        const res = await fetch(`${url}/iotp_${ORG}_plain_baseline/_bulk_docs`, { method: 'POST', headers, body: JSON.stringify({ docs }) })
        if (res.status !== 201) throw new Error(`baseline _bulk_docs: HTTP ${res.status}`)
        await res.arrayBuffer()
      }
    }),
  )
  return (COUCH_EVENTS * 1000) / (performance.now() - started)
}

async function couchStored(url: string): Promise<number> {
  const tokenRes = await fetch(`${url}/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=bench-key',
  })
  const token = ((await tokenRes.json()) as { access_token: string }).access_token
  const headers = { authorization: `Bearer ${token}` }
  const dbs = ((await (await fetch(`${url}/_all_dbs`, { headers })).json()) as string[]).filter((d) => d.startsWith(`iotp_${ORG}_hist_2`))
  let total = 0
  for (const db of dbs) total += ((await (await fetch(`${url}/${db}`, { headers })).json()) as { doc_count: number }).doc_count
  return total
}

async function main(): Promise<void> {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
  console.log(
    `historian benchmark: ${fmt(KAFKA_EVENTS)} events into Kafka, ${fmt(COUCH_EVENTS)} into CouchDB, recovery after a ${OUTAGE_S} s outage at ${fmt(RATE)} events/s; load average at start ${load}`,
  )
  const broker = await startQuietBroker({ maxQueuedMessages: 0 })
  const work = await mkdtemp(join(tmpdir(), 'fieldline-bench-historian-'))
  const couchProc = spawn(process.execPath, ['--import', 'tsx', join(here, 'couch-server.ts')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  process.on('exit', () => couchProc.kill('SIGKILL'))
  const couchUrl = await new Promise<string>((resolve) => couchProc.stdout?.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { url: string }).url)))
  const pub = await connectAsync(broker.url, { clientId: 'bench-publisher', protocolVersion: 5 })
  const base = { FIELDLINE_MQTT_URL: broker.url, FIELDLINE_MQTT_CLIENT_ID: `a:${ORG}:historian`, FIELDLINE_HISTORIAN_MQTT_VERSION: '5' }
  try {
    // ---- The MQTT path alone -------------------------------------------------------------------------------------
    const plainMqtt = await mqttBaseline(broker.url, pub, KAFKA_EVENTS)
    console.log(`mosquitto → plain mqtt.js subscriber (QoS 1, the forwarder's input path without the forwarder): ${fmt(plainMqtt)} events/s`)

    // ---- Kafka ----------------------------------------------------------------------------------------------------
    const plainKafka = await kafkaBaseline()
    console.log(`plain kafkajs producer (batches of 500, acks=all): ${fmt(plainKafka)} events/s`)
    const kmock = await startKafkaMock('events')
    const kafkaDir = join(work, 'kafka')
    const kchild = startForwarder(
      {
        ...base,
        FIELDLINE_HISTORIAN_INSTANCE: 'bench-kafka',
        FIELDLINE_HISTORIAN_KAFKA_BROKERS: kmock.bootstrap,
        FIELDLINE_HISTORIAN_KAFKA_SECURITY: 'plaintext',
        FIELDLINE_HISTORIAN_KAFKA_TOPIC: 'events',
      },
      kafkaDir,
    )
    await until(() => kchild.mqtt === 'connected', 20_000)
    const k0 = performance.now()
    const kPublishMs = await publishAll(pub, 0, KAFKA_EVENTS)
    await until(() => kchild.delivered >= KAFKA_EVENTS, 300_000)
    const kafkaRate = (KAFKA_EVENTS * 1000) / (performance.now() - k0)
    await until(() => distinctIds(kmock) >= KAFKA_EVENTS, 30_000)
    const kafkaLost = KAFKA_EVENTS - distinctIds(kmock)
    await kchild.stop()
    console.log(
      `mosquitto → historian → Kafka: ${fmt(kafkaRate)} events/s end to end (publisher alone: ${fmt((KAFKA_EVENTS * 1000) / kPublishMs)} events/s), ratio to the plain producer ${(kafkaRate / plainKafka).toFixed(2)}, lost ${kafkaLost}, duplicates ${kmock.records().length - distinctIds(kmock)}, ${range(kchild.rss)}`,
    )
    await kmock.stop()

    // ---- CouchDB --------------------------------------------------------------------------------------------------
    const plainCouch = await couchBaseline(couchUrl)
    console.log(`plain _bulk_docs writer (batches of 500, 3 in flight, through the same IAM front): ${fmt(plainCouch)} events/s`)
    const cchild = startForwarder(
      {
        ...base,
        FIELDLINE_HISTORIAN_INSTANCE: 'bench-couch',
        FIELDLINE_HISTORIAN_COUCH_URL: couchUrl,
        FIELDLINE_HISTORIAN_COUCH_IAM_URL: couchUrl,
        FIELDLINE_HISTORIAN_COUCH_API_KEY: 'bench-key',
        FIELDLINE_HISTORIAN_COUCH_DB: 'hist',
      },
      join(work, 'couch'),
    )
    await until(() => cchild.mqtt === 'connected', 20_000)
    const c0 = performance.now()
    const cPublishMs = await publishAll(pub, 1_000_000, COUCH_EVENTS)
    await until(() => cchild.delivered >= COUCH_EVENTS, 600_000)
    const couchRate = (COUCH_EVENTS * 1000) / (performance.now() - c0)
    await cchild.stop()
    const couchLost = COUCH_EVENTS - (await couchStored(couchUrl))
    console.log(
      `mosquitto → historian → CouchDB buckets: ${fmt(couchRate)} events/s end to end (publisher alone: ${fmt((COUCH_EVENTS * 1000) / cPublishMs)} events/s), ratio to the plain writer ${(couchRate / plainCouch).toFixed(2)}, lost ${couchLost}, ${range(cchild.rss)}`,
    )

    // ---- Recovery after an outage (Kafka) -------------------------------------------------------------------------
    const rmock = await startKafkaMock('recovery')
    const rchild = startForwarder(
      {
        ...base,
        FIELDLINE_HISTORIAN_INSTANCE: 'bench-recovery',
        FIELDLINE_HISTORIAN_KAFKA_BROKERS: rmock.bootstrap,
        FIELDLINE_HISTORIAN_KAFKA_SECURITY: 'plaintext',
        FIELDLINE_HISTORIAN_KAFKA_TOPIC: 'recovery',
      },
      join(work, 'recovery'),
    )
    await until(() => rchild.mqtt === 'connected', 20_000)
    const paced = publishPaced(pub, RATE, 2_000_000)
    await sleep(5_000)
    rmock.pause()
    await sleep(OUTAGE_S * 1000)
    const peak = rchild.queued
    const deliveredAtResume = rchild.delivered
    rmock.resume()
    const resumed = performance.now()
    const recovered = await until(() => rchild.queued < RATE / 5, 600_000, 50)
    const recoveryS = (performance.now() - resumed) / 1000
    const drainRate = (rchild.delivered - deliveredAtResume) / recoveryS
    await sleep(3_000)
    const published = await paced.stop()
    await until(() => rchild.delivered >= published, 120_000)
    await until(() => distinctIds(rmock) >= published, 30_000)
    await rchild.stop()
    const lost = published - distinctIds(rmock)
    console.log(
      `recovery (Kafka broker hung ${OUTAGE_S} s while ${fmt(RATE)} events/s kept coming): ${fmt(peak)} events queued at the end of the outage; ${recovered ? `queue back under ${fmt(RATE / 5)} events ${recoveryS.toFixed(1)} s after the broker answered again (${fmt(drainRate)} events/s delivered meanwhile, from the queue and the live stream)` : 'the queue did not recover within 10 min'}; ${fmt(published)} published, lost ${lost}, duplicates ${rmock.records().length - distinctIds(rmock)}, ${range(rchild.rss)}`,
    )
    await rmock.stop()
  } finally {
    await pub.endAsync()
    couchProc.kill('SIGTERM')
    await broker.stop()
    await rm(work, { recursive: true, force: true })
    console.log(
      `load average at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
  }
}

await main()
process.exit(0)
