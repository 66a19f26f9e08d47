/**
 * Open-Meteo's forecast API (docs/wire/weather.md §4, open-meteo openapi/forecast.yml): `GET /v1/forecast` with the
 * current conditions and today's extremes in one call. The answer is snapped to the model's grid (its own latitude,
 * longitude and elevation), states its units per variable (mph comes back as "mp/h"), and reports the weather as a
 * WMO code that Fieldline phrases itself. The free API needs no key and is for non-commercial use; a commercial plan
 * passes `apikey` (to its own host, customer-api.open-meteo.com).
 */
import { z } from 'zod'
import type { WeatherProvider, WeatherReading } from '../../../src-shared/models/weather'
import { cardinal, wmoPhrase } from '../../../src-shared/models/wmo-codes'
import { badResponse, issuesText, providerContext, providerError, unreachableError, type ProviderContext } from './weather-errors'
import { quantity, weatherHttpClient, type ReadOptions, type WeatherClient, type WeatherClientOptions, type WeatherPoint } from './weather-client'
import { UNIT_SETS, convert, dimensionOf, openMeteoUnit, type Unit } from './units'

const SERVICE = 'Open-Meteo'
/** Open-Meteo's data is CC BY 4.0: the credit and a link go with it. */
const ATTRIBUTION = { text: 'Weather data by Open-Meteo.com (CC BY 4.0)', url: 'https://open-meteo.com/' }

/** `visibility` is an hourly variable; any hourly variable may be asked for in `current` (docs/wire/weather.md §4). */
const CURRENT = ['temperature_2m', 'relative_humidity_2m', 'weather_code', 'pressure_msl', 'wind_speed_10m', 'wind_direction_10m', 'wind_gusts_10m', 'visibility'] as const
const DAILY = ['temperature_2m_max', 'temperature_2m_min'] as const

const WIND_PARAM: Record<string, string> = { 'km/h': 'kmh', mph: 'mph', 'm/s': 'ms' }

const value = z.number().nullable()
const unitsSchema = z.record(z.string(), z.string())

const forecastSchema = z.object({
  latitude: z.number(),
  longitude: z.number(),
  elevation: z.number().nullable().optional(),
  utc_offset_seconds: z.number().int(),
  current: z.object({
    time: z.string(),
    interval: z.number().int().positive(),
    temperature_2m: value,
    relative_humidity_2m: value,
    weather_code: value,
    pressure_msl: value,
    wind_speed_10m: value,
    wind_direction_10m: value,
    wind_gusts_10m: value,
    visibility: value,
  }),
  current_units: unitsSchema,
  daily: z.object({ time: z.array(z.string()).min(1), temperature_2m_max: z.array(value).min(1), temperature_2m_min: z.array(value).min(1) }),
  daily_units: unitsSchema,
})
type Forecast = z.infer<typeof forecastSchema>

/** `current.time` is local wall time at the location ("2026-03-01T14:15", timezone=auto); `utc_offset_seconds` places it. */
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/

function instant(local: string, offsetSeconds: number): number | null {
  const m = LOCAL_TIME.exec(local)
  if (!m) return null
  const [, y, mo, d, h, mi, s] = m
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0))
  return Number.isNaN(wall) ? null : wall - offsetSeconds * 1000
}

