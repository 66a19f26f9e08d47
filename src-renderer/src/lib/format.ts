/** One formatter per locale and style: Intl formatters are costly to build and the lists format thousands of values. */
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>()

function formatter<F extends Intl.DateTimeFormat | Intl.NumberFormat>(style: string, locale: string | null | undefined, build: (locale: string) => F): F {
  const key = `${style}|${locale ?? 'en'}`
  let found = formatters.get(key) as F | undefined
  if (!found) {
    found = build(locale ?? 'en')
    formatters.set(key, found)
  }
  return found
}

/**
 * A formatted date, with French's ordinal for the first day of a month ("1er déc."), which Intl does not write: the
 * only day French names by its ordinal.
 */
function withOrdinalFirst(format: Intl.DateTimeFormat, date: Date, locale: string | null | undefined): string {
  if (!(locale ?? 'en').toLowerCase().startsWith('fr')) return format.format(date)
  return format
    .formatToParts(date)
    .map((p) => (p.type === 'day' && p.value === '1' ? '1er' : p.value))
    .join('')
}

/** Locale-formatted date and time (ISO text or epoch milliseconds); the raw text when it is not a date (the audit trail is data, not code). */
export function formatDateTime(iso: string | number, locale: string | null | undefined): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return String(iso)
  return withOrdinalFirst(
    formatter('datetime', locale, (l) => new Intl.DateTimeFormat(l, { dateStyle: 'medium', timeStyle: 'medium' })),
    date,
    locale,
  )
}

/**
 * A date and time short enough for a list's column: to the minute without the year within the current year ("6 déc.,
 * 08:02", "Dec 6, 8:02 AM"), the date alone before it. The whole of it belongs in the cell's title (formatDateTime).
 */
export function formatDateTimeCompact(iso: string | number, locale: string | null | undefined, now: Date = new Date()): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return String(iso)
  if (date.getFullYear() !== now.getFullYear())
    return withOrdinalFirst(
      formatter('date-medium', locale, (l) => new Intl.DateTimeFormat(l, { dateStyle: 'medium' })),
      date,
      locale,
    )
  return withOrdinalFirst(
    formatter('datetime-compact', locale, (l) => new Intl.DateTimeFormat(l, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' })),
    date,
    locale,
  )
}

/**
 * A calendar date (YYYY-MM-DD, e.g. a billing cycle start) in the locale's words. It is formatted in UTC: the
 * date names a day on the carrier's calendar, and local time would move it a day back west of Greenwich.
 */
export function formatDate(date: string, locale: string | null | undefined): string {
  const parsed = new Date(`${date}T00:00:00Z`)
  if (Number.isNaN(parsed.getTime())) return date
  return withOrdinalFirst(
    formatter('date', locale, (l) => new Intl.DateTimeFormat(l, { dateStyle: 'medium', timeZone: 'UTC' })),
    parsed,
    locale,
  )
}

/** A notification's arrival to the millisecond: at a few thousand a second, seconds alone do not order them. */
export function formatTime(iso: string, locale: string | null | undefined): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return formatter('time', locale, (l) => new Intl.DateTimeFormat(l, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false })).format(date)
}

/** A time of day to the second ("08:02:15"): when something happens again within minutes, such as a next try. */
export function formatClock(iso: string, locale: string | null | undefined): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return formatter('clock', locale, (l) => new Intl.DateTimeFormat(l, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })).format(date)
}

/** Counters in the locale's digits and grouping ("12,345", "12 345"); rates keep one decimal. */
export function formatCount(value: number, locale: string | null | undefined): string {
  return formatNumber(value, locale, 1)
}

/** A number in the locale's digits, grouping and decimal sign ("45.1885", "45,1885"), with at most `digits` decimals. */
export function formatNumber(value: number, locale: string | null | undefined, digits: number): string {
  return formatter(`number${digits}`, locale, (l) => new Intl.NumberFormat(l, { maximumFractionDigits: digits })).format(value)
}

/**
 * An exact decimal (a whole part and its decimal digits as text, such as an amount in wei turned into ether) in the
 * locale's grouping and decimal sign ("1,000.5", "1 000,5"), without going through a float that would round it.
 */
