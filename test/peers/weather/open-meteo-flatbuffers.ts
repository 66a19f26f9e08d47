/**
 * Open-Meteo's `format=flatbuffers` answer, the one its official clients ask for (docs/wire/weather.md §4.2,
 * "FlatBuffers"): the same answer as the JSON one, encoded as one size-prefixed `WeatherApiResponse` table of the
 * schema the `@openmeteo/sdk` package compiles (weather_api.fbs). The field slots below are that schema's, in its
 * order; the peer writes the JSON answer first and encodes it here, so both formats always say the same thing.
 */
import { Builder } from 'flatbuffers'

/** Slots of `WeatherApiResponse` (weather_api.fbs order). */
const RESPONSE = { latitude: 0, longitude: 1, elevation: 2, generationTimeMilliseconds: 3, utcOffsetSeconds: 6, timezone: 7, timezoneAbbreviation: 8, current: 9, daily: 10, fields: 15 }
/** Slots of `VariablesWithTime`. */
const SERIES = { time: 0, timeEnd: 1, interval: 2, variables: 3, fields: 4 }
/** Slots of `VariableWithValues`. */
const VARIABLE = { variable: 0, unit: 1, value: 2, values: 3, altitude: 5, aggregation: 6, fields: 13 }

/** `Variable` enum values of the schema, for the variables the peer models. */
const VARIABLES = { apparent_temperature: 1, pressure_msl: 27, relative_humidity: 29, temperature: 47, visibility: 55, weather_code: 56, wind_direction: 57, wind_gusts: 58, wind_speed: 59 }
/** `Unit` enum values, by the unit string the JSON answer gives. */
const UNITS: Record<string, number> = { '°C': 1, '°': 5, '°F': 9, hPa: 16, 'km/h': 24, kn: 25, 'm/s': 28, m: 29, 'mp/h': 31, '%': 35, 'wmo code': 40 }
const AGGREGATION = { none: 0, minimum: 1, maximum: 2 }

interface Described {
  variable: number
  altitude?: number
  aggregation?: number
}

/**
 * How the schema names each API variable: the quantity, its height above ground (`_2m`, `_10m`) and, for daily values,
 * how the day is aggregated. [I] Daily `weather_code` is written without an aggregation: the schema allows one and the
 * spec does not say which Open-Meteo writes.
 */
const DESCRIBED: Record<string, Described> = {
  temperature_2m: { variable: VARIABLES.temperature, altitude: 2 },
  apparent_temperature: { variable: VARIABLES.apparent_temperature },
  relative_humidity_2m: { variable: VARIABLES.relative_humidity, altitude: 2 },
  weather_code: { variable: VARIABLES.weather_code },
  pressure_msl: { variable: VARIABLES.pressure_msl },
  wind_speed_10m: { variable: VARIABLES.wind_speed, altitude: 10 },
  wind_direction_10m: { variable: VARIABLES.wind_direction, altitude: 10 },
  wind_gusts_10m: { variable: VARIABLES.wind_gusts, altitude: 10 },
  visibility: { variable: VARIABLES.visibility },
  temperature_2m_max: { variable: VARIABLES.temperature, altitude: 2, aggregation: AGGREGATION.maximum },
  temperature_2m_min: { variable: VARIABLES.temperature, altitude: 2, aggregation: AGGREGATION.minimum },
}

/** The JSON answer of openMeteoAnswer, as far as encoded here. */
export interface ForecastBody {
  latitude: number
  longitude: number
  elevation: number
  generationtime_ms: number
  utc_offset_seconds: number
  timezone: string
  timezone_abbreviation: string
  current?: Record<string, number | string>
  current_units?: Record<string, string>
  daily?: Record<string, (number | null)[] | string[]>
  daily_units?: Record<string, string>
}

/** Seconds since the epoch of a local wall time of the answer ("2026-12-07T13:15" or "2026-12-07"). */
function unixOf(local: string, offsetSeconds: number): bigint {
  const ms = Date.parse(local.length === 10 ? `${local}T00:00Z` : `${local}Z`)
  return BigInt(ms / 1000 - offsetSeconds)
}

