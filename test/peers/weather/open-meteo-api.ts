/**
 * Open-Meteo's `GET /v1/forecast` as the peer serves it (docs/wire/weather.md §4; open-meteo openapi/forecast.yml),
 * written from the spec, not from Fieldline's client: a point snapped to the model grid, the variables asked for in
 * `current` and `daily` with their units stated beside them, 400 `{"error": true, "reason"}` for a bad request. The
 * answer is JSON, or with `format=flatbuffers` (what the official clients ask for) the same answer in Open-Meteo's
 * FlatBuffers schema (open-meteo-flatbuffers.ts); errors are JSON in both.
 */
import type { PeerResponse } from '../control-center/wire-format'
import { forecastFlatbuffer, type ForecastBody } from './open-meteo-flatbuffers'
import { conditionsAt, forecast, utcOffsetSeconds, type Point } from './sky'

export interface OpenMeteoState {
  now(): number
  /**
   * Commercial keys (customer-api.open-meteo.com). When set, `apikey` is required and must be one of them; when not
   * (the free host), an `apikey` is refused. [I] The spec only says commercial plans pass `apikey`.
   */
  commercialKeys: ReadonlySet<string> | null
}

/** Variables the peer models (a subset of the hourly and current enums of forecast.yml). */
const MODELLED_CURRENT = [
  'temperature_2m',
  'relative_humidity_2m',
  'weather_code',
  'pressure_msl',
  'wind_speed_10m',
  'wind_direction_10m',
  'wind_gusts_10m',
  'visibility',
  'apparent_temperature',
] as const
const MODELLED_DAILY = ['temperature_2m_max', 'temperature_2m_min', 'weather_code'] as const
/** Other variables forecast.yml lists: valid, but not modelled by the peer, which says so rather than invent values. */
const KNOWN_OTHERS = new Set([
  'dew_point_2m',
  'precipitation',
  'rain',
  'showers',
  'snowfall',
  'snow_depth',
  'surface_pressure',
  'cloud_cover',
  'is_day',
  'uv_index',
  'sunrise',
  'sunset',
  'precipitation_sum',
  'wind_speed_10m_max',
  'wind_gusts_10m_max',
])
const PARAMETERS = new Set([
  'latitude',
  'longitude',
  'current',
  'daily',
  'hourly',
  'timezone',
  'forecast_days',
  'temperature_unit',
  'wind_speed_unit',
  'precipitation_unit',
  'timeformat',
  'apikey',
  'format',
])
/** Formats Open-Meteo serves; the peer serves JSON and FlatBuffers and says so of the others. [I] */
const FORMATS = new Set(['json', 'flatbuffers', 'csv', 'xlsx'])

const TEMPERATURE_UNITS = { celsius: '°C', fahrenheit: '°F' } as const
/** Open-Meteo writes mph as "mp/h" (docs/wire/weather.md §4). */
const WIND_UNITS = { kmh: 'km/h', ms: 'm/s', mph: 'mp/h', kn: 'kn' } as const
const WIND_FACTORS = { kmh: 1, ms: 1 / 3.6, mph: 1 / 1.609344, kn: 1 / 1.852 } as const

export function openMeteoError(status: number, reason: string): PeerResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from(JSON.stringify({ reason, error: true }), 'utf8') }
}

/** [I] The reason texts are the peer's; Open-Meteo's exact wording is not in the spec. */
const bad = (reason: string): PeerResponse => openMeteoError(400, reason)

const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/

function list(value: string | null): string[] {
  return value === null || value === '' ? [] : value.split(',').map((v) => v.trim())
}

/** [I] The grid: Open-Meteo's best-match models differ in resolution; the peer snaps to 0.1° and says it in the answer. */
function snap(n: number): number {
  return Math.round(n * 10) / 10
}

