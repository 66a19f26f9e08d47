/**
 * Benchmark (not a test; prints figures, asserts nothing): the historian's sustained events/s from mosquitto into
 * Kafka (librdkafka's mock cluster, started with kcat) and into CouchDB bucket databases (the CouchDB peer:
 * express-pouchdb behind its IAM front), each next to plain writers measured in the same run — a plain kafkajs producer
 * and a plain `_bulk_docs` writer sending the same records and documents (the issue's baselines: they keep nothing on
 * disk), the same writers keeping each event on disk first as the forwarder's queue does (historian-plain-queue.ts),
 * and for Kafka plain mqtt.js → kafkajs bridges fed by the same publisher (historian-plain-child.ts) — then the time the
 * Kafka queue takes to recover after an outage while events keep coming at 5,000/s, the events lost (published minus
 * distinct ids stored; for Kafka a lower bound when the mock's consumer did not read every record the broker
 * numbered: see lostInKafka), and the forwarder's RSS through each phase.
 *
 * The forwarder and the plain bridges run in child processes, the forwarder configured like `fieldline historian run`;
 * the CouchDB peer in another; the publisher, the plain writers and kcat's output reading in this one. The machine's
 * load average is printed with every figure: other work on it slows every figure alike, so compare ratios.
 *
 *   node --import tsx test/bench/historian.bench.ts          (or: npm run bench -- historian)
 *   BENCH_KAFKA_EVENTS=100000   events of the Kafka run (default 100,000)
 *   BENCH_COUCH_EVENTS=30000    events of the CouchDB run (default 30,000)
 *   BENCH_OUTAGE_SECONDS=60     the broker's outage in the recovery run (default 60, the issue's)
 *   BENCH_RATE=5000             events/s offered during the recovery run (default 5,000)
 *   BENCH_RECOVERY_DEST=couch   the recovery run into CouchDB instead of Kafka
 *   BENCH_STEADY_SECONDS=30     how long the recovery run goes on at that rate once the queue is back (default 30)
 *   BENCH_BACKLOG_EVENTS=100000  events of the Kafka backlog run (default 100,000)
 *   BENCH_DRAIN_EVENTS=100000   events in the forwarder's on-disk queue for the drain run (default 100,000)
 *   BENCH_PHASES=kafka,couch,backlog,drain,recovery   the parts to run (default all five)
 *   BENCH_PUBLISHERS=N          N publisher processes (historian-publisher-child.ts) share the events of every run but
 *                               the recovery's, instead of one mqtt.js client in this process
 *   BENCH_HEAP=1                the forwarder prints its live heap every 2 s (after a forced GC)
 *   BENCH_PROFILE=<dir>         write a V8 CPU profile of each forwarder process there
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { connect, connectAsync, type MqttClient } from 'mqtt'
import { forwarderClientId } from '../../src-main/core/historian/config'
import { kafkaRecord } from '../../src-main/core/historian/kafka-sink'
import { openEventQueue } from '../../src-main/core/historian/event-queue'
import { encodeEvent, type HistorianEvent } from '../../src-main/core/historian/event'
import { queueDir } from '../../src-main/core/historian/forwarder'
import { offsetRanges, readTopic, startKafkaMock, unreadOffsets, type KafkaMock } from '../helpers/kafka-mock'
import { eachLine } from '../helpers/lines'
import { fmt, rssMiB, sleep, startQuietBroker } from './bench-kit'
import { couchToken, plainBulkDocs, plainDatabase } from './historian-plain-couch'
import { ORG, event, payload, publishAll, topic } from './historian-load'
import { openPlainQueue } from './historian-plain-queue'

const KAFKA_EVENTS = Number(process.env.BENCH_KAFKA_EVENTS ?? 100_000)
const COUCH_EVENTS = Number(process.env.BENCH_COUCH_EVENTS ?? 30_000)
const OUTAGE_S = Number(process.env.BENCH_OUTAGE_SECONDS ?? 60)
const RATE = Number(process.env.BENCH_RATE ?? 5_000)
const RECOVERY_DEST = process.env.BENCH_RECOVERY_DEST === 'couch' ? 'couch' : 'kafka'
const STEADY_S = Number(process.env.BENCH_STEADY_SECONDS ?? 30)
const BACKLOG_EVENTS = Number(process.env.BENCH_BACKLOG_EVENTS ?? 100_000)
const PHASES = new Set((process.env.BENCH_PHASES ?? 'kafka,couch,backlog,drain,recovery').split(','))
const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 0)
const DRAIN_EVENTS = Number(process.env.BENCH_DRAIN_EVENTS ?? 100_000)
const here = fileURLToPath(new URL('.', import.meta.url))

interface Child {
  proc: ChildProcess
  delivered: number
  queued: number
  received: number
  dropped: number
  mqtt: string
  /** The first destination's state (the plain bridges have theirs ready before they connect). */
  destination: string
  summary: string
  rss: number[]
  /** CPU seconds (user + system) the process has used so far. */
  cpu(): number
  /**
   * SIGTERM, then its persistent session is discarded at the broker unless `keepSession`: a session left behind would
   * have mosquitto queue every later phase's events for it, a cost no phase should carry (and, under a reused client
   * id, a later run would drain them).
   */
  stop(options?: { keepSession?: boolean }): Promise<void>
}

/** Ends a client's session at the broker: a clean start with no expiry replaces it, and it goes with the disconnect. */
async function discardSession(url: string, clientId: string): Promise<void> {
  const c = await connectAsync(url, { clientId, protocolVersion: 5, clean: true, properties: { sessionExpiryInterval: 0 }, reconnectPeriod: 0 })
  await c.endAsync()
}

