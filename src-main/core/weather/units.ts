/**
 * Units of the weather reading. Each unit system shows every quantity in one fixed unit, whichever provider answered:
 * TWC computes them itself (its `units` parameter), Open-Meteo converts temperature and wind when asked and reports
 * the rest in fixed units (hPa, metres), so Fieldline converts what Open-Meteo does not, from the unit strings the
 * response states (docs/wire/weather.md §4: "read unit strings from the response").
 */
import type { WeatherQuantityUnit, WeatherUnits } from '../../../src-shared/models/weather'

export interface UnitSet {
  temperature: '°C' | '°F'
  speed: 'km/h' | 'mph' | 'm/s'
  pressure: 'hPa' | 'inHg'
  distance: 'km' | 'mi'
}

/**
 * TWC's systems (docs/wire/weather.md §4): e = °F, mph, inHg, miles; m = °C, km/h, mb, km; h = UK hybrid, °C with mph;
 * s = SI, wind in m/s. [I] The spec does not give h's and s's pressure and distance: hybrid follows UK practice (mb,
 * miles) and SI stays metric (mb, km). A millibar is a hectopascal.
 */
export const UNIT_SETS: Readonly<Record<WeatherUnits, UnitSet>> = {
  metric: { temperature: '°C', speed: 'km/h', pressure: 'hPa', distance: 'km' },
  imperial: { temperature: '°F', speed: 'mph', pressure: 'inHg', distance: 'mi' },
  hybrid: { temperature: '°C', speed: 'mph', pressure: 'hPa', distance: 'mi' },
  si: { temperature: '°C', speed: 'm/s', pressure: 'hPa', distance: 'km' },
}

/** Every unit a provider may state, with its dimension and its factor to the dimension's base unit. */
const UNITS = {
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

/** Open-Meteo's unit strings (it writes mph as "mp/h"), mapped to Fieldline's; anything else is not understood. */
const OPEN_METEO_UNITS: Readonly<Record<string, Unit>> = {
  '°C': '°C',
  '°F': '°F',
  'km/h': 'km/h',
  'mp/h': 'mph',
  mph: 'mph',
  'm/s': 'm/s',
  kn: 'kn',
  hPa: 'hPa',
  m: 'm',
  ft: 'ft',
  '%': '%',
  '°': '°',
}

export function openMeteoUnit(text: string): Unit | null {
  return Object.hasOwn(OPEN_METEO_UNITS, text) ? OPEN_METEO_UNITS[text]! : null
}

export function dimensionOf(unit: Unit): string {
  return UNITS[unit].dimension
}

/** Decimals shown per unit: enough for the instrument, no false precision from a conversion. */
const DECIMALS: Readonly<Record<WeatherQuantityUnit, number>> = {
  '°C': 1,
  '°F': 1,
  'km/h': 1,
  mph: 1,
  'm/s': 1,
  kn: 1,
  hPa: 1,
  inHg: 2,
  km: 1,
  mi: 1,
  '%': 0,
}

export function round(value: number, unit: WeatherQuantityUnit): number {
  const f = 10 ** DECIMALS[unit]
  return Math.round(value * f) / f
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
