/**
 * Conversions between the units weather quantities come in. Shared: the core's weather clients convert what a provider
 * did not, the device list orders temperatures and wind speeds of readings taken in different unit systems, and the
 * weather alert rules compare a reading with a threshold given in another unit.
 */

/** Every unit a provider may state, with its dimension and its factor to the dimension's base unit. */
export const UNITS = {
  '°C': { dimension: 'temperature' },
  '°F': { dimension: 'temperature' },
  'm/s': { dimension: 'speed', factor: 1 },
  'km/h': { dimension: 'speed', factor: 1 / 3.6 },
  mph: { dimension: 'speed', factor: 0.44704 },
  kn: { dimension: 'speed', factor: 1852 / 3600 },
  hPa: { dimension: 'pressure', factor: 1 },
  inHg: { dimension: 'pressure', factor: 33.8638866667 },
  m: { dimension: 'distance', factor: 1 },
  ft: { dimension: 'distance', factor: 0.3048 },
  km: { dimension: 'distance', factor: 1000 },
  mi: { dimension: 'distance', factor: 1609.344 },
  '%': { dimension: 'ratio', factor: 1 },
  '°': { dimension: 'angle', factor: 1 },
} as const

export type Unit = keyof typeof UNITS

export const isUnit = (text: unknown): text is Unit => typeof text === 'string' && Object.hasOwn(UNITS, text)

export function dimensionOf(unit: Unit): string {
  return UNITS[unit].dimension
}

/** Converts between units of one dimension; throws on a mismatch (a programming error, not bad input). */
export function convert(value: number, from: Unit, to: Unit): number {
  if (from === to) return value
  const a = UNITS[from]
  const b = UNITS[to]
  if (a.dimension !== b.dimension) throw new RangeError(`cannot convert ${from} to ${to}`)
  if (a.dimension === 'temperature') return from === '°C' ? (value * 9) / 5 + 32 : ((value - 32) * 5) / 9
  return (value * (a as { factor: number }).factor) / (b as { factor: number }).factor
}

/**
 * A weather alert's value as the core writes it ("63.2 km/h", weather-alerts.ts) in a locale's digits, with the
 * decimals it was written with and a no-break space before the unit ("63,2 km/h"); any other text as it is. Shared: the
 * inbox and the alert emails show it the same way.
 */
export function localWeatherValue(value: string, locale: string | null | undefined): string {
  const m = /^(-?\d+(?:\.\d+)?) (.+)$/.exec(value)
  if (!m) return value
  const digits = m[1]!.split('.')[1]?.length ?? 0
  return `${new Intl.NumberFormat(locale ?? 'en', { maximumFractionDigits: digits }).format(Number(m[1]))}\u00a0${m[2]}`
}
