/**
 * The Weather Company Data API v3 (docs/wire/weather.md §4): current observations and the 5-day daily forecast for a
 * geocode. HTTPS only, `Accept-Encoding: gzip` required, and all of geocode, units, language, format and apiKey on
 * every call. TWC's answers carry no coordinates: the reading shows the point asked for.
 */
import { z } from 'zod'
import type { WeatherReading } from '../../../src-shared/models/weather'
import { TWC_UNIT_CODES } from '../../../src-shared/models/weather'
import type { HttpResponse } from '../http/http-client'
import { badResponse, issuesText, providerContext, providerError, unreachableError, type ProviderContext } from './weather-errors'
import { maxAgeExpiry, quantity, weatherHttpClient, type ReadOptions, type WeatherClient, type WeatherClientOptions, type WeatherPoint } from './weather-client'
import { UNIT_SETS } from './units'

const SERVICE = 'The Weather Company'
/** [I] TWC's terms ask for attribution with its data; the spec names no wording, so it names the source plainly. */
const ATTRIBUTION = { text: 'Weather data provided by The Weather Company', url: 'https://weather.com/' }
/** TWC's visibility for "unlimited", in every unit system. */
const UNLIMITED_VISIBILITY = 999
const LANGUAGES = { en: 'en-US', fr: 'fr-FR' } as const

const num = z.number().nullable()

/** The observation fields the reading uses; TWC sends many more, which are not read. */
const observationSchema = z.object({
  temperature: num,
  relativeHumidity: num,
  pressureAltimeter: num,
  visibility: num,
  windSpeed: num,
  windDirection: num,
  windDirectionCardinal: z.string().nullable(),
  windGust: num,
  wxPhraseLong: z.string().nullable(),
  validTimeUtc: z.number().int(),
  expirationTimeUtc: z.number().int(),
})

/**
 * Parallel arrays, index 0 = today at the location. After 15:00 local time `temperatureMax[0]` (the daytime high) is
 * null; `calendarDayTemperatureMax[0]` (midnight to midnight) never is, so the predicted max and min are read from the
 * calendar-day arrays (the spec's field mapping), and the day-part arrays not at all.
 */
const forecastSchema = z.object({
  calendarDayTemperatureMax: z.array(num).min(1),
  calendarDayTemperatureMin: z.array(num).min(1),
})

/** TWC's geocode: "lat,lon" in decimal degrees; four decimals (about 11 m) is finer than any weather grid. */
function geocode(point: WeatherPoint): string {
  return `${Number(point.latitude.toFixed(4))},${Number(point.longitude.toFixed(4))}`
}

export function createTwcClient(options: WeatherClientOptions & { apiKey: string }): WeatherClient {
  const http = weatherHttpClient(options, SERVICE)
  const now = options.now ?? (() => new Date())
  const ctx: ProviderContext = { ...providerContext(SERVICE, options), secret: options.apiKey }

  async function get<S extends z.ZodType>(path: string, query: Record<string, string>, schema: S): Promise<{ value: z.output<S>; res: HttpResponse }> {
    const res = await http.request({ method: 'GET', path, query: { ...query, apiKey: options.apiKey }, headers: { accept: 'application/json', 'accept-encoding': 'gzip' } }).catch((e: unknown) => {
      throw unreachableError(e, ctx)
    })
    if (res.status !== 200) throw providerError(res, ctx)
    const body = res.tryJson()
    if (body === undefined) throw badResponse(ctx, `${path}: not JSON (${res.mimeType || 'no content type'})`)
    const parsed = schema.safeParse(body)
    if (!parsed.success) throw badResponse(ctx, `${path}: ${issuesText(parsed.error)}`)
    return { value: parsed.data, res }
  }

  return {
    provider: 'twc',

    async read(point: WeatherPoint, { units, language }: ReadOptions): Promise<WeatherReading> {
      const query = { geocode: geocode(point), units: TWC_UNIT_CODES[units], language: LANGUAGES[language], format: 'json' }
      const [obs, forecast] = await Promise.all([get('/v3/wx/observations/current', query, observationSchema), get('/v3/wx/forecast/daily/5day', query, forecastSchema)])
      const fetchedAt = now().getTime()
      const o = obs.value
      const set = UNIT_SETS[units]
      const expiries = [o.expirationTimeUtc * 1000, maxAgeExpiry(obs.res.headers['cache-control'], fetchedAt), maxAgeExpiry(forecast.res.headers['cache-control'], fetchedAt)].filter(
        (t): t is number => t !== null,
      )
      const unlimited = o.visibility === UNLIMITED_VISIBILITY
      return {
        provider: 'twc',
        units,
        language,
        phrase: o.wxPhraseLong,
        weatherCode: null,
        temperature: quantity(o.temperature, set.temperature),
        predictedMax: quantity(forecast.value.calendarDayTemperatureMax[0] ?? null, set.temperature),
        predictedMin: quantity(forecast.value.calendarDayTemperatureMin[0] ?? null, set.temperature),
        relativeHumidity: quantity(o.relativeHumidity, '%'),
        pressure: quantity(o.pressureAltimeter, set.pressure),
        visibility: { ...quantity(unlimited ? null : o.visibility, set.distance), unlimited },
        wind: {
          speed: quantity(o.windSpeed, set.speed),
          gust: quantity(o.windGust, set.speed),
          direction: o.windDirection,
          cardinal: o.windDirectionCardinal,
        },
        requested: { latitude: point.latitude, longitude: point.longitude },
        grid: null,
        observedAt: new Date(o.validTimeUtc * 1000).toISOString(),
        fetchedAt: new Date(fetchedAt).toISOString(),
        expiresAt: new Date(Math.max(fetchedAt, Math.min(...expiries))).toISOString(),
        attribution: ATTRIBUTION,
      }
    },

    close: () => http.close(),
  }
}
