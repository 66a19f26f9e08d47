/**
 * The historian into Cloudant/CouchDB bucket databases, against the CouchDB peer (express-pouchdb behind a front that
 * fakes IAM and injects faults): documents and buckets, every error path of delivery (rows, conflicts, 429, 5xx, HTML
 * pages, 413, 401 once and twice, IAM refusals, 403), pause/resume, the bounded queue, midnight in a non-UTC zone, the
 * history read back across buckets (and from the cache offline), and retention.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createForwarder, type Forwarder } from '../../src-main/core/historian/forwarder'
import { createCouchClient } from '../../src-main/core/historian/couch.client'
import { createCouchSink } from '../../src-main/core/historian/couch.sink'
import { readHistory } from '../../src-main/core/historian/history'
import { deleteExpired, listBuckets } from '../../src-main/core/historian/retention'
import { openHistoryCache } from '../../src-main/core/store/history-cache.store'
import { couchClientFor } from '../../src-main/core/historian/sinks'
import type { DestinationConfig } from '../../src-main/core/historian/config'
import type { HistorianEvent } from '../../src-main/core/historian/event'
import { startCouchPeer, type CouchPeer, type CouchPeerOptions } from '../peers/couchdb/couchdb.peer'
import { tempDir } from '../helpers/core'
import { FAST, POLL, couchDestination, fakeMbed, mbedOnlyConfig } from '../helpers/historian'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function peer(options: CouchPeerOptions = {}): Promise<CouchPeer> {
  const p = await startCouchPeer(options)
  cleanups.push(() => p.close())
  return p
}

async function forwarder(dest: DestinationConfig, now?: () => number): Promise<{ f: Forwarder; mbed: ReturnType<typeof fakeMbed>; dataDir: string }> {
  const dir = await tempDir()
  cleanups.push(dir.cleanup)
  const mbed = fakeMbed()
  const f = createForwarder({ config: mbedOnlyConfig([dest]), dataDir: dir.dir, mbed, tuning: FAST, ...(now ? { now } : {}) })
  await f.start()
  cleanups.push(() => f.stop())
  return { f, mbed, dataDir: dir.dir }
}

/** Every event document in the destination's bucket databases. */
async function stored(p: CouchPeer, org = 'testorg', name = 'hist'): Promise<Record<string, unknown>[]> {
  const dbs = (await p.databases()).filter((d) => d.startsWith(`iotp_${org}_${name}_`) && !d.endsWith('_configuration'))
  return (await Promise.all(dbs.map((d) => p.docs(d)))).flat()
}

const dest = (f: Forwarder) => f.status().destinations[0]!

function emitMany(mbed: ReturnType<typeof fakeMbed>, count: number, from = 0, extra: Record<string, unknown> = {}): void {
  for (let n = from; n < from + count; n++) mbed.emit('sensor', `dev${n % 5}`, 'reading', { n, ...extra })
}

const numbers = (docs: Record<string, unknown>[]): number[] => docs.map((d) => (d.data as { n: number }).n).sort((a, b) => a - b)
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)

