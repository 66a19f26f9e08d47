/**
 * The Weather Company Data API v3 as the peer serves it (docs/wire/weather.md §4): current observations and the
 * 5-day daily forecast, written from the spec, not from Fieldline's client.
 *
 * Order of checks: the key (401 with the CDN-0001 body for a missing or unknown key), the key's licence for the
 * product, `Accept-Encoding: gzip` (required), then the five required parameters and their values.
 */
import { randomBytes } from 'node:crypto'
import type { PeerResponse } from '../control-center/wire-format'
import { TWC_PHRASES, conditionsAt, forecast, localHour, utcOffsetSeconds, type Point } from './sky'

export const TWC_PRODUCTS = ['observations/current', 'forecast/daily/5day'] as const
export type TwcProduct = (typeof TWC_PRODUCTS)[number]

export interface TwcState {
  now(): number
  /** API keys and the products each is licensed for. */
  keys: ReadonlyMap<string, ReadonlySet<TwcProduct>>
}

const REQUIRED = ['geocode', 'units', 'language', 'format', 'apiKey'] as const
/** [I] The spec names these as alternatives to geocode; the peer models geocode only and says so rather than guess. */
const OTHER_LOCATIONS = ['iataCode', 'icaoCode', 'postalKey']
/** [I] Languages the peer phrases in. TWC serves many more; the peer refuses those instead of answering in the wrong one. */
const LANGUAGES = { 'en-US': 'en', 'fr-FR': 'fr' } as const
const DAYS = 5

function json(status: number, value: unknown, headers: Record<string, string> = {}): PeerResponse {
  return { status, headers: { 'content-type': 'application/json; charset=UTF-8', ...headers }, body: Buffer.from(JSON.stringify(value), 'utf8') }
}

/** TWC's error envelope; the CDN-0001 body is the spec's own example (S14). */
export function twcError(status: number, code: string, message: string): PeerResponse {
  return json(status, { metadata: { transaction_id: `${Date.now()}:${randomBytes(4).readUInt32BE()}` }, success: false, errors: [{ error: { code, message } }] })
}

export const INVALID_KEY = (): PeerResponse => twcError(401, 'CDN-0001', 'Invalid apiKey.')

/** [I] The spec quotes "Access Denied" for a product the key is not licensed for, and gives no status or body. */
function accessDenied(): PeerResponse {
  const html = '<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n</BODY>\n</HTML>\n'
  return { status: 403, headers: { 'content-type': 'text/html' }, body: Buffer.from(html, 'utf8') }
}

/** [I] TWC's code for a bad parameter is not in the spec: the peer's own code says it is the peer speaking. */
const badParameter = (message: string): PeerResponse => twcError(400, 'PEER-0400', message)

const DECIMAL = /^[+-]?\d{1,3}(?:\.\d+)?$/

function parseGeocode(text: string): Point | null {
  const parts = text.split(',')
  if (parts.length !== 2 || !parts.every((p) => DECIMAL.test(p))) return null
  const [latitude, longitude] = parts.map(Number) as [number, number]
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null
  return { latitude, longitude }
}

/** Units per system: e = °F, mph, inHg, miles; m = °C, km/h, mb, km; h = °C, mph (and [I] mb, miles); s = °C, m/s (and [I] mb, km). */
function render(units: string) {
  const imperialTemp = units === 'e'
  const speed = units === 'e' || units === 'h' ? (k: number) => k / 1.609344 : units === 's' ? (k: number) => k / 3.6 : (k: number) => k
  return {
    temp: (c: number) => Math.round(imperialTemp ? (c * 9) / 5 + 32 : c),
    speed: (k: number) => Math.round(speed(k)),
    pressure: (h: number) => (units === 'e' ? Math.round((h / 33.8638866667) * 100) / 100 : Math.round(h * 10) / 10),
    distance: (km: number) => Math.round((units === 'e' || units === 'h' ? km / 1.609344 : km) * 100) / 100,
  }
}

const COMPASS = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW']
const COMPASS_FR = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSO', 'SO', 'OSO', 'O', 'ONO', 'NO', 'NNO']
const WEEKDAYS = { en: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'], fr: ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'] }