export function formatExactDecimal(whole: bigint, fraction: string, locale: string | null | undefined): string {
  const grouped = formatter('integer', locale, (l) => new Intl.NumberFormat(l, { maximumFractionDigits: 0 })).format(whole)
  if (!fraction) return grouped
  const sign = formatter('number1', locale, (l) => new Intl.NumberFormat(l, { maximumFractionDigits: 1 }))
    .formatToParts(1.5)
    .find((p) => p.type === 'decimal')?.value
  return `${grouped}${sign ?? '.'}${fraction}`
}

/**
 * A bound a message names, written as the hints write theirs: the locale's digits, grouping and decimal sign, and a true
 * minus sign ("−90"; Intl gives English and French the hyphen-minus). Bounds are exact, so no decimal is rounded away.
 */
export function formatBound(value: number, locale: string | null | undefined): string {
  return formatter('bound', locale, (l) => new Intl.NumberFormat(l, { maximumFractionDigits: 20 }))
    .format(value)
    .replace(/-/g, '\u2212')
}

export { formatBytes } from '../../../src-shared/models/byte-format'

/** Call time as minutes:seconds ("2:05"); hours stay in the minutes, as carriers count voice in minutes. */
export function formatMinutesSeconds(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds))
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`
}

/** A percentage given as a number of hundredths ("80 %" in French, with its narrow no-break space; "80%" in English). */
export function formatPercent(percent: number, locale: string | null | undefined): string {
  return formatter('percent', locale, (l) => new Intl.NumberFormat(l, { style: 'percent', maximumFractionDigits: 1 })).format(percent / 100)
}

/**
 * A duration as the locale writes it, to the second under an hour and to the minute above ("2 min 5 sec", "1 hr 20 min"),
 * rounded up so that an estimate never promises less than it takes. Intl's unit formatting gives each language its own
 * unit names and spacing (French's no-break space before the unit).
 */
export function formatDuration(seconds: number, locale: string | null | undefined): string {
  const whole = Math.max(0, Math.ceil(seconds))
  const minutes = Math.ceil(whole / 60)
  const parts: [number, 'hour' | 'minute' | 'second'][] =
    whole >= 3600
      ? [
          [Math.floor(minutes / 60), 'hour'],
          [minutes % 60, 'minute'],
        ]
      : [
          [Math.floor(whole / 60), 'minute'],
          [whole % 60, 'second'],
        ]
  const shown = parts.filter(([value]) => value > 0)
  return (shown.length > 0 ? shown : parts.slice(-1))
    .map(([value, unit]) => formatter(`duration-${unit}`, locale, (l) => new Intl.NumberFormat(l, { style: 'unit', unit, unitDisplay: 'short' })).format(value))
    .join(' ')
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * A number as the operator types it in their locale ("1,000.5" in English, "1 000,5" in French), NaN for anything
 * else. A group sign is taken only between groups of three digits, so "1,5" is not read as 15 in English; a decimal
 * point is accepted too where the locale groups with spaces (French keyboards type either). Empty text is NaN.
 */
export function parseNumber(text: string, locale: string | null | undefined): number {
  const parts = formatter('numberParts', locale, (l) => new Intl.NumberFormat(l)).formatToParts(12345.6)
  const localGroup = parts.find((p) => p.type === 'group')?.value ?? ','
  const group = /\s/.test(localGroup) ? ' ' : localGroup
  const decimals = [...new Set([parts.find((p) => p.type === 'decimal')?.value ?? '.', ...(group === ' ' ? ['.'] : [])])]
  const t = text.trim().replace(/\s+/g, ' ')
  const pattern = new RegExp(`^(\\d{1,3}(?:${escape(group)}\\d{3})+|\\d+)?(?:[${decimals.map(escape).join('')}](\\d+))?$`)
  const match = pattern.exec(t)
  if (!match || (match[1] === undefined && match[2] === undefined)) return NaN
  return Number(`${(match[1] ?? '0').split(group).join('')}.${match[2] ?? '0'}`)
}
