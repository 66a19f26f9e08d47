/**
 * A device's history read back from the bucket databases: the buckets that overlap the time range, oldest first, and in
 * each the key range of the device's ids between the two times (event.ts puts the device and the time first in the id,
 * so no index is needed). Pages run across bucket databases; the cursor names the bucket and the id to go on from.
 *
 * What was read is kept in the local history cache; when the destination cannot be reached (network, timeout, a
 * service that is down) the same range is read from the cache instead, with the reason (`offline`).
 */
import { z } from 'zod'
import type { BucketInterval, HistoryEvent, HistoryPage } from '../../../src-shared/models/historian'
import { historyEventSchema } from '../../../src-shared/models/historian'
import { AppError } from '../common/errors'
import { openHistoryCache, type HistoryCache } from '../store/history-cache.store'
import type { Logger } from '../log/logger'
import type { DestinationConfig } from './config'
import { couchClientFor } from './sinks'
import { bucketDbName, bucketsBetween, type Bucket } from './buckets'
import type { CouchClient } from './couch.client'
import { asDeliveryError } from './delivery-error'
import { deviceIdPrefix } from './event'

export interface HistoryQuery {
  org: string
  namePart: string
  interval: BucketInterval
  zone: string
  typeId: string
  deviceId: string
  fromMs: number
  toMs: number
  limit: number
  cursor?: string | undefined
}

const cursorSchema = z.union([z.object({ r: z.literal(1), b: z.string().max(20), k: z.string().max(400) }).strict(), z.object({ r: z.literal(0), k: z.string().max(400) }).strict()])
type Cursor = z.infer<typeof cursorSchema>

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url')
}

function decodeCursor(text: string | undefined): Cursor | null {
  if (text === undefined) return null
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')))
  } catch {
    throw AppError.withRef('VALIDATION', 'The page cursor is not one this history gave', { key: 'historian.badCursor' })
  }
}

/** The key range of the query: the device's ids from the first time to the last (inclusive). */
function keyRange(q: HistoryQuery): { startkey: string; endkey: string } {
  const prefix = deviceIdPrefix(q.org, q.typeId, q.deviceId)
  return { startkey: `${prefix}${new Date(q.fromMs).toISOString()}`, endkey: `${prefix}${new Date(q.toMs).toISOString()}:\ufff0` }
}

const storedDocSchema = z
  .object({
    _id: z.string(),
    typeId: z.string(),
    deviceId: z.string(),
    eventType: z.string(),
    format: z.string(),
    timestamp: z.string(),
    data: z.unknown().optional(),
    payload: z.string().optional(),
  })
  .loose()

/** A stored document as a history item; null for a document that is not an event of ours (put there by hand). */
export function toHistoryEvent(doc: Record<string, unknown>): HistoryEvent | null {
  const d = storedDocSchema.safeParse(doc)
  if (!d.success) return null
  const item = { id: d.data._id, typeId: d.data.typeId, deviceId: d.data.deviceId, eventId: d.data.eventType, format: d.data.format, timestamp: d.data.timestamp }
  return historyEventSchema.parse('data' in doc ? { ...item, data: d.data.data } : { ...item, ...(d.data.payload !== undefined ? { payload: d.data.payload } : {}) })
}

/** The most bucket databases one history read goes through (27 years of days). */
export const MAX_BUCKETS = 10_000

/**
 * The buckets a time range covers, oldest first; a range of more than MAX_BUCKETS is refused (VALIDATION), not read as
 * if its newest buckets were empty. The CLI checks it before it prints anything.
 */
export function bucketsOfRange(fromMs: number, toMs: number, zone: string, interval: BucketInterval): Bucket[] {
  // One more than a read goes through, to tell a range that fits from one that does not.
  const buckets = bucketsBetween(fromMs, toMs, zone, interval, MAX_BUCKETS + 1)
  if (buckets.length > MAX_BUCKETS) {
    throw AppError.withRef('VALIDATION', `The time range covers more than ${MAX_BUCKETS} ${interval} buckets: choose a shorter one`, { key: 'historian.rangeTooLong', params: { max: MAX_BUCKETS } })
  }
  return buckets
}

/**
 * The buckets of the range whose database exists, from one `_all_dbs` request over the range's names (bucket keys sort
 * in time order; docs/wire/couchdb-kafka.md §1.3), instead of one `_all_docs` per bucket: a range of years would
 * otherwise cost thousands of requests, minutes on a rate-limited Cloudant. A key that may not list databases (403)
 * falls back to reading every bucket, a missing one answering 404, i.e. no events.
 */
