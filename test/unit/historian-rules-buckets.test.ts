/** Forwarding rules with `*`, bucket names in a zone (day, ISO week, month), local midnight with DST, event ids and lines. */
import { describe, expect, it } from 'vitest'
import { assertDbName, bucketAt, bucketDbName, bucketStart, bucketsBetween, nextBucket, previousBucket } from '../../src-main/core/historian/buckets'
import { createSequence, decodeEvent, encodeEvent, eventId, jsonPayload } from '../../src-main/core/historian/event'
import { createRouter, selectorMatches } from '../../src-main/core/historian/rules'
import { formatZoned, startOfLocalDay, zonedParts } from '../../src-main/core/historian/zoned-time'

describe('forwarding rules', () => {
  it('matches * as any run of characters, anywhere, without backtracking', () => {
    expect(selectorMatches('*', 'anything')).toBe(true)
    expect(selectorMatches('sensor-*', 'sensor-12')).toBe(true)
    expect(selectorMatches('sensor-*', 'sensor')).toBe(false)
    expect(selectorMatches('*-v2', 'pump-v2')).toBe(true)
    expect(selectorMatches('a*b*c', 'abc')).toBe(true)
    expect(selectorMatches('a*b*c', 'aXbYc')).toBe(true)
    expect(selectorMatches('a*b*c', 'acb')).toBe(false)
    expect(selectorMatches('ab*b', 'ab')).toBe(false)
    expect(selectorMatches('temp', 'temp')).toBe(true)
    expect(selectorMatches('temp', 'temp2')).toBe(false)
    expect(selectorMatches('*a*a*a*a*a*a*b', 'a'.repeat(36))).toBe(false)
  })

  it('sends an event to every destination of every matching rule, each once', () => {
    const router = createRouter([
      { deviceType: 'sensor*', eventId: '*', destinations: ['couchdb/a'] },
      { deviceType: '*', eventId: 'alarm', destinations: ['kafka/k', 'couchdb/a'] },
      { deviceType: 'pump', eventId: 'status', destinations: ['couchdb/b'] },
    ])
    expect(router.route('sensor1', 'alarm')).toEqual(['couchdb/a', 'kafka/k'])
    expect(router.route('sensor1', 'reading')).toEqual(['couchdb/a'])
    expect(router.route('pump', 'status')).toEqual(['couchdb/b'])
    expect(router.route('pump', 'reading')).toEqual([])
  })
})