export function createOpenMeteoClient(options: WeatherClientOptions & { provider: Extract<WeatherProvider, 'open-meteo' | 'open-meteo-commercial'> }): WeatherClient {
  const http = weatherHttpClient(options, SERVICE)
  const now = options.now ?? (() => new Date())
  const ctx: ProviderContext = { ...providerContext(SERVICE, options), ...(options.apiKey ? { secret: options.apiKey } : {}) }

  /** A stated unit, converted to `target`; a unit the response states that Fieldline does not know is refused, never guessed. */
  function converted(raw: number | null, units: Record<string, string>, variable: string, target: Unit): number | null {
    const stated = units[variable]
    const unit = stated === undefined ? null : openMeteoUnit(stated)
    if (unit === null || dimensionOf(unit) !== dimensionOf(target)) {
      throw badResponse(ctx, `${variable} in ${stated === undefined ? 'no stated unit' : JSON.stringify(stated.slice(0, 20))}`)
    }
    return raw === null ? null : convert(raw, unit, target)
  }

  return {
    provider: options.provider,

    async read(point: WeatherPoint, { units, language }: ReadOptions): Promise<WeatherReading> {
      const set = UNIT_SETS[units]
      const res = await http
        .request({
          method: 'GET',
          path: '/v1/forecast',
          query: {
            latitude: point.latitude,
            longitude: point.longitude,
            current: CURRENT.join(','),
            daily: DAILY.join(','),
            timezone: 'auto',
            forecast_days: 1,
            temperature_unit: set.temperature === '°F' ? 'fahrenheit' : 'celsius',
            wind_speed_unit: WIND_PARAM[set.speed],
            ...(options.apiKey ? { apikey: options.apiKey } : {}),
          },
          headers: { accept: 'application/json', 'accept-encoding': 'gzip' },
        })
        .catch((e: unknown) => {
          throw unreachableError(e, ctx)
        })
      if (res.status !== 200) throw providerError(res, ctx)
      const body = res.tryJson()
      if (body === undefined) throw badResponse(ctx, `not JSON (${res.mimeType || 'no content type'})`)
      const parsed = forecastSchema.safeParse(body)
      if (!parsed.success) throw badResponse(ctx, issuesText(parsed.error))
      const f: Forecast = parsed.data
      const c = f.current
      const cu = f.current_units
      const observedAt = instant(f.current.time, f.utc_offset_seconds)
      if (observedAt === null) throw badResponse(ctx, `current.time ${JSON.stringify(f.current.time.slice(0, 40))}`)
      const fetchedAt = now().getTime()
      const code = c.weather_code
      const direction = converted(c.wind_direction_10m, cu, 'wind_direction_10m', '°')
      return {
        provider: options.provider,
        units,
        language,
        phrase: code === null ? null : (wmoPhrase(code, language) ?? `WMO ${code}`),
        weatherCode: code === null ? null : Math.round(code),
        temperature: quantity(converted(c.temperature_2m, cu, 'temperature_2m', set.temperature), set.temperature),
        predictedMax: quantity(converted(f.daily.temperature_2m_max[0] ?? null, f.daily_units, 'temperature_2m_max', set.temperature), set.temperature),
        predictedMin: quantity(converted(f.daily.temperature_2m_min[0] ?? null, f.daily_units, 'temperature_2m_min', set.temperature), set.temperature),
        relativeHumidity: quantity(converted(c.relative_humidity_2m, cu, 'relative_humidity_2m', '%'), '%'),
        pressure: quantity(converted(c.pressure_msl, cu, 'pressure_msl', set.pressure), set.pressure),
        visibility: { ...quantity(converted(c.visibility, cu, 'visibility', set.distance), set.distance), unlimited: false },
        wind: {
          speed: quantity(converted(c.wind_speed_10m, cu, 'wind_speed_10m', set.speed), set.speed),
          gust: quantity(converted(c.wind_gusts_10m, cu, 'wind_gusts_10m', set.speed), set.speed),
          direction,
          cardinal: direction === null ? null : cardinal(direction, language),
        },
        requested: { latitude: point.latitude, longitude: point.longitude },
        grid: { latitude: f.latitude, longitude: f.longitude, elevation: f.elevation ?? null },
        observedAt: new Date(observedAt).toISOString(),
        fetchedAt: new Date(fetchedAt).toISOString(),
        // [I] Open-Meteo sends no expiry: its current values hold for `interval` seconds from `time`.
        expiresAt: new Date(Math.max(fetchedAt, observedAt + f.current.interval * 1000)).toISOString(),
        attribution: ATTRIBUTION,
      }
    },

    close: () => http.close(),
  }
}