function observation(point: Point, units: string, language: 'en' | 'fr', now: number): PeerResponse {
  const c = conditionsAt(point, now)
  const r = render(units)
  // [I] Observations are issued every ten minutes and expire when the next one is due.
  const validTimeUtc = Math.floor(now / 600_000) * 600
  const expirationTimeUtc = validTimeUtc + 600
  const calm = c.directionDeg === null
  return json(
    200,
    {
      temperature: r.temp(c.temperatureC),
      temperatureMax24Hour: r.temp(c.temperatureC + 4),
      temperatureMin24Hour: r.temp(c.temperatureC - 5),
      temperatureFeelsLike: r.temp(c.feelsLikeC),
      relativeHumidity: c.humidity,
      pressureAltimeter: r.pressure(c.pressureHpa),
      pressureMeanSeaLevel: Math.round(c.pressureHpa * 10) / 10,
      visibility: c.visibilityKm === 'unlimited' ? 999 : r.distance(c.visibilityKm),
      windSpeed: r.speed(c.windKmh),
      windDirection: c.directionDeg,
      // [I] The spec does not say what TWC writes for a calm wind; the peer writes CALM, in every language.
      windDirectionCardinal: calm ? 'CALM' : (language === 'fr' ? COMPASS_FR : COMPASS)[Math.round(c.directionDeg! / 22.5) % 16],
      windGust: c.gustKmh === null ? null : r.speed(c.gustKmh),
      wxPhraseLong: TWC_PHRASES[c.wmo]![language],
      // [I] TWC's icon codes run 0–47; the peer uses 32 (sunny) and 26 (cloudy) only.
      iconCode: c.wmo === 0 ? 32 : 26,
      uvIndex: c.uvIndex,
      validTimeUtc,
      expirationTimeUtc,
    },
    { 'cache-control': `max-age=${Math.max(0, expirationTimeUtc - Math.floor(now / 1000))}` },
  )
}

function fiveDay(point: Point, units: string, language: 'en' | 'fr', now: number): PeerResponse {
  const r = render(units)
  const days = forecast(point, now, DAYS)
  // After 15:00 local time the day part of today is over: its high and its day-part entries are null.
  const afternoon = localHour(point, now) >= 15
  const offset = utcOffsetSeconds(point)
  const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 3600)).padStart(2, '0')}00`
  const dayPart = <T>(day: (d: (typeof days)[number]) => T, night: (d: (typeof days)[number]) => T): (T | null)[] => days.flatMap((d, i) => [i === 0 && afternoon ? null : day(d), night(d)])
  return json(
    200,
    {
      dayOfWeek: days.map((d) => WEEKDAYS[language][new Date(`${d.date}T12:00:00Z`).getUTCDay()]),
      validTimeLocal: days.map((d) => `${d.date}T07:00:00${zone}`),
      calendarDayTemperatureMax: days.map((d) => r.temp(d.calendarMaxC)),
      calendarDayTemperatureMin: days.map((d) => r.temp(d.calendarMinC)),
      temperatureMax: days.map((d, i) => (i === 0 && afternoon ? null : r.temp(d.daytimeMaxC))),
      temperatureMin: days.map((d) => r.temp(d.nightMinC)),
      narrative: days.map((d) => TWC_PHRASES[d.wmo]![language]),
      daypart: [
        {
          wxPhraseLong: dayPart(
            (d) => TWC_PHRASES[d.wmo]![language],
            (d) => TWC_PHRASES[d.wmo]![language],
          ),
          precipChance: dayPart(
            (d) => d.precipChanceDay,
            (d) => d.precipChanceNight,
          ),
        },
      ],
    },
    // [I] The spec says to honour max-age without giving the forecast's; the peer gives half an hour.
    { 'cache-control': 'max-age=1800' },
  )
}

export function twcAnswer(product: TwcProduct, query: URLSearchParams, acceptEncoding: string, state: TwcState): PeerResponse {
  const key = query.get('apiKey')
  const licensed = key === null ? undefined : state.keys.get(key)
  if (!licensed) return INVALID_KEY()
  if (!licensed.has(product)) return accessDenied()
  if (!/(^|,)\s*gzip\s*(;|,|$)/i.test(acceptEncoding)) {
    // [I] The usage guide makes Accept-Encoding: gzip required and gives no answer for a request without it.
    return badParameter('Accept-Encoding: gzip is required')
  }
  for (const name of new Set(query.keys())) {
    if (query.getAll(name).length > 1) return badParameter(`${name} is given more than once`)
    if (OTHER_LOCATIONS.includes(name)) return badParameter(`${name} is not served by this peer; use geocode`)
    // [I] The spec lists no optional parameter for these two products.
    if (!(REQUIRED as readonly string[]).includes(name)) return badParameter(`unknown parameter ${name}`)
  }
  const missing = REQUIRED.filter((name) => !query.get(name))
  if (missing.length > 0) return badParameter(`missing required parameter(s): ${missing.join(', ')}`)
  const point = parseGeocode(query.get('geocode')!)
  if (!point) return badParameter('geocode must be latitude,longitude in decimal degrees')
  const units = query.get('units')!
  if (!['e', 'm', 'h', 's'].includes(units)) return badParameter('units must be e, m, h or s')
  const language = LANGUAGES[query.get('language') as keyof typeof LANGUAGES]
  if (!language) return badParameter('language is not served by this peer (en-US, fr-FR)')
  if (query.get('format') !== 'json') return badParameter('format must be json')
  const now = state.now()
  return product === 'observations/current' ? observation(point, units, language, now) : fiveDay(point, units, language, now)
}