describe('buckets', () => {
  it('names day, ISO week and month buckets by the local date in the zone', () => {
    // 2016-01-18 00:30 in Tokyo is still 2016-01-17 in UTC.
    const t = Date.UTC(2016, 0, 17, 15, 30)
    expect(bucketAt(t, 'Asia/Tokyo', 'day').key).toBe('2016-01-18')
    expect(bucketAt(t, 'UTC', 'day').key).toBe('2016-01-17')
    expect(bucketAt(t, 'Asia/Tokyo', 'week').key).toBe('2016-w03')
    expect(bucketAt(t, 'UTC', 'week').key).toBe('2016-w02')
    expect(bucketAt(t, 'UTC', 'month').key).toBe('2016-01')
    // ISO week-years: 2020-12-31 is in 2020-w53, 2021-01-03 too, 2024-12-30 is in 2025-w01.
    expect(bucketAt(Date.UTC(2020, 11, 31, 12), 'UTC', 'week').key).toBe('2020-w53')
    expect(bucketAt(Date.UTC(2021, 0, 3, 12), 'UTC', 'week').key).toBe('2020-w53')
    expect(bucketAt(Date.UTC(2024, 11, 30, 12), 'UTC', 'week').key).toBe('2025-w01')
  })

  it('steps to the next and the previous bucket across months and years', () => {
    const day = bucketAt(Date.UTC(2024, 1, 29, 12), 'UTC', 'day')
    expect(nextBucket(day, 'day').key).toBe('2024-03-01')
    expect(previousBucket(nextBucket(day, 'day'), 'day').key).toBe('2024-02-29')
    const month = bucketAt(Date.UTC(2024, 11, 5), 'UTC', 'month')
    expect(nextBucket(month, 'month').key).toBe('2025-01')
    expect(previousBucket(nextBucket(month, 'month'), 'month').key).toBe('2024-12')
    const week = bucketAt(Date.UTC(2020, 11, 31), 'UTC', 'week')
    expect(nextBucket(week, 'week').key).toBe('2021-w01')
    expect(bucketsBetween(Date.UTC(2024, 0, 30), Date.UTC(2024, 1, 2), 'UTC', 'day').map((b) => b.key)).toEqual(['2024-01-30', '2024-01-31', '2024-02-01', '2024-02-02'])
  })

  it('starts a bucket at local midnight, or at the first instant of a day that has no midnight', () => {
    expect(new Date(startOfLocalDay({ year: 2024, month: 1, day: 16 }, 'Europe/Paris')).toISOString()).toBe('2024-01-15T23:00:00.000Z')
    expect(new Date(startOfLocalDay({ year: 2024, month: 7, day: 1 }, 'America/New_York')).toISOString()).toBe('2024-07-01T04:00:00.000Z')
    // Santiago springs forward at 00:00 → 01:00 on 2023-09-03: that day starts at 01:00 local (04:00 UTC).
    expect(new Date(startOfLocalDay({ year: 2023, month: 9, day: 3 }, 'America/Santiago')).toISOString()).toBe('2023-09-03T04:00:00.000Z')
    const b = bucketAt(Date.UTC(2024, 2, 31, 12), 'Europe/Paris', 'week')
    expect(new Date(bucketStart(b, 'Europe/Paris')).toISOString()).toBe('2024-03-24T23:00:00.000Z')
    expect(formatZoned(Date.UTC(2016, 5, 15, 15, 54, 41, 464), 'Europe/London')).toBe('2016-06-15T16:54:41.464+01:00')
    expect(formatZoned(Date.UTC(2024, 0, 1, 5), 'America/St_Johns')).toBe('2024-01-01T01:30:00.000-03:30')
  })

  it('gives the local time Intl gives for every instant, across transitions, however the instants follow one another', () => {
    // The oracle: Intl asked afresh for each instant. zonedParts remembers one second's offset per zone; these instants
    // come in time order (as events do), backwards, and alternating, around a spring-forward and a fall-back in Paris,
    // a 30-minute change at Lord Howe, and Monrovia's 1972 move from −0:44:30, a transition in the middle of a minute.
    const oracle = (ms: number, zone: string): string => {
      const f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]))
      return [p.year, p.month, p.day, p.hour, p.minute, p.second, ((ms % 1000) + 1000) % 1000].join(' ')
    }
    const ours = (ms: number, zone: string): string => {
      const p = zonedParts(ms, zone)
      return [p.year, p.month, p.day, p.hour, p.minute, p.second, p.millisecond].join(' ')
    }
    const around: [string, number][] = [
      ['Europe/Paris', Date.UTC(2024, 2, 31, 1)],
      ['Europe/Paris', Date.UTC(2024, 9, 27, 1)],
      ['Australia/Lord_Howe', Date.UTC(2024, 3, 6, 15)],
      ['Africa/Monrovia', Date.UTC(1972, 0, 7, 0, 44, 30)],
    ]
    for (const [zone, at] of around) {
      const instants = [-1001, -1000, -999, -1, 0, 1, 999, 1000, 59_999, 60_000].map((d) => at + d)
      for (const order of [instants, [...instants].reverse(), instants.flatMap((ms, i) => [ms, instants[instants.length - 1 - i] as number])]) {
        expect(order.map((ms) => ours(ms, zone))).toEqual(order.map((ms) => oracle(ms, zone)))
      }
    }
    expect(zonedParts(Date.UTC(2024, 2, 31, 0, 59, 59, 999), 'Europe/Paris').offsetMinutes).toBe(60)
    expect(zonedParts(Date.UTC(2024, 2, 31, 1), 'Europe/Paris').offsetMinutes).toBe(120)
    expect(formatZoned(Date.UTC(2024, 3, 6, 14, 59, 59, 500), 'Australia/Lord_Howe')).toBe('2024-04-07T01:59:59.500+11:00')
    expect(formatZoned(Date.UTC(2024, 3, 6, 15, 0, 0, 500), 'Australia/Lord_Howe')).toBe('2024-04-07T01:30:00.500+10:30')
  })

  it('builds database names CouchDB accepts and refuses others', () => {
    expect(bucketDbName('abc123', 'hist', bucketAt(Date.UTC(2016, 0, 17), 'UTC', 'week'))).toBe('iotp_abc123_hist_2016-w02')
    expect(() => assertDbName('Iotp_ABC_hist')).toThrow(
      expect.objectContaining({ code: 'VALIDATION', details: expect.objectContaining({ ref: expect.objectContaining({ key: 'historian.invalidDbName' }) }) }),
    )
    expect(() => assertDbName('1iotp')).toThrow(expect.objectContaining({ code: 'VALIDATION' }))
    expect(assertDbName('iotp_a_b$(x)+/-_2016')).toBe('iotp_a_b$(x)+/-_2016')
  })
})

describe('events', () => {
  it('gets an id of org, type, device, time, event and a sequence unique to the process', () => {
    const a = createSequence()
    const b = createSequence()
    const ids = new Set([a(), a(), b(), b()])
    expect(ids.size).toBe(4)
    const id = eventId({ org: 'o', type: 't', device: 'd', event: 'e', receivedAt: Date.UTC(2024, 0, 1) }, 'abc')
    expect(id).toBe('o:t:d:2024-01-01T00:00:00.000Z:e:abc')
  })

  it('round-trips through a queue line, binary payload included, and refuses what is not one', () => {
    const e = { id: 'i', org: 'o', type: 't', device: 'd', event: 'e', format: 'bin', receivedAt: 5, payload: Buffer.from([0, 255, 10, 13]) }
    const line = encodeEvent(e)
    expect(line.at(-1)).toBe(10)
    expect(line.subarray(0, -1).includes(10)).toBe(false)
    expect(decodeEvent(line.toString('utf8', 0, line.length - 1))).toEqual(e)
    // The line is the JSON of its short keys, in this order, as every queue on disk holds them.
    const odd = { ...e, id: 'o:t:d:"q"\\:é\u2028:\u0001', event: 'ev"1', format: 'json', receivedAt: 1_796_628_000_123, payload: Buffer.from('{"a":"\n"}') }
    const json = { i: odd.id, o: odd.org, t: odd.type, d: odd.device, e: odd.event, f: odd.format, r: odd.receivedAt, p: odd.payload.toString('base64') }
    expect(encodeEvent(odd).toString('utf8')).toBe(`${JSON.stringify(json)}\n`)
    expect(decodeEvent(`${JSON.stringify(json)}`)).toEqual(odd)
    expect(decodeEvent('{"i":1}')).toBeNull()
    expect(decodeEvent('nope')).toBeNull()
    expect(jsonPayload({ format: 'json', payload: Buffer.from('{"a":1}') })).toEqual({ value: { a: 1 } })
    expect(jsonPayload({ format: 'json', payload: Buffer.from([0xff, 0x7b]) })).toBeUndefined()
    expect(jsonPayload({ format: 'text', payload: Buffer.from('{"a":1}') })).toBeUndefined()
  })
})
