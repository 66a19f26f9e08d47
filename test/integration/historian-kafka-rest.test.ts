/**
 * The REST producers (Event Streams v2, Confluent v3) against the REST-produce peer written from the documented
 * schemas: first the peer's own strictness (auth, media type, cluster and topic, per-record error_code in the streaming
 * form, 207 with failures, Jetty's HTML 429), then the historian through it: records and keys, per-record failures
 * retried or refused by their code, HTML 429 with Retry-After, 5xx, 413 splitting, 401/404 stopping, and an outage
 * after which every event is there exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createForwarder, type Forwarder } from '../../src-main/core/historian/forwarder'
import { startKafkaRestPeer, splitConcatenatedJson, type KafkaRestPeer, type KafkaRestPeerOptions } from '../peers/kafka-rest/kafka-rest.peer'
import { tempDir } from '../helpers/core'
import { FAST, POLL, fakeMbed, kafkaDestination, mbedOnlyConfig } from '../helpers/historian'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function peer(options: KafkaRestPeerOptions = {}): Promise<KafkaRestPeer> {
  const p = await startKafkaRestPeer(options)
  cleanups.push(() => p.close())
  return p
}

const basic = (p: KafkaRestPeer): string => `Basic ${Buffer.from(`${p.confluent.key}:${p.confluent.secret}`).toString('base64')}`
const b64 = (s: string): string => Buffer.from(s).toString('base64')

describe('Kafka REST peer (from the documented schemas)', () => {
  it('Event Streams v2: Bearer key, one record per request, 401/403/400/404 as documented', async () => {
    const p = await peer({ eventStreamsKeys: { 'es-test-key': 'writer', 'es-read': 'reader' } })
    const post = (auth: string, body: unknown, topic = 'events') =>
      fetch(`${p.url}/v2/topics/${topic}/records`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const record = { key: { type: 'text', data: 'k' }, value: { type: 'json', data: { a: 1 } }, headers: [{ name: 'id', value: b64('x1') }] }
    expect((await post('Bearer nope', record)).status).toBe(401)
    expect((await post('Bearer es-read', record)).status).toBe(403)
    expect((await post('Bearer es-test-key', { value: { type: 'csv', data: 'x' } })).status).toBe(400)
    expect((await post('Bearer es-test-key', record, 'missing')).status).toBe(404)
    const ok = await post(`Basic ${b64('token:es-test-key')}`, record)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ topic: 'events', offset: 0 })
    expect(p.records()).toMatchObject([{ key: 'k', value: { a: 1 }, headers: { id: 'x1' }, via: 'eventstreams-v2' }])
  })

  it('Confluent v3: Basic key:secret, JSON only, cluster and topic checked, a report per record with its own error_code', async () => {
    const p = await peer()
    const url = (cluster = p.confluent.clusterId, topic = 'events') => `${p.url}/v3/clusters/${cluster}/topics/${topic}/records`
    const record = (n: number) => JSON.stringify({ key: { type: 'STRING', data: `k${n}` }, value: { type: 'JSON', data: { n } } })
    const post = (u: string, body: string, headers: Record<string, string> = {}) =>
      fetch(u, { method: 'POST', headers: { authorization: basic(p), 'content-type': 'application/json', ...headers }, body })
    expect((await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: record(0) })).status).toBe(401)
    expect((await post(url(), record(0), { 'content-type': 'text/plain' })).status).toBe(415)
    expect(await (await post(url('lkc-other'), record(0))).json()).toMatchObject({ error_code: 404 })
    expect(await (await post(url(undefined, 'nope'), record(0))).json()).toMatchObject({ error_code: 40403 })
    p.fault({ kind: 'recordError', errorCode: 50002, message: 'Local: Queue full' })
    const res = await post(url(), `${record(1)}\n${record(2)}${record(3)}`)
    expect(res.status).toBe(200)
    const reports = splitConcatenatedJson(await res.text()) as { error_code: number }[]
    expect(reports.map((r) => r.error_code)).toEqual([50002, 200, 200])
    const batch = await post(
      `${url()}:batch`,
      JSON.stringify({
        entries: [
          { id: 'a', value: { type: 'JSON', data: 1 } },
          { id: 'b', value: { type: 'XML', data: 2 } },
        ],
      }),
    )
    expect(batch.status).toBe(207)
    expect(await batch.json()).toMatchObject({ successes: [{ id: 'a' }], failures: [{ id: 'b', error_code: 400 }] })
    p.fault({ kind: 'status', status: 429, retryAfterSeconds: 2 })
    const limited = await post(url(), record(4))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('content-type')).toContain('text/html')
    expect(await limited.text()).toContain('HTTP ERROR 429')
  })
})

async function forwarder(
  p: KafkaRestPeer,
  transport: 'eventstreams-rest' | 'confluent-rest',
  secrets: { password: string },
  topic = 'events',
  batchSize = 500,
): Promise<{ f: Forwarder; mbed: ReturnType<typeof fakeMbed> }> {
  const dir = await tempDir()
  cleanups.push(dir.cleanup)
  const mbed = fakeMbed()
  const dest = kafkaDestination({ transport, restUrl: p.url, clusterId: p.confluent.clusterId, username: transport === 'confluent-rest' ? p.confluent.key : 'token', topic, batchSize }, secrets)
  const f = createForwarder({ config: mbedOnlyConfig([dest]), dataDir: dir.dir, mbed, tuning: FAST })
  await f.start()
  cleanups.push(() => f.stop())
  return { f, mbed }
}

const ns = (p: KafkaRestPeer): number[] =>
  p
    .records()
    .map((r) => (JSON.parse(Buffer.from((r.value as { payload: string }).payload, 'base64').toString()) as { n: number }).n)
    .sort((a, b) => a - b)
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)
const dest = (f: Forwarder) => f.status().destinations[0]!

describe('historian → Kafka REST producers', () => {
  it('Event Streams v2: one request per record, keyed by device, 5xx retried, the id in a header', async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(p, 'eventstreams-rest', { password: 'es-test-key' })
    p.fault({ kind: 'status', status: 503 })
    for (let n = 0; n < 12; n++) mbed.emit('valve', `v${n % 3}`, 'position', { n })
    await expect.poll(() => ns(p), POLL).toEqual(range(12))
    const r = p.records()[0]!
    expect(r.key).toMatch(/^testorg:valve:v\d$/)
    expect(r.headers.id).toBe((r.value as { id: string }).id)
    expect(p.requests().filter((x) => x.status === 503).length).toBe(1)
    for (const device of ['v0', 'v1', 'v2']) {
      const mine = p.records().filter((x) => x.key === `testorg:valve:${device}`)
      expect(new Set(mine.map((x) => x.partition)).size).toBe(1)
      const order = mine.map((x) => (JSON.parse(Buffer.from((x.value as { payload: string }).payload, 'base64').toString()) as { n: number }).n)
      expect(order).toEqual([...order].sort((a, b) => a - b))
    }
    expect(dest(f)).toMatchObject({ state: 'connected', delivered: 12 })
  })

  it('Event Streams v2: a refused key or a missing topic stops the destination with the reason', async () => {
    const p = await peer()
    const bad = await forwarder(p, 'eventstreams-rest', { password: 'not-the-key' })
    bad.mbed.emit('valve', 'v0', 'position', { n: 0 })
    await expect.poll(() => dest(bad.f).state, POLL).toBe('failed')
    expect(dest(bad.f).reason).toMatchObject({ code: 'AUTH_FAILED', details: { ref: { key: 'historian.restUnauthorized' } } })
    const missing = await forwarder(p, 'eventstreams-rest', { password: 'es-test-key' }, 'no-such-topic')
    missing.mbed.emit('valve', 'v0', 'position', { n: 0 })
    await expect.poll(() => dest(missing.f).state, POLL).toBe('failed')
    expect(dest(missing.f).reason?.code).toBe('NOT_FOUND')
    expect(dest(missing.f).queued).toBe(1)
  })

  it('Confluent v3: a 207 is read record by record — failures with a 5xx code are sent again, a 4xx one is refused', async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(p, 'confluent-rest', { password: p.confluent.secret })
    await expect.poll(() => dest(f).state, POLL).not.toBe('failed')
    p.fault({ kind: 'recordError', errorCode: 50002, message: 'Local: Queue full', times: 2 })
    for (let n = 0; n < 5; n++) mbed.emit('valve', `v${n}`, 'position', { n })
    await expect.poll(() => ns(p), POLL).toEqual(range(5))
    expect(p.requests().filter((r) => r.path.endsWith('records:batch')).length).toBe(2)
    p.fault({ kind: 'recordError', errorCode: 42206, message: 'Record too large for the topic' })
    mbed.emit('valve', 'v9', 'position', { n: 99 })
    await expect.poll(() => dest(f).refused, POLL).toBe(1)
    expect(dest(f).queued).toBe(0)
    expect(ns(p)).toEqual(range(5))
  })

  it('Confluent v3: an HTML 429 with Retry-After backs off until then; 413 splits the batch', async () => {
    const p = await peer({ maxRequestBytes: 3_000 })
    const { f, mbed } = await forwarder(p, 'confluent-rest', { password: p.confluent.secret })
    p.fault({ kind: 'status', status: 429, retryAfterSeconds: 1 })
    for (let n = 0; n < 10; n++) mbed.emit('valve', 'v1', 'position', { n, pad: 'z'.repeat(300) })
    await expect.poll(() => dest(f).state, POLL).toBe('backingOff')
    expect(dest(f).reason).toMatchObject({ code: 'RATE_LIMITED' })
    await expect.poll(() => ns(p), POLL).toEqual(range(10))
    expect(p.requests().some((r) => r.status === 413)).toBe(true)
    expect(dest(f).refused).toBe(0)
  })

  it('an outage of the REST endpoint: backing off meanwhile, then every event exactly once', async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(p, 'confluent-rest', { password: p.confluent.secret }, 'events', 7)
    await p.stop()
    for (let n = 0; n < 50; n++) mbed.emit('valve', `v${n % 5}`, 'position', { n })
    await expect.poll(() => dest(f).state, POLL).toBe('backingOff')
    expect(dest(f).reason?.code).toBe('NETWORK')
    await new Promise((r) => setTimeout(r, 1_000))
    await p.start()
    await expect.poll(() => ns(p), POLL).toEqual(range(50))
    expect(new Set(p.records().map((r) => r.headers.id)).size).toBe(50)
  })
})