/** A process's CPU time from /proc (clock ticks of 10 ms): unlike a rate, it hardly depends on the machine's load. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

function startForwarder(env: Record<string, string>, dataDir: string, script = 'historian-child.ts'): Child {
  const clientId = script === 'historian-child.ts' ? forwarderClientId(env.FIELDLINE_MQTT_CLIENT_ID ?? '', env.FIELDLINE_HISTORIAN_INSTANCE ?? '') : `bench-plain-${basename(dataDir)}`
  const flags = [...(process.env.BENCH_HEAP ? ['--expose-gc'] : []), ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])]
  const proc = spawn(process.execPath, [...flags, '--import', 'tsx', join(here, script)], {
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FIELDLINE_'))), ...env, BENCH_DATA_DIR: dataDir, BENCH_CLIENT_ID: clientId },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const kill = (): boolean => proc.kill('SIGKILL')
  process.on('exit', kill)
  proc.once('exit', () => process.off('exit', kill))
  const child: Child = {
    proc,
    delivered: 0,
    queued: 0,
    received: 0,
    dropped: 0,
    mqtt: 'idle',
    destination: 'idle',
    summary: '',
    rss: [],
    cpu: () => cpuSeconds(proc.pid),
    async stop(options) {
      clearInterval(sampler)
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve))
        proc.kill('SIGTERM')
        await exited
      }
      if (!options?.keepSession && env.FIELDLINE_MQTT_URL) await discardSession(env.FIELDLINE_MQTT_URL, clientId)
    },
  }
  eachLine(proc.stdout, (line) => {
    const m = /^status (\d+) (\d+) (\d+) (\d+) (\w+)(?: (\w+))?$/.exec(line)
    if (m) {
      child.delivered = Number(m[1])
      child.queued = Number(m[2])
      child.received = Number(m[3])
      child.dropped = Number(m[4])
      child.mqtt = m[5] ?? ''
      child.destination = m[6] ?? 'connected'
    } else if (line.startsWith('summary ')) child.summary = line.slice(8)
  })
  const sampler = setInterval(() => {
    if (proc.pid && proc.exitCode === null) child.rss.push(rssMiB(proc.pid))
  }, 500)
  return child
}

async function untilAsync(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await check()) return true
    await sleep(500)
  }
  return check()
}

async function until(check: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (check()) return true
    await sleep(stepMs)
  }
  return check()
}

/**
 * Where the events come from: the bench's own mqtt.js client (the default), or with BENCH_PUBLISHERS=N that many
 * publisher processes (historian-publisher-child.ts), each sending its share of the events with 1,000 in flight. `prepare`
 * gets the publishers connected (outside any measured time) and returns the start of the publishing, which resolves
 * with the time from its call to the last acknowledgement.
 */
interface Source {
  readonly label: string
  prepare(from: number, count: number): Promise<() => Promise<number>>
}

