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