function variableTable(b: Builder, name: string, unit: string, value: { one: number } | { many: (number | null)[] }): number {
  const described = DESCRIBED[name]!
  let values = 0
  if ('many' in value) {
    b.startVector(4, value.many.length, 4)
    // A missing value is NaN in a float vector (the schema has no null).
    for (let i = value.many.length - 1; i >= 0; i--) b.addFloat32(value.many[i] ?? Number.NaN)
    values = b.endVector()
  }
  b.startObject(VARIABLE.fields)
  b.addFieldInt8(VARIABLE.variable, described.variable, 0)
  b.addFieldInt8(VARIABLE.unit, UNITS[unit] ?? 0, 0)
  if ('one' in value) b.addFieldFloat32(VARIABLE.value, value.one, 0)
  else b.addFieldOffset(VARIABLE.values, values, 0)
  b.addFieldInt16(VARIABLE.altitude, described.altitude ?? 0, 0)
  b.addFieldInt8(VARIABLE.aggregation, described.aggregation ?? AGGREGATION.none, 0)
  return b.endObject()
}

function seriesTable(b: Builder, time: bigint, timeEnd: bigint, interval: number, variables: number[]): number {
  b.startVector(4, variables.length, 4)
  for (let i = variables.length - 1; i >= 0; i--) b.addOffset(variables[i]!)
  const vector = b.endVector()
  b.startObject(SERIES.fields)
  b.addFieldInt64(SERIES.time, time, BigInt(0))
  b.addFieldInt64(SERIES.timeEnd, timeEnd, BigInt(0))
  b.addFieldInt32(SERIES.interval, interval, 0)
  b.addFieldOffset(SERIES.variables, vector, 0)
  return b.endObject()
}

/** The answer `body` as Open-Meteo's FlatBuffers message: variables in the order they were asked for, as the SDK reads them. */
export function forecastFlatbuffer(body: ForecastBody): Buffer {
  const b = new Builder(1024)
  const offset = body.utc_offset_seconds
  let current = 0
  if (body.current && body.current_units) {
    const names = Object.keys(body.current).filter((k) => k !== 'time' && k !== 'interval')
    const tables = names.map((n) => variableTable(b, n, body.current_units![n]!, { one: body.current![n] as number }))
    const start = unixOf(String(body.current.time), offset)
    const interval = Number(body.current.interval)
    current = seriesTable(b, start, start + BigInt(interval), interval, tables)
  }
  let daily = 0
  if (body.daily && body.daily_units) {
    const days = body.daily.time as string[]
    const names = Object.keys(body.daily).filter((k) => k !== 'time')
    const tables = names.map((n) => variableTable(b, n, body.daily_units![n]!, { many: body.daily![n] as (number | null)[] }))
    const start = days.length ? unixOf(days[0]!, offset) : BigInt(0)
    daily = seriesTable(b, start, start + BigInt(days.length * 86_400), 86_400, tables)
  }
  const timezone = b.createString(body.timezone)
  const abbreviation = b.createString(body.timezone_abbreviation)
  b.startObject(RESPONSE.fields)
  b.addFieldFloat32(RESPONSE.latitude, body.latitude, 0)
  b.addFieldFloat32(RESPONSE.longitude, body.longitude, 0)
  b.addFieldFloat32(RESPONSE.elevation, body.elevation, 0)
  b.addFieldFloat32(RESPONSE.generationTimeMilliseconds, body.generationtime_ms, 0)
  b.addFieldInt32(RESPONSE.utcOffsetSeconds, offset, 0)
  b.addFieldOffset(RESPONSE.timezone, timezone, 0)
  b.addFieldOffset(RESPONSE.timezoneAbbreviation, abbreviation, 0)
  if (current) b.addFieldOffset(RESPONSE.current, current, 0)
  if (daily) b.addFieldOffset(RESPONSE.daily, daily, 0)
  b.finishSizePrefixed(b.endObject())
  return Buffer.from(b.asUint8Array())
}
