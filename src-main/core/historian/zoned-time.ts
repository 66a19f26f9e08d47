/**
 * Calendar arithmetic in an IANA time zone with Intl alone (no time-zone library is needed for days, weeks and months):
 * the local date and offset of an instant, and the first instant of a local day (which is not always 00:00 — a zone
 * whose clocks spring forward at midnight starts that day at 01:00).
 */

export interface LocalDate {
  year: number
  /** 1–12 */
  month: number
  day: number
}

export interface ZonedParts extends LocalDate {
  hour: number
  minute: number
  second: number
  millisecond: number
  /** Local time minus UTC, in minutes (Europe/Paris in summer: 120). */
  offsetMinutes: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(zone, f)
  }
  return f
}

/** Local time minus UTC at `ms`, in milliseconds, as Intl tells it (to the second: tzdata has nothing finer). */
function intlOffsetMs(ms: number, zone: string): number {
  const parts: Record<string, number> = {}
  for (const p of formatter(zone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value)
  }
  const millisecond = ((ms % 1000) + 1000) % 1000
  const asUtc = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0, millisecond)
  return asUtc - ms
}

/**
 * Per zone, the offset of the last UTC second asked for. Intl's formatToParts costs about 5 µs, and the CouchDB
 * destination asks twice per event (its bucket, its timestamp) for events that arrive in time order, thousands in the
 * same second. A zone's offset changes only at a transition, and tzdata's transitions fall on whole UTC seconds, so one
 * second's offset holds for every instant of that second.
 */
const lastOffset = new Map<string, { second: number; offsetMs: number }>()

function offsetMsAt(ms: number, zone: string): number {
  const second = Math.floor(ms / 1000)
  const cached = lastOffset.get(zone)
  if (cached && cached.second === second) return cached.offsetMs
  const offsetMs = intlOffsetMs(ms, zone)
  lastOffset.set(zone, { second, offsetMs })
  return offsetMs
}

export function zonedParts(ms: number, zone: string): ZonedParts {
  const offsetMs = offsetMsAt(ms, zone)
  const local = new Date(ms + offsetMs)
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    millisecond: local.getUTCMilliseconds(),
    offsetMinutes: Math.round(offsetMs / 60_000),
  }
}

export function localDate(ms: number, zone: string): LocalDate {
  const { year, month, day } = zonedParts(ms, zone)
  return { year, month, day }
}

/** Days since 1970-01-01 of a calendar date (no zone involved). */
export function dayNumber(d: LocalDate): number {
  return Math.floor(Date.UTC(d.year, d.month - 1, d.day) / 86_400_000)
}

export function fromDayNumber(n: number): LocalDate {
  const t = new Date(n * 86_400_000)
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() }
}

function compare(a: LocalDate, b: LocalDate): number {
  return dayNumber(a) - dayNumber(b)
}

/**
 * The first instant whose local date is `date` or later. Offsets never exceed ±18 h, so the answer lies within 36 h of
 * the date's UTC midnight; a binary search over that window finds it to the millisecond whatever the zone's rules.
 */
export function startOfLocalDay(date: LocalDate, zone: string): number {
  const utcMidnight = Date.UTC(date.year, date.month - 1, date.day)
  let lo = utcMidnight - 18 * 3_600_000
  let hi = utcMidnight + 18 * 3_600_000
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (compare(localDate(mid, zone), date) >= 0) hi = mid
    else lo = mid
  }
  return hi
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** ISO 8601 with the zone's offset at that instant: 2016-06-15T16:54:41.464+01:00. */
export function formatZoned(ms: number, zone: string): string {
  const p = zonedParts(ms, zone)
  const sign = p.offsetMinutes < 0 ? '-' : '+'
  const off = Math.abs(p.offsetMinutes)
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.${pad(p.millisecond, 3)}${sign}${pad(Math.floor(off / 60))}:${pad(off % 60)}`
}
