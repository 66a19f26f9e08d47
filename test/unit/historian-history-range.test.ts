/**
 * A history range longer than the buckets a read goes through (10,000) is refused with the reason, not read as an empty
 * history: a cold trial asked for a device's events since 1990 (day buckets, Europe/Paris) and was told "no events in
 * this range" while 750 were stored on the last day; the read had stopped at the 10,000th bucket, in 2017.
 */
import { describe, expect, it } from 'vitest'
import type { CouchClient } from '../../src-main/core/historian/couch.client'
import { DeliveryError } from '../../src-main/core/historian/delivery-error'
import { readHistory } from '../../src-main/core/historian/history'
import type { HistoryCache } from '../../src-main/core/store/history-cache.store'

const stored = {
  _id: 'org1:sensor:s1:2026-12-06T04:37:12.721Z:status:ab00',
  typeId: 'sensor',
  deviceId: 's1',
  eventType: 'status',
  format: 'json',
  timestamp: '2026-12-06T05:37:12.721+01:00',
  data: { v: 1 },
}

/** The databases of the account: two buckets of the destination, one of another, and its configuration database. */
const DATABASES = ['iotp_org1_labo_2000-03-02', 'iotp_org1_labo_2026-12-06', 'iotp_org1_labo_configuration', 'iotp_org1_other_2026-12-06', 'users']

function fakes(listing: 'allowed' | 'forbidden' = 'allowed'): { client: CouchClient; cache: HistoryCache; reads: string[]; listings: unknown[] } {
  const reads: string[] = []
  const listings: unknown[] = []
  const client = {
    allDocs: async (db: string) => {
      reads.push(db)
      return db === 'iotp_org1_labo_2026-12-06' ? [{ id: stored._id, doc: stored }] : null
    },
    // As express-pouchdb: the range is not applied, every name comes back.
    listDbs: async (range?: unknown) => {
      listings.push(range)
      if (listing === 'forbidden') throw new DeliveryError('stop', 'FORBIDDEN', 'CouchDB forbids the list of databases', { key: 'historian.couchForbidden' })
      return DATABASES
    },
  } as unknown as CouchClient
  const cache: HistoryCache = { put: async () => {}, range: async () => [], close: async () => {} }
  return { client, cache, reads, listings }
}

const query = { org: 'org1', namePart: 'labo', interval: 'day' as const, zone: 'Europe/Paris', typeId: 'sensor', deviceId: 's1', limit: 200 }

describe('a history range and its buckets', () => {
  it('reads every bucket of a range within the limit', async () => {
    const { client, cache } = fakes()
    const page = await readHistory(client, cache, 'labo', { ...query, fromMs: Date.UTC(2000, 0, 1), toMs: Date.UTC(2026, 11, 7) })
    expect(page.items.map((e) => e.id)).toEqual([stored._id])
  })

  it('lists the bucket databases once and reads only those of the range that exist, not one request per bucket', async () => {
    const { client, cache, reads, listings } = fakes()
    const page = await readHistory(client, cache, 'labo', { ...query, fromMs: Date.UTC(2000, 0, 1), toMs: Date.UTC(2026, 11, 7) })
    expect(page.items.map((e) => e.id)).toEqual([stored._id])
    expect(listings).toEqual([{ startkey: 'iotp_org1_labo_2000-01-01', endkey: 'iotp_org1_labo_2026-12-07' }])
    expect(reads).toEqual(['iotp_org1_labo_2000-03-02', 'iotp_org1_labo_2026-12-06'])
  })

  it('reads every bucket of the range when the key may not list databases (403)', async () => {
    const { client, cache, reads } = fakes('forbidden')
    const page = await readHistory(client, cache, 'labo', { ...query, fromMs: Date.UTC(2026, 10, 30), toMs: Date.UTC(2026, 11, 7) })
    expect(page.items.map((e) => e.id)).toEqual([stored._id])
    expect(reads).toHaveLength(8)
  })

  it('refuses a range of more buckets than a read goes through, with the reason, before reading any', async () => {
    const { client, cache, reads } = fakes()
    const read = readHistory(client, cache, 'labo', { ...query, fromMs: Date.UTC(1990, 0, 1), toMs: Date.UTC(2026, 11, 7) })
    await expect(read).rejects.toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'historian.rangeTooLong', params: { max: 10_000 } } } })
    expect(reads).toEqual([])
  })
})