function createSource(pub: MqttClient, url: string): Source {
  if (PUBLISHERS < 1) return { label: 'one mqtt.js publisher in the bench process', prepare: async (from, count) => () => publishAll(pub, from, count) }
  return {
    label: `${PUBLISHERS} mqtt.js publishers, each in its own process`,
    async prepare(from, count) {
      const share = Math.floor(count / PUBLISHERS)
      const children = Array.from({ length: PUBLISHERS }, (_, k) => {
        const n = k === PUBLISHERS - 1 ? count - share * k : share
        const proc = spawn(process.execPath, ['--import', 'tsx', join(here, 'historian-publisher-child.ts')], {
          env: { ...process.env, BENCH_MQTT_URL: url, BENCH_FROM: String(from + share * k), BENCH_COUNT: String(n) },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        })
        const kill = (): boolean => proc.kill('SIGKILL')
        process.on('exit', kill)
        proc.once('exit', () => process.off('exit', kill))
        const ready = new Promise<void>((resolve) => proc.once('message', () => resolve()))
        return { proc, ready }
      })
      await Promise.all(children.map((c) => c.ready))
      return async () => {
        const started = performance.now()
        const done = children.map(({ proc }) => new Promise<void>((resolve) => proc.once('exit', () => resolve())))
        for (const { proc } of children) proc.send('go')
        await Promise.all(done)
        return performance.now() - started
      }
    },
  }
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
      // At most 10,000 in flight: a loop held up by a loaded machine must not wrap mqtt.js's 16-bit packet ids over
      // messages still unacknowledged.
      while (n - from < due && batch.length < 10_000) {
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

/** Records with distinct ids (the plain pipe's carry none: its raw payloads, each with its own `n`, stand for them). */
function distinctIds(mock: KafkaMock): number {
  return new Set(mock.records().map((r) => r.headers.id ?? r.value)).size
}

/** Ids the mock's consumer has shown, plus the records the broker numbered that it never read (each may hold one more): enough to stop waiting. */
async function accounted(mock: KafkaMock): Promise<number> {
  return distinctIds(mock) + unreadOffsets(mock.records(), await mock.highWatermarks())
}

/**
 * `expected` minus the ids the mock's consumer showed and the `left` still queued on disk. Exact when it read every
 * record the broker numbered; when it did not (records the mock's retention dropped before it read them, or a tail it
 * never reached after starting again at the end: docs/historian.md, "Counting what Kafka holds"), each unread record
 * may be one of the ids not seen, so only a lower bound is known.
 */
async function lostInKafka(mock: KafkaMock, expected: number, left = 0): Promise<string> {
  const notSeen = expected - distinctIds(mock) - left
  const high = await mock.highWatermarks()
  const numbered = [...high.values()].reduce((a, b) => a + b, 0)
  const unread = unreadOffsets(mock.records(), high)
  if (unread === 0) return `lost ${notSeen}`
  return `lost at least ${Math.max(0, notSeen - unread)} (${fmt(notSeen)} ids not seen; the broker numbered ${fmt(numbered)} records, of which the mock's consumer did not read ${fmt(unread)}: its retention dropped them before it got there, or it started again at the end)`
}

/**
 * Connected to the broker, and its CouchDB destination ready: a new forwarder first creates its bucket databases (a few
 * hundred milliseconds on a loaded machine), which a deployment has done long before; the plain bridges create theirs
 * before they connect.
 */
async function couchReady(child: Child): Promise<void> {
  await until(() => child.mqtt === 'connected' && child.destination === 'connected', 20_000)
}

/** `count` events from the publisher through `child` (forwarder or plain bridge): end-to-end events/s, its CPU per event, publisher alone. */
async function throughChild(source: Source, child: Child, from: number, count: number): Promise<{ rate: number; cpuPerEvent: number; publisher: number; course: string }> {
  await until(() => child.mqtt === 'connected', 20_000)
  const publish = await source.prepare(from, count)
  const cpu0 = child.cpu()
  const t0 = performance.now()
  // Every 250 ms: hundreds of events received and delivered by then, and queued (received, not yet delivered).
  const course: string[] = []
  const sampler = setInterval(() => course.push(`${Math.round(child.received / 100)}/${Math.round(child.delivered / 100)}`), 250)
  const publishMs = await publish()
  await until(() => child.delivered >= count, 600_000)
  clearInterval(sampler)
  const rate = (count * 1000) / (performance.now() - t0)
  return { rate, cpuPerEvent: ((child.cpu() - cpu0) * 1e6) / count, publisher: (count * 1000) / publishMs, course: course.join(' ') }
}

/** `count` events from the publisher through `child` into Kafka: end-to-end events/s, publisher alone, lost, duplicates. */
async function endToEnd(source: Source, child: Child, mock: KafkaMock, from: number, count: number) {
  const r = await throughChild(source, child, from, count)
  await untilAsync(async () => (await accounted(mock)) >= count, 30_000)
  await child.stop()
  return { ...r, lost: await lostInKafka(mock, count), duplicates: mock.records().length - distinctIds(mock) }
}

/**
 * The same child's intake with the publisher out of the path: `count` events are published while it is away (its
 * persistent session keeps them at the broker), then it starts again and drains them. Events/s from its first status
 * line that counts an event received until it has delivered them all (what it delivered before that line, at most
 * 100 ms of it, is left out of both counts), and its CPU per event.
 */
async function backlog(source: Source, start: () => Child, from: number, count: number): Promise<{ rate: number; cpuPerEvent: number; child: Child }> {
  const first = start()
  await until(() => first.mqtt === 'connected', 20_000)
  await first.stop({ keepSession: true })
  await (
    await source.prepare(from, count)
  )()
  const child = start()
  await until(() => child.received > 0, 60_000, 5)
  const cpu0 = child.cpu()
  const d0 = child.delivered
  const t0 = performance.now()
  await until(() => child.delivered >= count, 600_000)
  const rate = ((child.delivered - d0) * 1000) / (performance.now() - t0)
  const cpuPerEvent = ((child.cpu() - cpu0) * 1e6) / (child.delivered - d0)
  await child.stop()
  return { rate, cpuPerEvent, child }
}

/**
 * A child that sends what it already holds (the forwarder draining its on-disk queue, or the plain producer making
 * its events): events/s and CPU per event from its first status line that counts a delivery until it has delivered
 * `count`. Both are measured alike: what was delivered before that line (at most 100 ms of it) and the start-up before
 * it (loading, connecting the producer) count in neither.
 */
async function drained(child: Child, count: number): Promise<{ rate: number; cpuPerEvent: number }> {
  await until(() => child.delivered > 0, 60_000, 5)
  const cpu0 = child.cpu()
  const d0 = child.delivered
  const t0 = performance.now()
  await until(() => child.delivered >= count, 600_000, 5)
  const rate = ((child.delivered - d0) * 1000) / (performance.now() - t0)
  return { rate, cpuPerEvent: ((child.cpu() - cpu0) * 1e6) / (child.delivered - d0) }
}

/**
 * The issue's baseline, a plain kafkajs producer (historian-producer-child.ts: events made in memory, batches of 500,
 * one at a time, acks=all, no MQTT, nothing on disk), in its own process against a mock broker of its own.
 */
async function plainProducer(count: number, topicName: string): Promise<{ rate: number; cpuPerEvent: number }> {
  const mock = await startKafkaMock(topicName)
  const child = startForwarder({ FIELDLINE_HISTORIAN_KAFKA_BROKERS: mock.bootstrap, FIELDLINE_HISTORIAN_KAFKA_TOPIC: topicName, BENCH_EVENTS: String(count) }, '', 'historian-producer-child.ts')
  try {
    return await drained(child, count)
  } finally {
    await child.stop()
    await mock.stop()
  }
}

/** The MQTT path alone with the publisher out of it: a plain subscriber draining `count` events kept for its session. */
async function mqttBacklog(url: string, source: Source, count: number): Promise<number> {
  const options = { clientId: 'bench-plain-backlog', protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 3600 } }
  const away = await connectAsync(url, options)
  await away.subscribeAsync('iot-2/type/+/id/+/evt/+/fmt/+', { qos: 1 })
  await away.endAsync()
  await (
    await source.prepare(8_000_000, count)
  )()
  let got = 0
  const started = performance.now()
  const sub = connect(url, options)
  sub.on('message', () => got++)
  await until(() => got >= count, 120_000, 5)
  const rate = (count * 1000) / (performance.now() - started)
  await sub.endAsync()
  await discardSession(url, options.clientId)
  return rate
}

const load = (): string => `load ${(loadavg()[0] ?? 0).toFixed(1)}`

const range = (rss: number[]): string => (rss.length ? `RSS ${Math.min(...rss)}–${Math.max(...rss)} MiB (last ${rss[rss.length - 1]} MiB)` : 'RSS not sampled')

/** The MQTT path alone: the same publisher into a plain mqtt.js subscriber (QoS 1, as the forwarder subscribes). */
async function mqttBaseline(url: string, source: Source, count: number): Promise<number> {
  const sub = await connectAsync(url, { clientId: 'bench-plain-subscriber', protocolVersion: 5 })
  let got = 0
  sub.on('message', () => got++)
  await sub.subscribeAsync('iot-2/type/+/id/+/evt/+/fmt/+', { qos: 1 })
  const publish = await source.prepare(5_000_000, count)
  const started = performance.now()
  await publish()
  await until(() => got >= count, 120_000)
  const rate = (count * 1000) / (performance.now() - started)
  await sub.endAsync()
  return rate
}

/**
 * Events made in this process, `count` at a time, into a plain queue (historian-plain-queue.ts) when `queueDir` is
 * given: the same durability as the forwarder's, without its MQTT intake.
 */
function batchesOf(size: number, total: number, queueDir: string | null): { next(): { events: HistorianEvent[]; end: number } | null; confirm(end: number): void; close(): void } {
  const queue = queueDir ? openPlainQueue(queueDir) : null
  let i = 0
  return {
    next() {
      if (i >= total) return null
      const events = Array.from({ length: Math.min(size, total - i) }, (_, k) => event(i + k))
      i += events.length
      let end = 0
      if (queue) for (const e of events) end = queue.append(encodeEvent(e))
      return { events, end }
    },
    // With batches in flight side by side, the position may pass one not yet confirmed: the forwarder's queue does not,
    // but the cost (one write and rename per 100 ms) is the same, and that is what this measures.
    confirm: (end) => queue?.confirm(end),
    close: () => queue?.close(),
  }
}

/** A plain kafkajs producer: batches of 500, one at a time, acks=all; with `queueDir`, each event first on disk. */
async function kafkaBaseline(queueDir: string | null): Promise<number> {
  const mock = await startKafkaMock('baseline')
  const batches = batchesOf(500, KAFKA_EVENTS, queueDir)
  try {
    const kafka = new Kafka({ clientId: 'bench-plain', brokers: [mock.bootstrap], logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    const started = performance.now()
    for (let b = batches.next(); b; b = batches.next()) {
      const records = b.events.map(kafkaRecord)
      await producer.send({ topic: 'baseline', acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: String(r.timestamp) })) })
      batches.confirm(b.end)
    }
    const ms = performance.now() - started
    await producer.disconnect()
    return (KAFKA_EVENTS * 1000) / ms
  } finally {
    batches.close()
    await mock.stop()
  }
}

