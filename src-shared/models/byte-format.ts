const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const

/**
 * Data volume in decimal units (1 MB = 1,000,000 bytes, as carriers bill), with the locale's unit names
 * ("58.6 MB", "58,6 Mo"). Shared: the renderer's lists and the core's alert emails write volumes the same way.
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

const MIB = 1024 * 1024

/**
 * A file's or a text's size against a limit, in the binary megabytes the limits are set in (the package limit, 5 MB,
 * is 5 × 1,048,576 bytes), with the locale's unit names and decimal mark: "5 MB", "6.3 MB", « 6,3 Mo ». A size that
 * one decimal would write as `limit` itself ("5.0 MB" over a 5 MB limit) is given in bytes. The one writer of sizes
 * for the core's English messages and for the window, which writes them again in its language from the bytes a
 * message's parameters carry beside them (`size` and `sizeBytes`: i18n translateRef).
 */
export function formatMebibytes(bytes: number, locale: string | null | undefined, limit?: number): string {
  const tag = locale ?? 'en'
  const whole = bytes % MIB === 0
  if (!whole && limit !== undefined && (Math.round((bytes / MIB) * 10) / 10) * MIB === limit) {
    return new Intl.NumberFormat(tag, { style: 'unit', unit: 'byte', unitDisplay: 'long' }).format(bytes)
  }
  const digits = whole ? 0 : 1
  return new Intl.NumberFormat(tag, { style: 'unit', unit: 'megabyte', unitDisplay: 'short', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(bytes / MIB)
}
