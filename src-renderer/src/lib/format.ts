const dateTimeFormats = new Map<string, Intl.DateTimeFormat>()

/** Locale-formatted date and time; the raw text when it is not a date (the audit trail is data, not code). */
export function formatDateTime(iso: string, locale: string | null | undefined): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  const key = locale ?? 'en'
  let format = dateTimeFormats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat(key, { dateStyle: 'medium', timeStyle: 'medium' })
    dateTimeFormats.set(key, format)
  }
  return format.format(date)
}

const dateFormats = new Map<string, Intl.DateTimeFormat>()

/**
 * A calendar date (YYYY-MM-DD, e.g. a billing cycle start) in the locale's words. It is formatted in UTC: the
 * date names a day on the carrier's calendar, and local time would move it a day back west of Greenwich.
 */
export function formatDate(date: string, locale: string | null | undefined): string {
  const parsed = new Date(`${date}T00:00:00Z`)
  if (Number.isNaN(parsed.getTime())) return date
  const key = locale ?? 'en'
  let format = dateFormats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat(key, { dateStyle: 'medium', timeZone: 'UTC' })
    dateFormats.set(key, format)
  }
  return format.format(parsed)
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const

/**
 * Data volume in decimal units (1 MB = 1,000,000 bytes, as carriers bill), with the locale's unit names
 * ("58.6 MB", "58,6 Mo").
 */
export function formatBytes(bytes: number, locale: string | null | undefined): string {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000
    unit++
  }
  return new Intl.NumberFormat(locale ?? 'en', {
    style: 'unit',
    unit: BYTE_UNITS[unit],
    // "12 bytes" reads better than the short form's "12 byte".
    unitDisplay: unit === 0 ? 'long' : 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value)
}

/** Call time as minutes:seconds ("2:05"); hours stay in the minutes, as carriers count voice in minutes. */
export function formatMinutesSeconds(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds))
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`
}
