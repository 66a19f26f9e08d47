/**
 * Units of the weather reading. Each unit system shows every quantity in one fixed unit, whichever provider answered:
 * TWC computes them itself (its `units` parameter), Open-Meteo converts temperature and wind when asked and reports
 * the rest in fixed units (hPa, metres), so Fieldline converts what Open-Meteo does not, from the unit strings the
 * response states (docs/wire/weather.md §4: "read unit strings from the response").
 */
import type { WeatherQuantityUnit, WeatherUnits } from '../../../src-shared/models/weather'
import type { Unit } from '../../../src-shared/models/weather-units'

export { convert, dimensionOf, type Unit } from '../../../src-shared/models/weather-units'

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