describe('historian → CouchDB', () => {
  it('stores each event once, as the platform did, in the bucket of its day, after creating the current and the next bucket', async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(couchDestination(p, { timeZone: 'Europe/Paris' }))
    emitMany(mbed, 30)
    await expect.poll(async () => (await stored(p)).length, POLL).toBe(30)
    const docs = await stored(p)
    expect(numbers(docs)).toEqual(range(0, 30))
    const doc = docs.find((d) => (d.data as { n: number }).n === 7)!
    expect(doc).toMatchObject({ typeId: 'sensor', deviceId: 'dev2', eventType: 'reading', format: 'json', data: { n: 7 } })
    expect(String(doc._id)).toMatch(/^testorg:sensor:dev2:\d{4}-\d\d-\d\dT[\d:.]+Z:reading:[0-9a-z]+$/)
    expect(String(doc.timestamp)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[12]:00$/)
    // The next bucket is created beside the deliveries, not before them.
    await expect.poll(async () => (await p.databases()).filter((d) => d.startsWith('iotp_testorg_hist_')).length, POLL).toBe(3)
    expect(await p.databases()).toContain('iotp_testorg_hist_configuration')
    expect(dest(f)).toMatchObject({ state: 'connected', delivered: 30, queued: 0, dropped: 0 })
  })

  it('a second forwarder meets 412 for the buckets that exist and carries on', async () => {
    const p = await peer()
    const first = await forwarder(couchDestination(p))
    await expect.poll(() => dest(first.f).state, POLL).toBe('connected')
    const second = await forwarder(couchDestination(p))
    second.mbed.emit('sensor', 'a', 'reading', { n: 1 })
    await expect.poll(async () => (await stored(p)).length, POLL).toBe(1)
    expect(p.log().filter((r) => r.method === 'PUT' && r.status === 412).length).toBeGreaterThanOrEqual(3)
  })

  it('copies the design documents of the configuration database into each new bucket', async () => {
    const p = await peer()
    const client = createCouchClient({ url: p.url, auth: { kind: 'iam', apiKey: 'iam-test-key', iamUrl: p.iamUrl } })
    cleanups.push(() => client.close())
    await client.createDb('iotp_testorg_hist_configuration')
    await client.putDoc('iotp_testorg_hist_configuration', { _id: '_design/by-device', views: { byDevice: { map: 'function (doc) { emit(doc.deviceId) }' } } })
    const { f } = await forwarder(couchDestination(p))
    await expect.poll(() => dest(f).state, POLL).toBe('connected')
    const bucket = (await p.databases()).find((d) => /_\d{4}-\d\d-\d\d$/.test(d))!
    expect((await client.designDocs(bucket)).map((d) => d._id)).toEqual(['_design/by-device'])
  })

  it('a 201 with failed rows is not a success: only the failed rows are sent again', async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(couchDestination(p))
    await expect.poll(() => dest(f).state, POLL).toBe('connected')
    p.fault({
      kind: 'rowErrors',
      rows: [
        { index: 1, error: 'unknown_error', reason: 'shard unavailable' },
        { index: 3, error: 'unknown_error', reason: 'shard unavailable' },
      ],
    })
    emitMany(mbed, 5)
    await expect.poll(async () => numbers(await stored(p)), POLL).toEqual(range(0, 5))
    const bulks = p.log().filter((r) => r.path.endsWith('/_bulk_docs'))
    expect(bulks.length).toBe(2)
    expect(dest(f).lastError?.details?.ref?.key).toBe('historian.couchRowsFailed')
    expect(dest(f)).toMatchObject({ delivered: 5, queued: 0 })
  })

  it('a conflict on an id sent before means "already stored"; a row a validation function forbids is refused for good', async () => {
    const p = await peer()
    const client = couchClientFor(couchDestination(p))
    const sink = createCouchSink({ client, org: 'testorg', namePart: 'hist', interval: 'day', zone: 'UTC' })
    cleanups.push(() => sink.close())
    const events: HistorianEvent[] = [0, 1, 2].map((n) => ({
      id: `testorg:t:d:2024-01-01T00:00:0${n}.000Z:e:x${n}`,
      org: 'testorg',
      type: 't',
      device: 'd',
      event: 'e',
      format: 'json',
      receivedAt: Date.UTC(2024, 0, 1, 0, 0, n),
      payload: Buffer.from(`{"n":${n}}`),
    }))
    expect(await sink.deliver(events)).toEqual({ stored: 3, retry: null, refused: [] })
    expect(await sink.deliver(events)).toEqual({ stored: 3, retry: null, refused: [] })
    expect((await p.docs('iotp_testorg_hist_2024-01-01')).length).toBe(3)
    p.fault({ kind: 'rowErrors', rows: [{ index: 0, error: 'forbidden', reason: 'only sensors may write' }] })
    const next = events.map((e) => ({ ...e, id: `${e.id}b` }))
    const r = await sink.deliver(next)
    expect(r.stored).toBe(2)
    expect(r.retry).toBeNull()
    expect(r.refused.map((x) => [x.event.id, x.error.details?.ref?.key])).toEqual([[next[0]!.id, 'historian.couchRowRefused']])
  })

  it('429 with Retry-After: backs off until then (state, reason, next try), then delivers', async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(couchDestination(p))
    await expect.poll(() => dest(f).state, POLL).toBe('connected')
    p.fault({ kind: 'status', status: 429, retryAfterSeconds: 1, path: /_bulk_docs$/ })
    emitMany(mbed, 3)
    await expect.poll(() => dest(f).state, POLL).toBe('backingOff')
    const backing = dest(f)
    expect(backing.reason?.code).toBe('RATE_LIMITED')
    expect(Date.parse(backing.nextTryAt!) - Date.parse(backing.lastErrorAt!)).toBeGreaterThanOrEqual(900)
    expect(backing.queued).toBe(3)
    await expect.poll(async () => numbers(await stored(p)), POLL).toEqual(range(0, 3))
    await expect.poll(() => dest(f).state, POLL).toBe('connected')
  })

  it('retries 5xx answers and an HTML 503 page from a load balancer', async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(couchDestination(p))
    await expect.poll(() => dest(f).state, POLL).toBe('connected')
    p.fault({ kind: 'status', status: 500, path: /_bulk_docs$/ })
    p.fault({ kind: 'status', status: 503, html: true, path: /_bulk_docs$/ })
    emitMany(mbed, 4)
    await expect.poll(async () => numbers(await stored(p)), POLL).toEqual(range(0, 4))
    expect(
      p
        .log()
        .filter((r) => r.path.endsWith('/_bulk_docs'))
        .map((r) => r.status),
    ).toEqual([500, 503, 201])
    expect(dest(f).lastError?.message).toContain('HTML')
  })

  it('413 splits the batch in halves; an event too large on its own is refused and counted', async () => {
    const p = await peer({ maxRequestBytes: 12_000, maxDocBytes: 6_000 })
    const { f, mbed } = await forwarder(couchDestination(p))
    await expect.poll(() => dest(f).state, POLL).toBe('connected')
    emitMany(mbed, 12, 0, { pad: 'x'.repeat(2_000) })
    mbed.emit('sensor', 'big', 'reading', { n: 99, pad: 'y'.repeat(7_000) })
    await expect.poll(() => dest(f).queued, POLL).toBe(0)
    expect(numbers(await stored(p))).toEqual(range(0, 12))
    expect(dest(f).refused).toBe(1)
    expect(p.log().some((r) => r.status === 413)).toBe(true)
  })

  it('401 fetches a new IAM token once and sends again', async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(couchDestination(p))
    await expect.poll(() => dest(f).state, POLL).toBe('connected')
    expect(p.tokensIssued()).toBe(1)
    p.revokeTokens()
    emitMany(mbed, 2)
    await expect.poll(async () => (await stored(p)).length, POLL).toBe(2)
    expect(p.tokensIssued()).toBe(2)
    expect(dest(f).state).toBe('connected')
  })

  it('401 again with a fresh token stops the destination with the reason; resume sends the queue', async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(couchDestination(p))
    await expect.poll(() => dest(f).state, POLL).toBe('connected')
    p.fault({ kind: 'status', status: 401, times: 2, path: /_bulk_docs$/ })
    emitMany(mbed, 2)
    await expect.poll(() => dest(f).state, POLL).toBe('failed')
    expect(dest(f).reason?.code).toBe('AUTH_FAILED')
    expect(dest(f).queued).toBe(2)
    f.resume('couchdb/cloudant')
    await expect.poll(async () => (await stored(p)).length, POLL).toBe(2)
  })

  it("an API key IAM refuses stops the destination with IAM's own reason", async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(couchDestination(p, {}, 'not-a-key'))
    mbed.emit('sensor', 'a', 'reading', { n: 1 })
    await expect.poll(() => dest(f).state, POLL).toBe('failed')
    expect(dest(f).reason).toMatchObject({ code: 'AUTH_FAILED', details: { ref: { key: 'historian.iamRefused' } } })
    expect(dest(f).reason?.message).toContain('BXNIM0415E')
    expect(dest(f).queued).toBe(1)
  })

  it('a CouchDB user who is not a server admin is told it may not create the database, not that its credentials were refused', async () => {
    const p = await peer({ couchUsers: { admin: 'admin', password: 'admin-pw' } })
    await p.addUser('writer', 'writer-pw', [])
    const client = createCouchClient({ url: p.url, auth: { kind: 'basic', username: 'writer', password: 'writer-pw' } })
    cleanups.push(() => client.close())
    const refused = await client.createDb('iotp_testorg_hist_configuration').catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: 'FORBIDDEN', details: { ref: { key: 'historian.couchNotServerAdmin', params: { what: 'database', db: 'iotp_testorg_hist_configuration' } } } })
    expect((refused as Error).message).toBe(
      'CouchDB recognised the user, but only a server admin may create database iotp_testorg_hist_configuration: create it beforehand, or use a user allowed to create databases (a server admin)',
    )
    // A wrong password is still a refusal of the credentials.
    const wrong = createCouchClient({ url: p.url, auth: { kind: 'basic', username: 'writer', password: 'not-it' } })
    cleanups.push(() => wrong.close())
    expect(await wrong.createDb('iotp_testorg_hist_configuration').catch((e: unknown) => e)).toMatchObject({ code: 'AUTH_FAILED', details: { ref: { key: 'historian.couchUnauthorized' } } })
  })

  it('403 stops with the reason and keeps the events queued', async () => {
    const p = await peer({ apiKeys: { 'reader-key': 'reader' } })
    const { f, mbed } = await forwarder(couchDestination(p, {}, 'reader-key'))
    emitMany(mbed, 3)
    await expect.poll(() => dest(f).state, POLL).toBe('failed')
    expect(dest(f).reason).toMatchObject({ code: 'FORBIDDEN', details: { ref: { key: 'historian.couchForbidden' } } })
    expect(dest(f).reason?.message).toContain('server_admin access is required')
    expect(dest(f).queued).toBe(3)
  })

  it('pause stops delivery (events queue up); resume delivers them', async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(couchDestination(p))
    await expect.poll(() => dest(f).state, POLL).toBe('connected')
    expect(f.pause('couchdb/cloudant').state).toBe('paused')
    emitMany(mbed, 4)
    await expect.poll(() => dest(f).queued, POLL).toBe(4)
    expect(dest(f).oldestQueuedAt).not.toBeNull()
    expect((await stored(p)).length).toBe(0)
    f.resume('couchdb/cloudant')
    await expect.poll(async () => (await stored(p)).length, POLL).toBe(4)
  })

  it('a full queue drops the oldest events, counts them, and delivers the newest when the destination is back', async () => {
    const p = await peer()
    const { f, mbed } = await forwarder(couchDestination(p, { queueSize: 100 }))
    await expect.poll(() => dest(f).state, POLL).toBe('connected')
    await p.stop()
    emitMany(mbed, 150)
    await expect.poll(() => dest(f).state, POLL).toBe('backingOff')
    expect(dest(f)).toMatchObject({ queued: 100, dropped: 50 })
    expect(dest(f).reason?.code).toBe('NETWORK')
    await p.start()
    await expect.poll(async () => numbers(await stored(p)), POLL).toEqual(range(50, 150))
  })

  it("rolls over at midnight in Europe/Paris: the next day's database exists before midnight, events land by local date", async () => {
    const p = await peer()
    // 2024-01-15 23:59:59.900 in Paris (UTC+1) is 22:59:59.900 UTC.
    let clock = Date.UTC(2024, 0, 15, 22, 59, 59, 900)
    const { f, mbed } = await forwarder(couchDestination(p, { timeZone: 'Europe/Paris' }), () => clock)
    await expect.poll(async () => (await p.databases()).filter((d) => d.startsWith('iotp_testorg_hist_2024')), POLL).toEqual(['iotp_testorg_hist_2024-01-15', 'iotp_testorg_hist_2024-01-16'])
    const before = p.log().filter((r) => r.method === 'PUT' && r.path === '/iotp_testorg_hist_2024-01-16')
    expect(before.map((r) => r.status)).toEqual([201])
    mbed.emit('sensor', 'clock', 'reading', { n: 1 })
    clock = Date.UTC(2024, 0, 15, 23, 0, 0, 100)
    mbed.emit('sensor', 'clock', 'reading', { n: 2 })
    await expect.poll(() => dest(f).delivered, POLL).toBe(2)
    const day15 = await p.docs('iotp_testorg_hist_2024-01-15')
    const day16 = await p.docs('iotp_testorg_hist_2024-01-16')
    expect(day15.map((d) => [(d.data as { n: number }).n, d.timestamp])).toEqual([[1, '2024-01-15T23:59:59.900+01:00']])
    expect(day16.map((d) => [(d.data as { n: number }).n, d.timestamp])).toEqual([[2, '2024-01-16T00:00:00.100+01:00']])
  })

  it("reads a device's history back across bucket databases, page by page, and from the cache when offline", async () => {
    const p = await peer()
    const client = couchClientFor(couchDestination(p))
    const sink = createCouchSink({ client, org: 'testorg', namePart: 'hist', interval: 'day', zone: 'America/New_York' })
    cleanups.push(() => sink.close())
    // Three days in New York, two devices.
    const at = (day: number, hour: number) => Date.UTC(2024, 5, day, hour)
    const events: HistorianEvent[] = [
      [10, 15, 'a', 1],
      [11, 2, 'a', 2],
      [11, 15, 'b', 3],
      [12, 15, 'a', 4],
    ].map(([day, hour, device, n]) => ({
      id: `testorg:t:${device}:${new Date(at(day as number, hour as number)).toISOString()}:e:s${n}`,
      org: 'testorg',
      type: 't',
      device: device as string,
      event: 'e',
      format: 'json',
      receivedAt: at(day as number, hour as number),
      payload: Buffer.from(`{"n":${n}}`),
    }))
    await sink.deliver(events)
    expect((await p.databases()).filter((d) => /\d$/.test(d))).toEqual(['iotp_testorg_hist_2024-06-10', 'iotp_testorg_hist_2024-06-11', 'iotp_testorg_hist_2024-06-12'])
    const dir = await tempDir()
    cleanups.push(dir.cleanup)
    const cache = openHistoryCache(dir.dir)
    cleanups.push(() => cache.close())
    const query = { org: 'testorg', namePart: 'hist', interval: 'day' as const, zone: 'America/New_York', typeId: 't', deviceId: 'a', fromMs: at(10, 0), toMs: at(13, 0), limit: 2 }
    const firstRead = Date.UTC(2024, 5, 13, 9)
    const first = await readHistory(client, cache, 'cloudant', query, () => firstRead)
    expect(first.items.map((i) => (i.data as { n: number }).n)).toEqual([1, 2])
    expect(first).toMatchObject({ fromCache: false, offline: null, asOf: new Date(firstRead).toISOString() })
    const second = await readHistory(client, cache, 'cloudant', { ...query, cursor: first.next! }, () => firstRead + 60_000)
    expect(second.items.map((i) => (i.data as { n: number }).n)).toEqual([4])
    expect(second.next).toBeNull()
    expect(second.items[0]).toMatchObject({ typeId: 't', deviceId: 'a', eventId: 'e', format: 'json' })
    await p.stop()
    const offline = await readHistory(client, cache, 'cloudant', { ...query, limit: 10 })
    expect(offline.fromCache).toBe(true)
    expect(offline.offline?.code).toBe('NETWORK')
    expect(offline.items.map((i) => (i.data as { n: number }).n)).toEqual([1, 2, 4])
    // The copy is as old as its oldest read: what was stored after it is not in it.
    expect(offline.asOf).toBe(new Date(firstRead).toISOString())
    const nothing = await readHistory(client, cache, 'cloudant', { ...query, deviceId: 'never-read' })
    expect(nothing).toMatchObject({ items: [], fromCache: true, asOf: null })
  })

  it('lists the buckets older than the retention and deletes only a confirmed, expired one', async () => {
    const p = await peer()
    const client = couchClientFor(couchDestination(p))
    cleanups.push(() => client.close())
    for (const day of ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04']) await client.createDb(`iotp_testorg_hist_${day}`)
    await client.createDb('iotp_testorg_other_2024-03-01')
    const scope = { org: 'testorg', namePart: 'hist', interval: 'day' as const, zone: 'UTC', retentionBuckets: 2 }
    const now = Date.UTC(2024, 2, 4, 12)
    const list = await listBuckets(client, scope, now)
    expect(list.databases.map((d) => d.bucket)).toEqual(['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04'])
    expect(list.expired).toEqual(['iotp_testorg_hist_2024-03-01', 'iotp_testorg_hist_2024-03-02'])
    const result = await deleteExpired(client, scope, ['iotp_testorg_hist_2024-03-01', 'iotp_testorg_hist_2024-03-03', 'iotp_testorg_other_2024-03-01'], now)
    expect(result.deleted).toEqual(['iotp_testorg_hist_2024-03-01'])
    expect(result.refused.map((r) => [r.name, r.reason.details?.ref?.key])).toEqual([
      ['iotp_testorg_hist_2024-03-03', 'historian.notExpired'],
      ['iotp_testorg_other_2024-03-01', 'historian.notExpired'],
    ])
    expect(await p.databases()).not.toContain('iotp_testorg_hist_2024-03-01')
    expect(await p.databases()).toContain('iotp_testorg_hist_2024-03-02')
  })
})