async function existingBuckets(client: CouchClient, q: HistoryQuery, buckets: Bucket[]): Promise<Bucket[]> {
  const first = buckets[0]
  const last = buckets[buckets.length - 1]
  if (!first || !last) return buckets
  let names: string[]
  try {
    names = await client.listDbs({ startkey: bucketDbName(q.org, q.namePart, first), endkey: bucketDbName(q.org, q.namePart, last) })
  } catch (e) {
    if (e instanceof AppError && e.code === 'FORBIDDEN') return buckets
    throw e
  }
  const present = new Set(names)
  return buckets.filter((b) => present.has(bucketDbName(q.org, q.namePart, b)))
}

async function readRemote(client: CouchClient, q: HistoryQuery, cursor: Extract<Cursor, { r: 1 }> | null): Promise<{ items: HistoryEvent[]; next: string | null }> {
  const range = keyRange(q)
  const all = bucketsOfRange(q.fromMs, q.toMs, q.zone, q.interval)
  const from = cursor ? all.findIndex((b) => b.key === cursor.b) : 0
  if (from < 0) throw AppError.withRef('VALIDATION', 'The page cursor is not one this history gave', { key: 'historian.badCursor' })
  const buckets = await existingBuckets(client, q, all.slice(from))
  // The cursor's key applies in its own bucket only (that bucket may have been deleted since).
  let startkey = cursor && buckets[0]?.key === cursor.b ? cursor.k : range.startkey
  const items: HistoryEvent[] = []
  for (let index = 0; index < buckets.length; index++) {
    const bucket = buckets[index] as (typeof buckets)[number]
    const want = q.limit - items.length
    const rows = await client.allDocs(bucketDbName(q.org, q.namePart, bucket), { startkey, endkey: range.endkey, limit: want + 1 })
    for (const row of (rows ?? []).slice(0, want)) {
      const item = toHistoryEvent(row.doc)
      if (item) items.push(item)
    }
    if (rows && rows.length > want) return { items, next: encodeCursor({ r: 1, b: bucket.key, k: (rows[want] as { id: string }).id }) }
    startkey = range.startkey
    if (items.length >= q.limit) {
      const following = buckets[index + 1]
      return { items, next: following ? encodeCursor({ r: 1, b: following.key, k: range.startkey }) : null }
    }
  }
  return { items, next: null }
}

async function readCache(
  cache: HistoryCache,
  destination: string,
  q: HistoryQuery,
  cursor: Extract<Cursor, { r: 0 }> | null,
): Promise<{ items: HistoryEvent[]; next: string | null; asOf: string | null }> {
  const range = keyRange(q)
  const rows = await cache.range(destination, cursor?.k ?? range.startkey, range.endkey, q.limit + 1)
  const shown = rows.slice(0, q.limit)
  const extra = rows[q.limit]
  const asOf = shown.reduce<string | null>((oldest, r) => (oldest === null || r.fetchedAt < oldest ? r.fetchedAt : oldest), null)
  return { items: shown.map((r) => r.event), next: extra ? encodeCursor({ r: 0, k: extra.event.id }) : null, asOf }
}

/** Network trouble, as opposed to a refusal: only then is the cached copy shown instead. */
function unreachable(e: AppError): boolean {
  return e.code === 'NETWORK' || e.code === 'TIMEOUT' || e.code === 'RATE_LIMITED'
}

export async function readHistory(client: CouchClient, cache: HistoryCache, destination: string, q: HistoryQuery, now: () => number = Date.now): Promise<HistoryPage> {
  const cursor = decodeCursor(q.cursor)
  if (cursor && cursor.r === 0) return { ...(await readCache(cache, destination, q, cursor)), fromCache: true, offline: null }
  try {
    const page = await readRemote(client, q, cursor)
    const asOf = new Date(now()).toISOString()
    await cache.put(destination, page.items, asOf)
    return { ...page, fromCache: false, offline: null, asOf }
  } catch (e) {
    const failure = asDeliveryError(e)
    if (!unreachable(failure)) throw AppError.withRef(failure.code, failure.message, failure.details?.ref ?? { key: 'historian.deliveryFailed' })
    const page = await readCache(cache, destination, q, null)
    return { ...page, fromCache: true, offline: failure.toInfo() }
  }
}

/** One page of a device's history from a CouchDB destination, with the local cache in `dataDir`. */
export async function historyOfDestination(
  dest: Extract<DestinationConfig, { kind: 'couchdb' }>,
  org: string,
  dataDir: string,
  query: { typeId: string; deviceId: string; fromMs: number; toMs: number; limit: number; cursor?: string | undefined },
  logger?: Logger,
  now?: () => number,
): Promise<HistoryPage> {
  const client = couchClientFor(dest, logger)
  const cache = openHistoryCache(dataDir)
  try {
    const s = dest.settings
    return await readHistory(client, cache, dest.ref.slice('couchdb/'.length), { org, namePart: s.dbName, interval: s.bucketInterval, zone: s.timeZone, ...query }, now)
  } finally {
    await Promise.all([client.close(), cache.close()])
  }
}
