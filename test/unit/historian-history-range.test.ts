/**
 * A history range longer than the buckets a read goes through (10,000) is refused with the reason, not read as an empty
 * history: a cold trial asked for a device's events since 1990 (day buckets, Europe/Paris) and was told "no events in
 * this range" while 750 were stored on the last day; the read had stopped at the 10,000th bucket, in 2017.
 */
import { describe, expect, it } from 'vitest'
import type { CouchClient } from '../../src-main/core/historian/couch.client'
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

function fakes(): { client: CouchClient; cache: HistoryCache; reads: string[] } {
  const reads: string[] = []
  const client = {
    allDocs: async (db: string) => {
      reads.push(db)
      return db === 'iotp_org1_labo_2026-12-06' ? [{ id: stored._id, doc: stored }] : null
    },
  } as unknown as CouchClient
  const cache: HistoryCache = { put: async () => {}, range: async () => [], close: async () => {} }
  return { client, cache, reads }
}

const query = { org: 'org1', namePart: 'labo', interval: 'day' as const, zone: 'Europe/Paris', typeId: 'sensor', deviceId: 's1', limit: 200 }

describe('a history range and its buckets', () => {
  it('reads every bucket of a range within the limit', async () => {
    const { client, cache } = fakes()
    const page = await readHistory(client, cache, 'labo', { ...query, fromMs: Date.UTC(2000, 0, 1), toMs: Date.UTC(2026, 11, 7) })
    expect(page.items.map((e) => e.id)).toEqual([stored._id])
  })

  it('refuses a range of more buckets than a read goes through, with the reason, before reading any', async () => {
    const { client, cache, reads } = fakes()
    const read = readHistory(client, cache, 'labo', { ...query, fromMs: Date.UTC(1990, 0, 1), toMs: Date.UTC(2026, 11, 7) })
    await expect(read).rejects.toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'historian.rangeTooLong', params: { max: 10_000 } } } })
    expect(reads).toEqual([])
  })
})