export function openMeteoAnswer(query: URLSearchParams, state: OpenMeteoState): PeerResponse {
  for (const name of new Set(query.keys())) {
    if (!PARAMETERS.has(name)) return bad(`Unknown parameter ${name}`)
    if (query.getAll(name).length > 1 && name !== 'current' && name !== 'daily') return bad(`Parameter ${name} is given more than once`)
  }
  const apikey = query.get('apikey')
  if (state.commercialKeys) {
    if (!apikey || !state.commercialKeys.has(apikey)) return openMeteoError(401, 'API key is missing or invalid')
  } else if (apikey !== null) {
    return bad('apikey is only accepted by the commercial API host')
  }
  const lat = query.get('latitude')
  const lon = query.get('longitude')
  if (lat === null || lon === null) return bad("Parameter 'latitude' and 'longitude' are required")
  // [I] Open-Meteo answers several comma-separated points at once (one answer each); the peer models one point.
  if (lat.includes(',') || lon.includes(',')) return bad('several locations in one request are not modelled by this peer')
  if (!FLOAT.test(lat) || !FLOAT.test(lon)) return bad("Parameter 'latitude' and 'longitude' must be floating point numbers")
  const point: Point = { latitude: Number(lat), longitude: Number(lon) }
  if (Math.abs(point.latitude) > 90) return bad(`Latitude must be in range of -90 to 90°. Given: ${point.latitude}.`)
  if (Math.abs(point.longitude) > 180) return bad(`Longitude must be in range of -180 to 180°. Given: ${point.longitude}.`)
  if (query.has('hourly')) return bad('hourly is not modelled by this peer')
  const current = query.getAll('current').flatMap(list)
  const daily = query.getAll('daily').flatMap(list)
  const unknown = (asked: string[], modelled: readonly string[], key: string) => {
    const v = asked.find((a) => !modelled.includes(a))
    if (v === undefined) return null
    return bad(KNOWN_OTHERS.has(v) ? `${v} is not modelled by this peer` : `Cannot initialize variable from invalid String value ${v} for key ${key}`)
  }
  const refused = unknown(current, MODELLED_CURRENT, 'current') ?? unknown(daily, MODELLED_DAILY, 'daily')
  if (refused) return refused
  const timezone = query.get('timezone')
  // [I] Older documentation: "If daily weather variables are specified, parameter timezone is required."
  if (daily.length > 0 && timezone === null) return bad('Timezone is required when daily variables are requested')
  // [I] Without a time-zone database the peer models `auto` (sky.ts) and GMT alone; daily values need `auto`.
  if (timezone !== null && timezone !== 'auto' && timezone !== 'GMT') return bad(`timezone ${timezone} is not modelled by this peer (auto, GMT)`)
  if (daily.length > 0 && timezone !== 'auto') return bad('daily values are modelled with timezone=auto only')
  const days = query.get('forecast_days') ?? '7'
  if (!/^\d{1,2}$/.test(days) || Number(days) > 16) return bad('forecast_days must be from 0 to 16')
  const tUnit = (query.get('temperature_unit') ?? 'celsius') as keyof typeof TEMPERATURE_UNITS
  if (!(tUnit in TEMPERATURE_UNITS)) return bad(`Invalid temperature_unit ${tUnit}`)
  const wUnit = (query.get('wind_speed_unit') ?? 'kmh') as keyof typeof WIND_UNITS
  if (!(wUnit in WIND_UNITS)) return bad(`Invalid wind_speed_unit ${wUnit}`)
  const pUnit = query.get('precipitation_unit') ?? 'mm'
  if (pUnit !== 'mm' && pUnit !== 'inch') return bad(`Invalid precipitation_unit ${pUnit}`)
  if ((query.get('timeformat') ?? 'iso8601') !== 'iso8601') return bad('timeformat unixtime is not modelled by this peer')
  const format = query.get('format') ?? 'json'
  // [I] The reason texts are the peer's, in the shape of its other refusals of an enum value.
  if (!FORMATS.has(format)) return bad(`Cannot initialize ForecastapiFormat from invalid String value ${format} for key format`)
  if (format !== 'json' && format !== 'flatbuffers') return bad(`format ${format} is not modelled by this peer`)

  const now = state.now()
  const grid = { latitude: snap(point.latitude), longitude: snap(point.longitude) }
  const offset = timezone === 'auto' ? utcOffsetSeconds(grid) : 0
  const c = conditionsAt(grid, now)
  const temp = (celsius: number) => Math.round((tUnit === 'fahrenheit' ? (celsius * 9) / 5 + 32 : celsius) * 10) / 10
  const wind = (kmh: number) => Math.round(kmh * WIND_FACTORS[wUnit] * 10) / 10
  // Current values are 15-minutely: `time` is the start of the running quarter hour, local wall time.
  const slot = Math.floor(now / 900_000) * 900_000
  const localTime = (ms: number) => new Date(ms + offset * 1000).toISOString().slice(0, 16)
  const currentValues: Record<string, number> = {
    temperature_2m: temp(c.temperatureC),
    apparent_temperature: temp(c.feelsLikeC),
    relative_humidity_2m: c.humidity,
    weather_code: c.wmo,
    pressure_msl: c.pressureHpa,
    wind_speed_10m: wind(c.windKmh),
    // Open-Meteo has no "calm" direction: a still wind still has a (meaningless) direction, and gusts are never null.
    wind_direction_10m: c.directionDeg ?? 0,
    wind_gusts_10m: wind(c.gustKmh ?? c.windKmh),
    visibility: c.visibilityKm === 'unlimited' ? 80_000 : Math.round(c.visibilityKm * 1000),
  }
  const currentUnits: Record<string, string> = {
    temperature_2m: TEMPERATURE_UNITS[tUnit],
    apparent_temperature: TEMPERATURE_UNITS[tUnit],
    relative_humidity_2m: '%',
    weather_code: 'wmo code',
    pressure_msl: 'hPa',
    wind_speed_10m: WIND_UNITS[wUnit],
    wind_direction_10m: '°',
    wind_gusts_10m: WIND_UNITS[wUnit],
    visibility: 'm',
  }
  const dayList = forecast(grid, now, Number(days))
  const dailyValues: Record<string, (number | null)[]> = {
    temperature_2m_max: dayList.map((d) => temp(d.calendarMaxC)),
    temperature_2m_min: dayList.map((d) => temp(d.calendarMinC)),
    weather_code: dayList.map((d) => d.wmo),
  }
  const body: ForecastBody = {
    latitude: grid.latitude,
    longitude: grid.longitude,
    generationtime_ms: 0.5,
    utc_offset_seconds: offset,
    timezone: offset === 0 ? 'GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset / 3600)}`,
    timezone_abbreviation: offset === 0 ? 'GMT' : `GMT${offset > 0 ? '+' : '-'}${Math.abs(offset / 3600)}`,
    // [I] The grid cell's elevation, made up from the latitude.
    elevation: Math.round(Math.abs(grid.latitude) * 10),
  }
  if (current.length > 0) {
    body.current_units = { time: 'iso8601', interval: 'seconds', ...Object.fromEntries(current.map((v) => [v, currentUnits[v]])) }
    body.current = { time: localTime(slot), interval: 900, ...Object.fromEntries(current.map((v) => [v, currentValues[v]])) }
  }
  if (daily.length > 0) {
    body.daily_units = { time: 'iso8601', ...Object.fromEntries(daily.map((v) => [v, v === 'weather_code' ? 'wmo code' : TEMPERATURE_UNITS[tUnit]])) }
    body.daily = { time: dayList.map((d) => d.date), ...Object.fromEntries(daily.map((v) => [v, dailyValues[v]])) }
  }
  // [I] The spec gives no content type for FlatBuffers; the official client does not read it.
  if (format === 'flatbuffers') return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: forecastFlatbuffer(body) }
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from(JSON.stringify(body), 'utf8') }
}
