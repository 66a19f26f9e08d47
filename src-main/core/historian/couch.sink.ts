/**
 * Events into Cloudant/CouchDB bucket databases (docs/wire/couchdb-kafka.md §5, §1.3).
 *
 * - Each event goes to the bucket of its time in the destination's zone; a batch that spans a boundary is written as
 *   one `_bulk_docs` per bucket.
 * - `maintain` keeps the current bucket and the next one created, so the next database exists before the first event
 *   that needs it; 412 (file_exists) means it is already there. A bucket created now gets the design documents of
 *   `iotp_<org>_<name>_configuration`, as the platform did.
 * - A 201 is checked row by row: `{id, rev}` is stored; `conflict` on an id we sent is a copy sent before, i.e. already
 *   stored; `forbidden`/`unauthorized` is a validation function's refusal of that document, final; any other row, or a
 *   row missing from the answer, is sent again.
 * - A database that went missing (404: deleted by hand or by retention) is created again and the batch resent once.
 *
 * Documents: `{_id, typeId, deviceId, eventType, format, timestamp, data | payload}` — `data` when the payload is JSON
 * with format json, else `payload` in base64; `timestamp` in the destination's zone with its offset. IBM's example has
 * the self-contradictory pair `typeId`/`deviceType` (spec §5 [I]); `deviceId` is what it meant.
 */
import type { BucketInterval } from '../../../src-shared/models/historian'
import { AppError } from '../common/errors'
import type { Logger } from '../log/logger'
import { bucketAt, bucketDbName, configurationDbName, nextBucket, type Bucket } from './buckets'
import type { BulkRow, CouchClient } from './couch.client'
import { DeliveryError } from './delivery-error'
import { jsonPayload, type HistorianEvent } from './event'
import type { Sink, SinkResult } from './sink'
import { formatZoned } from './zoned-time'

export interface CouchSinkOptions {
  client: CouchClient
  org: string
  namePart: string
  interval: BucketInterval
  zone: string
  logger?: Logger
  /** Batches written at once. */
  concurrency?: number
}

export function eventDocument(e: HistorianEvent, zone: string): Record<string, unknown> {
  const json = jsonPayload(e)
  return {
    _id: e.id,
    typeId: e.type,
    deviceId: e.device,
    eventType: e.event,
    format: e.format,
    timestamp: formatZoned(e.receivedAt, zone),
    ...(json ? { data: json.value } : { payload: e.payload.toString('base64') }),
  }
}

const FINAL_ROW_ERRORS = new Set(['forbidden', 'unauthorized'])

export function createCouchSink(options: CouchSinkOptions): Sink & { ensureBucket(bucket: Bucket): Promise<string> } {
  const { client, org, namePart, interval, zone } = options
  const known = new Set<string>()
  const creating = new Map<string, Promise<void>>()
  const configurationDb = configurationDbName(org, namePart)

  async function create(name: string, copyDesign: boolean): Promise<void> {
    const outcome = await client.createDb(name)
    if (outcome === 'created' && copyDesign) {
      for (const doc of await client.designDocs(configurationDb)) {
        const { _rev: _ignored, ...rest } = doc
        if (typeof rest._id === 'string') await client.putDoc(name, rest as { _id: string } & Record<string, unknown>)
      }
      options.logger?.info({ db: name }, 'historian: bucket database created')
    }
    known.add(name)
  }

  /** Creates a database once, however many batches need it at the same moment. */
  function ensure(name: string, copyDesign: boolean): Promise<void> {
    if (known.has(name)) return Promise.resolve()
    let pending = creating.get(name)
    if (!pending) {
      pending = create(name, copyDesign).finally(() => creating.delete(name))
      creating.set(name, pending)
    }
    return pending
  }

  async function ensureBucket(bucket: Bucket): Promise<string> {
    await ensure(configurationDb, false)
    const name = bucketDbName(org, namePart, bucket)
    await ensure(name, true)
    return name
  }

  async function write(db: string, events: HistorianEvent[]): Promise<SinkResult> {
    const docs = events.map((e) => eventDocument(e, zone))
    let rows: BulkRow[]
    try {
      rows = await client.bulkDocs(db, docs)
    } catch (e) {
      if (!(e instanceof DeliveryError) || e.code !== 'NOT_FOUND') throw e
      known.delete(db)
      await ensure(db, true)
      rows = await client.bulkDocs(db, docs)
    }
    const byId = new Map<string, BulkRow>()
    rows.forEach((r, i) => {
      // Rows come in the order of the documents; the id, when present, is what counts.
      byId.set(r.id ?? (docs[i]?._id as string), r)
    })
    const result: SinkResult = { stored: 0, retry: null, refused: [] }
    const again: HistorianEvent[] = []
    let firstRetryReason: string | undefined
    for (const e of events) {
      const row = byId.get(e.id)
      if (row && !row.error && (row.rev || row.ok)) result.stored++
      else if (row?.error === 'conflict') result.stored++
      else if (row?.error && FINAL_ROW_ERRORS.has(row.error)) {
        const reason = `${row.error}${row.reason ? `: ${row.reason}` : ''}`.slice(0, 300)
        result.refused.push({ event: e, error: AppError.withRef('FORBIDDEN', `CouchDB refused event ${e.id}: ${reason}`, { key: 'historian.couchRowRefused', params: { reason } }) })
      } else {
        again.push(e)
        firstRetryReason ??= row?.error ? `${row.error}${row.reason ? `: ${row.reason}` : ''}` : 'no answer for the document'
      }
    }
    if (again.length > 0) {
      const reason = (firstRetryReason ?? '').slice(0, 300)
      result.retry = {
        events: again,
        error: new DeliveryError('retry', 'NETWORK', `CouchDB did not store ${again.length} of ${events.length} events (${reason})`, {
          key: 'historian.couchRowsFailed',
          params: { failed: again.length, total: events.length, reason },
        }),
      }
    }
    return result
  }

  return {
    concurrency: options.concurrency ?? 3,
    ensureBucket,

    async deliver(events) {
      const groups = new Map<string, HistorianEvent[]>()
      for (const e of events) {
        const key = bucketAt(e.receivedAt, zone, interval).key
        const list = groups.get(key)
        if (list) list.push(e)
        else groups.set(key, [e])
      }
      const total: SinkResult = { stored: 0, retry: null, refused: [] }
      for (const list of groups.values()) {
        const db = await ensureBucket(bucketAt((list[0] as HistorianEvent).receivedAt, zone, interval))
        const r = await write(db, list)
        total.stored += r.stored
        total.refused.push(...r.refused)
        if (r.retry) total.retry = total.retry ? { events: [...total.retry.events, ...r.retry.events], error: total.retry.error } : r.retry
      }
      return total
    },

    async maintain(now) {
      const current = bucketAt(now, zone, interval)
      await ensureBucket(current)
      await ensureBucket(nextBucket(current, interval))
    },

    close: () => client.close(),
  }
}
