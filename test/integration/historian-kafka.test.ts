/**
 * The historian into Kafka through kafkajs, against librdkafka's mock cluster (kcat, started by the test): records keyed
 * by org:type:device with the event id in a header, one device's events in one partition and in order; a broker that
 * hangs (SIGSTOP) makes the destination back off with the reason and deliver everything when it answers again; kafkajs
 * failures are judged (auth, ACLs, too large, TLS, unavailable). SASL_SSL and SSL against a real cluster are not tested
 * here: the mock has neither.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createForwarder, type Forwarder } from '../../src-main/core/historian/forwarder'
import { kafkaFailure } from '../../src-main/core/historian/kafkajs.sink'
import { tempDir } from '../helpers/core'
import { FAST, POLL, fakeMbed, kafkaDestination, mbedOnlyConfig } from '../helpers/historian'
import { Kafka, logLevel } from 'kafkajs'
import { kcatSkipReason, offsetRanges, readTopic, startKafkaMock, unreadOffsets, type KafkaMock } from '../helpers/kafka-mock'

const skip = kcatSkipReason()
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function mock(topic: string): Promise<KafkaMock> {
  const m = await startKafkaMock(topic)
  cleanups.push(() => m.stop())
  return m
}

async function forwarder(m: KafkaMock, topic: string): Promise<{ f: Forwarder; mbed: ReturnType<typeof fakeMbed> }> {
  const dir = await tempDir()
  cleanups.push(dir.cleanup)
  const mbed = fakeMbed()
  const dest = kafkaDestination({ brokers: [m.bootstrap], security: 'plaintext', topic })
  const f = createForwarder({ config: mbedOnlyConfig([dest]), dataDir: dir.dir, mbed, tuning: { ...FAST, kafkaRequestTimeoutMs: 1_000, kafkaRetries: 0 } })
  await f.start()
  cleanups.push(() => f.stop())
  return { f, mbed }
}

const values = (m: KafkaMock): { n: number; id: string }[] =>
  m.records().map((r) => ({ ...(JSON.parse(Buffer.from((JSON.parse(r.value) as { payload: string }).payload, 'base64').toString()) as { n: number }), id: r.headers.id ?? '' }))

describe.skipIf(skip)('historian → Kafka (kafkajs, librdkafka mock cluster)', () => {
  it("produces one record per event: key org:type:device, id header, the platform sample's fields; a device stays in one partition, in order", async () => {
    const m = await mock('events')
    const { f, mbed } = await forwarder(m, 'events')
    for (let n = 0; n < 60; n++) mbed.emit('pump', `p${n % 4}`, 'status', { n })
    await expect.poll(() => m.records().length, POLL).toBe(60)
    const first = m.records().find((r) => r.key === 'testorg:pump:p1')!
    const value = JSON.parse(first.value) as Record<string, unknown>
    expect(value).toMatchObject({ orgId: 'testorg', typeId: 'pump', deviceId: 'p1', eventId: 'status', format: 'json' })
    expect(value.id).toBe(first.headers.id)
    expect(String(value.timestamp)).toMatch(/Z$/)
    for (const device of ['p0', 'p1', 'p2', 'p3']) {
      const mine = m.records().filter((r) => r.key === `testorg:pump:${device}`)
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1)
      const ns = mine.sort((a, b) => a.offset - b.offset).map((r) => (JSON.parse(Buffer.from((JSON.parse(r.value) as { payload: string }).payload, 'base64').toString()) as { n: number }).n)
      expect(ns).toEqual([...ns].sort((a, b) => a - b))
      expect(ns.length).toBe(15)
    }
    expect(f.status().destinations[0]).toMatchObject({ state: 'connected', delivered: 60, queued: 0 })
  })

  it('a broker that stops answering: backing off with the reason; every event is there, each id at least once, when it answers again', async () => {
    const m = await mock('hung')
    const { f, mbed } = await forwarder(m, 'hung')
    mbed.emit('pump', 'p0', 'status', { n: -1 })
    await expect.poll(() => m.records().length, POLL).toBe(1)
    m.pause()
    for (let n = 0; n < 40; n++) mbed.emit('pump', `p${n % 4}`, 'status', { n })
    await expect.poll(() => f.status().destinations[0]?.state, POLL).toBe('backingOff')
    expect(['TIMEOUT', 'NETWORK']).toContain(f.status().destinations[0]?.reason?.code)
    expect(f.status().destinations[0]?.queued).toBe(40)
    m.resume()
    await expect.poll(() => f.status().destinations[0]?.queued, POLL).toBe(0)
    await expect.poll(() => new Set(values(m).map((v) => v.n)).size, POLL).toBe(41)
    const ids = values(m).map((v) => v.id)
    expect(new Set(ids).size).toBe(41)
  })

  it('judges kafkajs failures: ACLs and SASL stop, too large splits, the rest is retried', async () => {
    const { createErrorFromCode } = (await import('kafkajs/src/protocol/error.js' as string)) as { createErrorFromCode: (code: number) => Error }
    const { KafkaJSProtocolError, KafkaJSNumberOfRetriesExceeded, KafkaJSSASLAuthenticationError, KafkaJSConnectionError } = await import('kafkajs')
    const protocol = (code: number): Error => new KafkaJSProtocolError(createErrorFromCode(code))
    expect(kafkaFailure(protocol(29))).toMatchObject({ verdict: 'stop', code: 'FORBIDDEN' })
    expect(kafkaFailure(new KafkaJSNumberOfRetriesExceeded(protocol(10), { retryCount: 3, retryTime: 100 }))).toMatchObject({ verdict: 'split', code: 'TOO_LARGE' })
    // kafkajs's typings declare no constructor argument; its SASL authenticators pass the message.
    const Sasl = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error
    expect(kafkaFailure(new Sasl('SASL PLAIN authentication failed'))).toMatchObject({ verdict: 'stop', code: 'AUTH_FAILED' })
    expect(kafkaFailure(new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { retryCount: 3, retryTime: 100 }))).toMatchObject({
      verdict: 'retry',
      code: 'NETWORK',
    })
    // What kafkajs's connection reports for a certificate it cannot verify: the socket error's code on the error.
    const tls = new KafkaJSConnectionError('Connection error: self-signed certificate', { broker: 'b:9093', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
    expect(kafkaFailure(new KafkaJSNumberOfRetriesExceeded(tls, { retryCount: 3, retryTime: 100 }))).toMatchObject({ verdict: 'stop', code: 'TLS' })
  })
})

// What the historian bench's loss count rests on (docs/historian.md, "Counting what Kafka holds").
describe.skipIf(skip)("librdkafka's mock cluster keeps only the last 5 MiB of a partition", () => {
  it('a consumer reading after the fact misses the oldest records, and unreadOffsets counts them, as it counts a tail never read; the consumer that kept up missed none', async () => {
    const m = await mock('retention')
    const producer = new Kafka({ brokers: [m.bootstrap], logLevel: logLevel.NOTHING }).producer()
    await producer.connect()
    cleanups.push(() => producer.disconnect())
    const value = 'x'.repeat(2048)
    const send = (from: number, count: number) =>
      producer.send({ topic: 'retention', acks: -1, messages: Array.from({ length: count }, (_, k) => ({ partition: 0, key: 'k', value, headers: { id: `r${from + k}` } })) })
    // The mock's consumer first finds the topic; from then on it is given time to read each batch before the next.
    await send(0, 1)
    await expect.poll(() => m.records().length, POLL).toBe(1)
    for (let sent = 1; sent < 4_001; sent += 250) {
      await send(sent, 250)
      await expect.poll(() => m.records().length, POLL).toBe(sent + 250)
    }
    const high = await m.highWatermarks()
    expect([...high.values()].reduce((a, b) => a + b, 0)).toBe(4_001)
    expect(unreadOffsets(m.records(), high)).toBe(0)
    // A consumer that stopped after 1,000 records (reset to the end, nothing new came) skipped no offset below its last:
    // the 3,001 it never reached are unread all the same.
    expect(unreadOffsets(m.records().slice(0, 1_000), high)).toBe(3_001)
    // 8 MiB were stored into partition 0; a consumer that comes afterwards finds only the last 5 MiB of them.
    const late = await readTopic(m.bootstrap, 'retention')
    const [held] = offsetRanges(late)
    expect(held?.last).toBe(4_000)
    expect(held?.first).toBeGreaterThan(0)
    expect(late.length).toBeLessThan(4_001)
    expect(unreadOffsets(late, high)).toBe(4_001 - late.length)
  })
})
