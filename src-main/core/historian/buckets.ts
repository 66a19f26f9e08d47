/**
 * Bucket databases (docs/wire/couchdb-kafka.md §5, §1.3): `iotp_<org>_<name>_<bucket>`, one database per day
 * (`yyyy-mm-dd`), week (`yyyy-'w'ww`, e.g. `2016-w03`) or month (`yyyy-mm`) in the destination's time zone; an event
 * goes to the bucket of its time in that zone, and a bucket starts at local midnight.
 *
 * Weeks are ISO 8601 weeks, Monday to Sunday, named by their ISO week-numbering year [I]: IBM's Java pattern
 * `yyyy-'w'ww` mixes the calendar year with a locale's week number, which names the last days of December after week 1
 * of the next year; the ISO year keeps each week under one name.
 */
import type { BucketInterval } from '../../../src-shared/models/historian'
import { COUCH_DB_NAME } from '../../../src-shared/models/historian'
import { AppError } from '../common/errors'
import { dayNumber, fromDayNumber, localDate, startOfLocalDay, type LocalDate } from './zoned-time'

export interface Bucket {
  key: string
  /** The bucket's first local day. */
  first: LocalDate
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** Monday = 1 … Sunday = 7 (1970-01-01 was a Thursday). */
function isoWeekday(n: number): number {
  return ((((n + 3) % 7) + 7) % 7) + 1
}

function isoWeek(date: LocalDate): { weekYear: number; week: number; monday: number } {
  const n = dayNumber(date)
  const monday = n - isoWeekday(n) + 1
  const thursday = monday + 3
  const weekYear = fromDayNumber(thursday).year
  const week = Math.floor((thursday - dayNumber({ year: weekYear, month: 1, day: 1 })) / 7) + 1
  return { weekYear, week, monday }
}

export function bucketOfDate(date: LocalDate, interval: BucketInterval): Bucket {
  if (interval === 'day') return { key: `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`, first: date }
  if (interval === 'month') return { key: `${pad(date.year, 4)}-${pad(date.month)}`, first: { year: date.year, month: date.month, day: 1 } }
  const w = isoWeek(date)
  return { key: `${pad(w.weekYear, 4)}-w${pad(w.week)}`, first: fromDayNumber(w.monday) }
}

export function bucketAt(ms: number, zone: string, interval: BucketInterval): Bucket {
  return bucketOfDate(localDate(ms, zone), interval)
}

export function nextBucket(bucket: Bucket, interval: BucketInterval): Bucket {
  const f = bucket.first
  if (interval === 'day') return bucketOfDate(fromDayNumber(dayNumber(f) + 1), interval)
  if (interval === 'week') return bucketOfDate(fromDayNumber(dayNumber(f) + 7), interval)
  const next = f.month === 12 ? { year: f.year + 1, month: 1, day: 1 } : { year: f.year, month: f.month + 1, day: 1 }
  return bucketOfDate(next, interval)
}

export function previousBucket(bucket: Bucket, interval: BucketInterval): Bucket {
  const f = bucket.first
  if (interval === 'day') return bucketOfDate(fromDayNumber(dayNumber(f) - 1), interval)
  if (interval === 'week') return bucketOfDate(fromDayNumber(dayNumber(f) - 7), interval)
  const previous = f.month === 1 ? { year: f.year - 1, month: 12, day: 1 } : { year: f.year, month: f.month - 1, day: 1 }
  return bucketOfDate(previous, interval)
}

/** The instant a bucket starts: its first local day's first instant in the zone. */
export function bucketStart(bucket: Bucket, zone: string): number {
  return startOfLocalDay(bucket.first, zone)
}

/** Buckets from the one holding `fromMs` to the one holding `toMs`, in order (at most `max`). */
export function bucketsBetween(fromMs: number, toMs: number, zone: string, interval: BucketInterval, max = 10_000): Bucket[] {
  const out: Bucket[] = []
  const last = bucketAt(toMs, zone, interval).key
  let b = bucketAt(fromMs, zone, interval)
  while (out.length < max) {
    out.push(b)
    if (b.key >= last) break
    b = nextBucket(b, interval)
  }
  return out
}

/** The common start of every bucket database of a destination. */
export function dbPrefix(org: string, namePart: string): string {
  return `iotp_${org}_${namePart}_`
}

export function assertDbName(name: string): string {
  if (!COUCH_DB_NAME.test(name) || name.length > 238) {
    throw AppError.withRef('VALIDATION', `"${name.slice(0, 100)}" is not a valid database name: lower-case letter first, then a-z 0-9 _ $ ( ) + - /`, {
      key: 'historian.invalidDbName',
      params: { name: name.slice(0, 100) },
    })
  }
  return name
}

export function bucketDbName(org: string, namePart: string, bucket: Bucket): string {
  return assertDbName(`${dbPrefix(org, namePart)}${bucket.key}`)
}

/** `iotp_<org>_<name>_configuration`: design documents placed there are copied to each new bucket database. */
export function configurationDbName(org: string, namePart: string): string {
  return assertDbName(`${dbPrefix(org, namePart)}configuration`)
}

const BUCKET_KEY: Record<BucketInterval, RegExp> = {
  day: /^\d{4}-\d{2}-\d{2}$/,
  week: /^\d{4}-w\d{2}$/,
  month: /^\d{4}-\d{2}$/,
}

/** The bucket key of one of the destination's bucket databases, or null for any other database. */
export function bucketKeyOf(dbName: string, prefix: string, interval: BucketInterval): string | null {
  if (!dbName.startsWith(prefix)) return null
  const key = dbName.slice(prefix.length)
  return BUCKET_KEY[interval].test(key) ? key : null
}
