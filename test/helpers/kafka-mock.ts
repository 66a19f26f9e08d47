/**
 * librdkafka's mock cluster, started by Debian's kcat (docs/wire/couchdb-kafka.md §2.1): `kcat -C … -X test.mock.num.brokers=1
 * -d mock` runs a Kafka-protocol broker on a loopback port (printed on stderr) for as long as kcat lives, and kcat
 * itself consumes the topic from the beginning, so every record produced to it comes out on kcat's stdout. The mock has
 * neither TLS nor SASL: SASL_SSL and SSL are not exercised against it.
 *
 * `pause()` stops the process (SIGSTOP): the broker keeps its port and its data but answers nothing, as a hung broker
 * does; `resume()` lets it go on.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { eachLine } from './lines'
import { missingService } from './system'

const KCAT = process.env.FIELDLINE_KCAT ?? '/usr/bin/kcat'

export function kcatSkipReason(): string | null {
  let found = true
  try {
    accessSync(KCAT, constants.X_OK)
  } catch {
    found = false
  }
  return missingService('kcat', found ? null : `${KCAT} not found (apt-get install kcat)`)
}

export interface KafkaRecordSeen {
  partition: number
  offset: number
  key: string
  headers: Record<string, string>
  value: string
}

export interface KafkaMock {
  bootstrap: string
  records(): KafkaRecordSeen[]
  /** Per partition of the topic, the offset the broker will give its next record (how many it has numbered). */
  highWatermarks(): Promise<Map<number, number>>
  pause(): void
  resume(): void
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL')
})

// Tab-separated: partition, offset, key, headers (name=value,…), value. JSON values never hold a raw tab or newline.
const FORMAT = '%p\t%o\t%k\t%h\t%s\n'

function parseRecord(line: string): KafkaRecordSeen | null {
  const [p, o, key, headers, ...value] = line.split('\t')
  if (value.length === 0) return null
  const h = Object.fromEntries(
    (headers ?? '')
      .split(',')
      .filter((x) => x.includes('='))
      .map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]),
  )
  return { partition: Number(p), offset: Number(o), key: key ?? '', headers: h, value: value.join('\t') }
}

/**
 * The records the broker holds in `topic` now, read by a new consumer from the beginning to the end of each partition
 * (`-e`): only what the mock's retention kept (see unreadOffsets), not everything it ever stored.
 */
export async function readTopic(bootstrap: string, topic: string): Promise<KafkaRecordSeen[]> {
  const reason = kcatSkipReason()
  if (reason) throw new Error(reason)
  const child = spawn(KCAT, ['-C', '-u', '-q', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-f', FORMAT], { stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  const seen: KafkaRecordSeen[] = []
  let err = ''
  eachLine(child.stdout, (line) => {
    const r = parseRecord(line)
    if (r) seen.push(r)
  })
  child.stderr?.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-2000)))
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  live.delete(child)
  if (code !== 0) throw new Error(`kcat could not read ${topic} from ${bootstrap} (exit ${code}):\n${err}`)
  return seen
}

/**
 * Offsets the broker numbered (`highWatermarks`: a topic new to the mock, so each partition's offsets start at 0) that a
 * consumer did not print, summed over partitions: records it stored that the consumer never read. The mock's retention
 * drops them (it keeps the last 100,000 message sets or 5 MiB of each partition, whichever is less, oldest first) before
 * a consumer that fell behind gets there; librdkafka then starts again at the end (auto.offset.reset=largest; `smallest`
 * was tried and skipped more: the oldest record held is dropped again before the next fetch while a fast producer fills
 * the window). Counting up to the high watermark, not to the highest offset printed, also counts the tail a consumer
 * never reached: one reset to the end after the producer's last batch prints nothing more at all.
 */
export function unreadOffsets(records: KafkaRecordSeen[], highWatermarks: ReadonlyMap<number, number>): number {
  const seen = new Map(offsetRanges(records).map((p) => [p.partition, p.distinct]))
  let unread = 0
  for (const [partition, high] of highWatermarks) unread += Math.max(0, high - (seen.get(partition) ?? 0))
  return unread
}

/** Per partition: the lowest and highest offset among `records`, and how many distinct offsets. */
export function offsetRanges(records: KafkaRecordSeen[]): { partition: number; first: number; last: number; distinct: number }[] {
  const byPartition = new Map<number, { first: number; last: number; offsets: Set<number> }>()
  for (const r of records) {
    const p = byPartition.get(r.partition) ?? { first: r.offset, last: r.offset, offsets: new Set<number>() }
    p.first = Math.min(p.first, r.offset)
    p.last = Math.max(p.last, r.offset)
    p.offsets.add(r.offset)
    byPartition.set(r.partition, p)
  }
  return [...byPartition.entries()].sort(([a], [b]) => a - b).map(([partition, p]) => ({ partition, first: p.first, last: p.last, distinct: p.offsets.size }))
}

export async function startKafkaMock(topic: string): Promise<KafkaMock> {
  const reason = kcatSkipReason()
  if (reason) throw new Error(reason)
  // In a process group of its own: a group holding a stopped process (pause()) that becomes orphaned — this process run
  // in the background without a controlling shell, and any member exits — is sent SIGHUP by the kernel, which ended the
  // mock in the middle of an outage.
  const child = spawn(KCAT, ['-C', '-u', '-b', '127.0.0.1:1', '-t', topic, '-X', 'test.mock.num.brokers=1', '-d', 'mock', '-o', 'beginning', '-f', FORMAT], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  live.add(child)
  const seen: KafkaRecordSeen[] = []
  eachLine(child.stdout, (line) => {
    const r = parseRecord(line)
    if (r) seen.push(r)
  })
  const bootstrap = await new Promise<string>((resolve, reject) => {
    let err = ''
    const timer = setTimeout(() => reject(new Error(`kcat printed no mock cluster address:\n${err.slice(0, 2000)}`)), 10_000)
    const onData = (chunk: Buffer): void => {
      err += chunk.toString('utf8')
      const m = /bootstrap\.servers=(127\.0\.0\.1:\d+)/.exec(err)
      if (m?.[1]) {
        clearTimeout(timer)
        // The mock logs every request on stderr from now on: read it, but keep none of it.
        child.stderr?.off('data', onData)
        child.stderr?.resume()
        resolve(m[1])
      }
    }
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`kcat exited (${code}) before the mock cluster was up:\n${err.slice(0, 2000)}`))
    })
  })
  let admin: Promise<Admin> | undefined
  return {
    bootstrap,
    records: () => [...seen],
    async highWatermarks() {
      admin ??= (async () => {
        const client = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin()
        await client.connect()
        return client
      })()
      const offsets = await (await admin).fetchTopicOffsets(topic)
      return new Map(offsets.map((o) => [o.partition, Number(o.high)]))
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      await admin?.then((client) => client.disconnect()).catch(() => undefined)
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGCONT')
      child.kill('SIGTERM')
      await new Promise<void>((resolve) => child.once('exit', () => resolve()))
      live.delete(child)
    },
  }
}