/** A plain `_bulk_docs` writer: batches of 500, three in flight; with `queueDir`, each event first on disk. */
async function couchBaseline(url: string, db: string, queueDir: string | null, count = COUCH_EVENTS): Promise<number> {
  const target = await plainDatabase(url, `iotp_${ORG}_plain_${db}`)
  const batches = batchesOf(500, count, queueDir)
  const started = performance.now()
  // Three batches in flight, as the CouchDB destination sends them.
  await Promise.all(
    [0, 1, 2].map(async () => {
      for (let b = batches.next(); b; b = batches.next()) {
        await plainBulkDocs(target, b.events)
        batches.confirm(b.end)
      }
    }),
  )
  batches.close()
  return (count * 1000) / (performance.now() - started)
}

/** Documents stored in these databases. */
async function couchDocCount(url: string, dbs: string[]): Promise<number> {
  const headers = { authorization: `Bearer ${await couchToken(url)}` }
  let total = 0
  for (const db of dbs) total += ((await (await fetch(`${url}/${db}`, { headers })).json()) as { doc_count: number }).doc_count
  return total
}

/** Documents the forwarder stored in its bucket databases. */
async function couchStored(url: string, name = 'hist'): Promise<number> {
  const headers = { authorization: `Bearer ${await couchToken(url)}` }
  const dbs = ((await (await fetch(`${url}/_all_dbs`, { headers })).json()) as string[]).filter((d) => d.startsWith(`iotp_${ORG}_${name}_2`))
  return couchDocCount(url, dbs)
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
  console.log(
    `historian benchmark: ${fmt(KAFKA_EVENTS)} events into Kafka, ${fmt(COUCH_EVENTS)} into CouchDB, recovery after a ${OUTAGE_S} s outage at ${fmt(RATE)} events/s; load average at start ${loadAtStart}`,
  )
  const broker = await startQuietBroker({ maxQueuedMessages: 0 })
  const work = await mkdtemp(join(tmpdir(), 'fieldline-bench-historian-'))
  const couchProc = spawn(
    process.execPath,
    [...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}/couch`] : []), '--import', 'tsx', join(here, 'couch-server.ts')],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  )
  process.on('exit', () => couchProc.kill('SIGKILL'))
  const couchUrl = await new Promise<string>((resolve) => couchProc.stdout?.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { url: string }).url)))
  const pub = await connectAsync(broker.url, { clientId: 'bench-publisher', protocolVersion: 5 })
  const source = createSource(pub, broker.url)
  console.log(`source: ${source.label} (BENCH_PUBLISHERS)`)
  const base = { FIELDLINE_MQTT_URL: broker.url, FIELDLINE_MQTT_CLIENT_ID: `a:${ORG}:historian`, FIELDLINE_HISTORIAN_MQTT_VERSION: '5' }
  const kafkaForwarder = (name: string, mock: KafkaMock, topicName: string): Child =>
    startForwarder(
      {
        ...base,
        FIELDLINE_HISTORIAN_INSTANCE: `bench-${name}`,
        FIELDLINE_HISTORIAN_KAFKA_BROKERS: mock.bootstrap,
        FIELDLINE_HISTORIAN_KAFKA_SECURITY: 'plaintext',
        FIELDLINE_HISTORIAN_KAFKA_TOPIC: topicName,
      },
      join(work, name),
    )
  try {
    // ---- The MQTT path alone -------------------------------------------------------------------------------------
    if (PHASES.has('kafka')) {
      const plainMqtt = await mqttBaseline(broker.url, source, KAFKA_EVENTS)
      console.log(`mosquitto → plain mqtt.js subscriber (QoS 1, the forwarder's input path without the forwarder): ${fmt(plainMqtt)} events/s (${load()})`)

      // ---- Kafka ----------------------------------------------------------------------------------------------------
      // The issue's baseline in a process of its own, as the forwarder is (the in-process producers below share this
      // process with the reading of the mock's records); before and after the MQTT-fed runs, for the load's drift.
      const producer = await plainProducer(KAFKA_EVENTS, 'baseline-child')
      console.log(
        `plain kafkajs producer, own process (batches of 500, one at a time, acks=all, no compression; events made in memory, nothing on disk, no MQTT): ${fmt(producer.rate)} events/s, ${producer.cpuPerEvent.toFixed(1)} µs of CPU per event (${load()})`,
      )
      const plainKafka = await kafkaBaseline(null)
      console.log(`the same producer in the bench's process: ${fmt(plainKafka)} events/s (${load()})`)
      const kafkaDisk = join(work, 'plain-kafka')
      await mkdir(kafkaDisk)
      const plainKafkaDisk = await kafkaBaseline(kafkaDisk)
      console.log(`the same, each event first on disk as the forwarder's queue keeps it (historian-plain-queue.ts): ${fmt(plainKafkaDisk)} events/s (${load()})`)

      const plainBridges: Record<string, number> = {}
      const bridgeCpu: Record<string, number> = {}
      const modes = ['pipe', 'memory', 'disk'] as const
      const describe = {
        pipe: 'plain pipe: each message as it came (key org:type:device, value the raw payload), no ids, no queue',
        memory: "plain bridge in memory: the forwarder's events and records (ids, base64 payload), no queue; what was acknowledged to the broker and not yet sent is lost in a crash",
        disk: 'plain bridge on disk: the same, each event on disk before its PUBACK, as the forwarder',
      }
      for (const mode of modes) {
        const mock = await startKafkaMock(`plain-${mode}`)
        const dir = join(work, `bridge-${mode}`)
        await mkdir(dir)
        const child = startForwarder(
          { FIELDLINE_MQTT_URL: broker.url, BENCH_PLAIN: mode, FIELDLINE_HISTORIAN_KAFKA_BROKERS: mock.bootstrap, FIELDLINE_HISTORIAN_KAFKA_TOPIC: `plain-${mode}` },
          dir,
          'historian-plain-child.ts',
        )
        const r = await endToEnd(source, child, mock, 2_000_000 + 1_000_000 * modes.indexOf(mode), KAFKA_EVENTS)
        await mock.stop()
        plainBridges[mode] = r.rate
        bridgeCpu[mode] = r.cpuPerEvent
        console.log(
          `mosquitto → ${describe[mode]}: ${fmt(r.rate)} events/s end to end (publish rate achieved: ${fmt(r.publisher)} events/s), ${r.cpuPerEvent.toFixed(1)} µs of CPU per event, ${r.lost} (${load()})`,
        )
      }

      const kmock = await startKafkaMock('events')
      const kchild = kafkaForwarder('kafka', kmock, 'events')
      const k = await endToEnd(source, kchild, kmock, 0, KAFKA_EVENTS)
      await kmock.stop()
      const producerAfter = await plainProducer(KAFKA_EVENTS, 'baseline-child-after')
      console.log(`plain kafkajs producer, own process, again after the forwarder: ${fmt(producerAfter.rate)} events/s, ${producerAfter.cpuPerEvent.toFixed(1)} µs of CPU per event (${load()})`)
      const ratio = (x: number) => (k.rate / x).toFixed(2)
      console.log(
        `mosquitto → historian → Kafka: ${fmt(k.rate)} events/s end to end (publish rate achieved: ${fmt(k.publisher)} events/s), ${k.cpuPerEvent.toFixed(1)} µs of CPU per event (the plain bridge on disk: ${(bridgeCpu.disk ?? NaN).toFixed(1)}, the plain pipe: ${(bridgeCpu.pipe ?? NaN).toFixed(1)}), ${k.lost}, duplicates ${k.duplicates}, ${range(kchild.rss)} (${load()})`,
      )
      console.log(
        `  the issue's ratio, to the plain kafkajs producer (own process; no MQTT intake, nothing on disk): ${ratio(producer.rate)} before / ${ratio(producerAfter.rate)} after; to it in the bench's process ${ratio(plainKafka)}, with the same on-disk queueing ${ratio(plainKafkaDisk)}`,
      )
      console.log(
        `  like for like, fed by the same publishers: to the plain pipe ${ratio(plainBridges.pipe ?? NaN)}, to the plain bridge in memory ${ratio(plainBridges.memory ?? NaN)}, on disk ${ratio(plainBridges.disk ?? NaN)}; to the MQTT path alone ${ratio(plainMqtt)}`,
      )
    }

    // ---- CouchDB --------------------------------------------------------------------------------------------------
    if (PHASES.has('couch')) {
      // Around each writer: the CouchDB peer's own CPU per event stored and how busy it was (CPU seconds per second of
      // the run: it serves requests on one thread, with LevelDB's work on libuv's), and the writer's mean batch (events ÷
      // `_bulk_docs` requests). The same CPU per event for every writer means the peer did the same work for each; a busy
      // share well under one core means it waited for requests.
      const peerCpu = (): number => cpuSeconds(couchProc.pid)
      const peerStats = (): Promise<{ bulk: number; inFlightMs: number[]; timeline: number[] }> =>
        new Promise((resolve) => {
          const answer = (m: unknown): void => {
            if (typeof m === 'object' && m !== null && 'bulk' in m) {
              couchProc.off('message', answer)
              resolve(m as { bulk: number; inFlightMs: number[]; timeline: number[] })
            }
          }
          couchProc.on('message', answer)
          couchProc.send('stats')
        })
      // Beside the peer: the share of the run's time the peer had 0, 1, 2, 3 or more requests in flight (a writer that
      // keeps it fed leaves it seldom at 0), and the CPU per event of mosquitto and of this process (the publisher, and
      // the plain writers when they run here), which share the two cores with the peer.
      const atPeer = async <T>(run: () => Promise<T>): Promise<{ result: T; peer: string }> => {
        const cpu0 = peerCpu()
        const mosq0 = cpuSeconds(broker.pid)
        const own0 = process.cpuUsage()
        const stats0 = await peerStats()
        const t0 = performance.now()
        const result = await run()
        const s = (performance.now() - t0) / 1000
        const cpu = peerCpu() - cpu0
        const mosq = cpuSeconds(broker.pid) - mosq0
        const own = process.cpuUsage(own0)
        const stats1 = await peerStats()
        const requests = stats1.bulk - stats0.bulk
        const inFlight = stats1.inFlightMs.map((ms, n) => ms - (stats0.inFlightMs[n] ?? 0))
        const total = inFlight.reduce((a, b) => a + b, 0) || 1
        const share = (from: number, to = from): string => `${((inFlight.slice(from, to + 1).reduce((a, b) => a + b, 0) * 100) / total).toFixed(0)} %`
        const mean = inFlight.reduce((a, ms, n) => a + ms * n, 0) / total
        // One digit per 250 ms: the mean requests in flight then, rounded.
        const course = stats1.timeline
          .slice(stats0.timeline.length)
          .map((x) => Math.round(x))
          .join('')
        const perEvent = (seconds: number): string => ((seconds * 1e6) / COUCH_EVENTS).toFixed(1)
        return {
          result,
          peer: `CouchDB peer ${perEvent(cpu)} µs of CPU per event, busy ${(cpu / s).toFixed(2)} of a core, requests in flight 0/1/2/3+ for ${share(0)}/${share(1)}/${share(2)}/${share(3, inFlight.length)} of the time (mean ${mean.toFixed(2)}; every 250 ms: ${course}), mean batch ${requests ? fmt(COUCH_EVENTS / requests) : '-'} events in ${fmt(requests)} requests; mosquitto ${perEvent(mosq)} µs, the bench's process ${perEvent((own.user + own.system) / 1e6)} µs per event`,
        }
      }
      // Untimed: the peer's code paths are compiled before the first measured writer, which would otherwise pay for it.
      await couchBaseline(couchUrl, 'warmup', null, 3_000)
      const plainA = await atPeer(() => couchBaseline(couchUrl, 'baseline', null))
      console.log(
        `plain _bulk_docs writer (events made in this process, no MQTT; batches of 500, 3 in flight, through the same IAM front; nothing on disk): ${fmt(plainA.result)} events/s, ${plainA.peer} (${load()})`,
      )
      const couchDisk = join(work, 'plain-couch')
      await mkdir(couchDisk)
      const plainDisk = await atPeer(() => couchBaseline(couchUrl, 'durable', couchDisk))
      console.log(`the same writer, each event first on disk as the forwarder's queue keeps it: ${fmt(plainDisk.result)} events/s, ${plainDisk.peer} (${load()})`)

      const couchEnv = { FIELDLINE_HISTORIAN_COUCH_URL: couchUrl }
      const bridges: Record<string, number> = {}
      for (const mode of ['memory', 'disk'] as const) {
        const dir = join(work, `couch-bridge-${mode}`)
        await mkdir(dir)
        const child = startForwarder({ FIELDLINE_MQTT_URL: broker.url, BENCH_PLAIN: mode, BENCH_PLAIN_SINK: 'couch', ...couchEnv }, dir, 'historian-plain-child.ts')
        await couchReady(child)
        const r = await atPeer(() => throughChild(source, child, mode === 'memory' ? 6_000_000 : 7_000_000, COUCH_EVENTS))
        await child.stop()
        bridges[mode] = r.result.rate
        const lost = COUCH_EVENTS - (await couchDocCount(couchUrl, [`iotp_${ORG}_bridge${mode}_all`]))
        console.log(
          `mosquitto → plain mqtt.js subscriber → _bulk_docs (${mode === 'memory' ? 'in memory only' : 'each event on disk before its PUBACK, as the forwarder'}; 3 in flight): ${fmt(r.result.rate)} events/s end to end (publisher alone: ${fmt(r.result.publisher)} events/s), ${r.result.cpuPerEvent.toFixed(1)} µs of CPU per event, ${r.peer}, lost ${lost} (${load()}); received/delivered, in hundreds, every 250 ms: ${r.result.course}`,
        )
      }

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
      await couchReady(cchild)
      const fwd = await atPeer(() => throughChild(source, cchild, 1_000_000, COUCH_EVENTS))
      await cchild.stop()
      const couchLost = COUCH_EVENTS - (await couchStored(couchUrl))
      const plainB = await atPeer(() => couchBaseline(couchUrl, 'again', null))
      console.log(`plain _bulk_docs writer again, after the forwarder (load drift): ${fmt(plainB.result)} events/s, ${plainB.peer} (${load()})`)
      const rate = fwd.result.rate
      console.log(
        `mosquitto → historian → CouchDB buckets: ${fmt(rate)} events/s end to end (publisher alone: ${fmt(fwd.result.publisher)} events/s), ${fwd.result.cpuPerEvent.toFixed(1)} µs of CPU per event, ${fwd.peer}, lost ${couchLost}, ${range(cchild.rss)} (${load()}); received/delivered, in hundreds, every 250 ms: ${fwd.result.course}`,
      )
      console.log(
        `  ratio to the plain writer ${(rate / plainA.result).toFixed(2)} before / ${(rate / plainB.result).toFixed(2)} after (no MQTT intake, nothing on disk), with the same on-disk queueing ${(rate / plainDisk.result).toFixed(2)}; to the plain MQTT → _bulk_docs bridge in memory ${(rate / (bridges.memory ?? NaN)).toFixed(2)}, on disk ${(rate / (bridges.disk ?? NaN)).toFixed(2)}`,
      )
    }

    // ---- Kafka, from a backlog at the broker: the publisher out of the path ------------------------------------------
    if (PHASES.has('backlog')) {
      const n = BACKLOG_EVENTS
      const bare = await mqttBacklog(broker.url, source, n)
      console.log(`backlog of ${fmt(n)} events at the broker → plain mqtt.js subscriber doing nothing (the MQTT path alone): ${fmt(bare)} events/s (${load()})`)
      const rates: Record<string, number> = {}
      for (const mode of ['memory', 'disk'] as const) {
        const mock = await startKafkaMock(`backlog-${mode}`)
        const dir = join(work, `backlog-${mode}`)
        await mkdir(dir)
        const r = await backlog(
          source,
          () =>
            startForwarder(
              { FIELDLINE_MQTT_URL: broker.url, BENCH_PLAIN: mode, FIELDLINE_HISTORIAN_KAFKA_BROKERS: mock.bootstrap, FIELDLINE_HISTORIAN_KAFKA_TOPIC: `backlog-${mode}` },
              dir,
              'historian-plain-child.ts',
            ),
          mode === 'memory' ? 9_000_000 : 10_000_000,
          n,
        )
        rates[mode] = r.rate
        await untilAsync(async () => (await accounted(mock)) >= n, 30_000)
        console.log(
          `backlog → plain mqtt.js subscriber → kafkajs (${mode === 'memory' ? 'in memory only' : 'each event on disk before its PUBACK'}): ${fmt(r.rate)} events/s, ${r.cpuPerEvent.toFixed(1)} µs of CPU per event, ${await lostInKafka(mock, n)} (${load()})`,
        )
        await mock.stop()
      }
      const mock = await startKafkaMock('backlog-historian')
      const r = await backlog(source, () => kafkaForwarder('backlog', mock, 'backlog-historian'), 11_000_000, n)
      await untilAsync(async () => (await accounted(mock)) >= n, 30_000)
      console.log(
        `backlog → historian → Kafka: ${fmt(r.rate)} events/s, ${r.cpuPerEvent.toFixed(1)} µs of CPU per event, ${await lostInKafka(mock, n)}, duplicates ${mock.records().length - distinctIds(mock)}, ${range(r.child.rss)} (${load()})`,
      )
      await mock.stop()
      const producer = await plainProducer(n, 'backlog-baseline')
      console.log(
        `plain kafkajs producer, own process (events made in memory, nothing on disk, no MQTT): ${fmt(producer.rate)} events/s, ${producer.cpuPerEvent.toFixed(1)} µs of CPU per event (${load()})`,
      )
      console.log(
        `  ratio to the plain kafkajs producer (the issue's) ${(r.rate / producer.rate).toFixed(2)}; to the plain MQTT → kafkajs bridge in memory ${(r.rate / (rates.memory ?? NaN)).toFixed(2)}, on disk ${(r.rate / (rates.disk ?? NaN)).toFixed(2)}; to the MQTT path alone ${(r.rate / bare).toFixed(2)}`,
      )
    }

    // ---- Kafka, from the forwarder's own on-disk queue: no MQTT in the path ---------------------------------------
    if (PHASES.has('drain')) {
      const n = DRAIN_EVENTS
      const before = await plainProducer(n, 'drain-baseline')
      console.log(
        `plain kafkajs producer, own process (events made in memory, nothing on disk, no MQTT): ${fmt(before.rate)} events/s, ${before.cpuPerEvent.toFixed(1)} µs of CPU per event (${load()})`,
      )
      const mock = await startKafkaMock('drain')
      // The queue as the forwarder's intake leaves it after an outage (the same lines, event.ts), in the directory the
      // child configured by variables uses (profile 'env', destination kafka/env).
      const queue = openEventQueue({ dir: queueDir(join(work, 'drain'), 'env', 'kafka/env'), capacity: n })
      for (let i = 0; i < n; i++) queue.append(encodeEvent(event(12_000_000 + i)))
      queue.close()
      const child = kafkaForwarder('drain', mock, 'drain')
      const r = await drained(child, n)
      await untilAsync(async () => (await accounted(mock)) >= n, 30_000)
      await child.stop()
      const after = await plainProducer(n, 'drain-baseline-after')
      console.log(`plain kafkajs producer again, after the forwarder: ${fmt(after.rate)} events/s, ${after.cpuPerEvent.toFixed(1)} µs of CPU per event (${load()})`)
      console.log(
        `${fmt(n)} events in the forwarder's on-disk queue → historian → Kafka: ${fmt(r.rate)} events/s, ${r.cpuPerEvent.toFixed(1)} µs of CPU per event, ${await lostInKafka(mock, n)}, duplicates ${mock.records().length - distinctIds(mock)}, ${range(child.rss)} (${load()})`,
      )
      console.log(
        `  ratio to the plain kafkajs producer ${(r.rate / before.rate).toFixed(2)} before / ${(r.rate / after.rate).toFixed(2)} after; CPU per event ${(r.cpuPerEvent / before.cpuPerEvent).toFixed(2)} / ${(r.cpuPerEvent / after.cpuPerEvent).toFixed(2)} of the producer's`,
      )
      await mock.stop()
    }

    // ---- Recovery after an outage (Kafka, or CouchDB with BENCH_RECOVERY_DEST=couch) ------------------------------
    if (PHASES.has('recovery')) {
      const couch = RECOVERY_DEST === 'couch'
      const rmock = couch ? null : await startKafkaMock('recovery')
      const rchild = rmock
        ? kafkaForwarder('recovery', rmock, 'recovery')
        : startForwarder(
            {
              ...base,
              FIELDLINE_HISTORIAN_INSTANCE: 'bench-couch-recovery',
              FIELDLINE_HISTORIAN_COUCH_URL: couchUrl,
              FIELDLINE_HISTORIAN_COUCH_IAM_URL: couchUrl,
              FIELDLINE_HISTORIAN_COUCH_API_KEY: 'bench-key',
              FIELDLINE_HISTORIAN_COUCH_DB: 'rec',
            },
            join(work, 'couch-recovery'),
          )
      // Kafka: the mock broker hangs (requests time out); CouchDB: the peer stops listening (connections refused).
      const peerAnswer = (m: string): Promise<void> =>
        new Promise((resolve) => {
          const answer = (x: unknown): void => {
            if (x === `${m}ped`) {
              couchProc.off('message', answer)
              resolve()
            }
          }
          couchProc.on('message', answer)
          couchProc.send(m)
        })
      const outage = { begin: () => (rmock ? Promise.resolve(rmock.pause()) : peerAnswer('stop')), end: () => (rmock ? Promise.resolve(rmock.resume()) : peerAnswer('start')) }
      // `accounted`: the ids stored, and for Kafka the records the mock's consumer did not read (see lostInKafka).
      const stored = async (): Promise<{ distinct: number; copies: number; accounted: number }> => {
        if (rmock) return { distinct: distinctIds(rmock), copies: rmock.records().length, accounted: await accounted(rmock) }
        const n = await couchStored(couchUrl, 'rec')
        return { distinct: n, copies: n, accounted: n }
      }
      await until(() => rchild.mqtt === 'connected', 20_000)
      // Every 5 s, printed as it comes (a run cut short still shows its course): the queue, what was delivered since the
      // last line, the forwarder's RSS and the load — whether memory stays flat through the outage, the drain and the
      // steady stream after it.
      let phase = 'before'
      const t0 = performance.now()
      let lastDelivered = 0
      const sampler = setInterval(() => {
        const rss = rchild.proc.pid && rchild.proc.exitCode === null ? rssMiB(rchild.proc.pid) : NaN
        console.log(
          `  ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s  ${phase.padEnd(8)} queued ${fmt(rchild.queued).padStart(9)}  delivered ${fmt((rchild.delivered - lastDelivered) / 5).padStart(7)}/s  RSS ${rss.toFixed(0).padStart(4)} MiB  (${load()})`,
        )
        lastDelivered = rchild.delivered
      }, 5_000)
      console.log('recovery run, every 5 s:')
      const paced = publishPaced(pub, RATE, 2_000_000)
      await sleep(5_000)
      phase = 'outage'
      await outage.begin()
      await sleep(OUTAGE_S * 1000)
      phase = 'drain'
      const peak = rchild.queued
      const deliveredAtResume = rchild.delivered
      await outage.end()
      const resumed = performance.now()
      await until(() => rchild.delivered > deliveredAtResume, 600_000, 10)
      const firstS = (performance.now() - resumed) / 1000
      const deliveredAtFirst = rchild.delivered
      const recovered = await until(() => rchild.queued < RATE / 5, 600_000, 50)
      const recoveryS = (performance.now() - resumed) / 1000
      const drainRate = (rchild.delivered - deliveredAtFirst) / (recoveryS - firstS)
      phase = 'steady'
      await sleep(STEADY_S * 1000)
      const published = await paced.stop()
      const offered = published / ((performance.now() - t0) / 1000)
      phase = 'stopping'
      await until(() => rchild.delivered >= published, 120_000)
      await untilAsync(async () => (await stored()).accounted >= published, 30_000)
      await rchild.stop()
      clearInterval(sampler)
      // What the forwarder had not delivered when it stopped stays in its queue on disk, for its next start: not lost.
      const left = (JSON.parse(rchild.summary || '{}') as { destinations?: { queued: number }[] }).destinations?.[0]?.queued ?? 0
      await untilAsync(async () => (await stored()).accounted + left >= published, 30_000)
      const final = await stored()
      const lost = rmock ? await lostInKafka(rmock, published, left) : `lost ${published - final.distinct - left}`
      // The mock's retention at the end: what a consumer started now would find (docs/historian.md, "Counting what Kafka holds").
      const held = rmock
        ? `; the broker holds offsets ${offsetRanges(await readTopic(rmock.bootstrap, 'recovery'))
            .map((p) => `${p.partition}: ${p.first}–${p.last}`)
            .join(', ')} at the end`
        : ''
      console.log(
        `recovery (${couch ? 'CouchDB peer not listening' : 'Kafka broker hung'} ${OUTAGE_S} s while ${fmt(RATE)} events/s kept coming): ${fmt(peak)} events queued at the end of the outage; ${recovered ? `queue back under ${fmt(RATE / 5)} events ${recoveryS.toFixed(1)} s after the ${couch ? 'peer' : 'broker'} answered again (first delivery after ${firstS.toFixed(1)} s, then ${fmt(drainRate)} events/s delivered, from the queue and the live stream)` : 'the queue did not recover within 10 min'}; ${fmt(published)} published (${fmt(offered)} events/s on average: what the publisher actually sustained), the forwarder received ${fmt(rchild.received)}, delivered ${fmt(rchild.delivered)}, dropped ${fmt(rchild.dropped)}, ${fmt(left)} left in its queue on disk at the stop, ${lost}, duplicates ${final.copies - final.distinct}, ${range(rchild.rss)} (${load()})${held}`,
      )
      await rmock?.stop()
    }
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
