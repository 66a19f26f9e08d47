/**
 * Open-Meteo's official TypeScript client, `openmeteo` 1.2.3 (installed from npm, with the `@openmeteo/sdk` schema it
 * decodes with), drives the weather peer's `/v1/forecast`. The client always asks for `format=flatbuffers` and reads
 * the size-prefixed `WeatherApiResponse` messages of the answer; on a 400 or 429 it throws the JSON body's `reason`,
 * and it retries a 500, 502 or 504. Each case asserts the documented outcome, and that the FlatBuffers answer says
 * what the JSON answer to the same request says (read with a plain HTTP client): Fieldline's own client reads the
 * JSON one.
 *
 * Sources named in each case: "§4.2" = docs/wire/weather.md §4.2 (Open-Meteo: request, units, answer, errors, and its
 * FlatBuffers paragraph: the schema's fields); [I] = the peer's reading where the spec is silent.
 */
import { Aggregation } from '@openmeteo/sdk/aggregation'
import { Unit } from '@openmeteo/sdk/unit'
import { Variable } from '@openmeteo/sdk/variable'
import type { VariablesWithTime } from '@openmeteo/sdk/variables-with-time'
import { fetchWeatherApi } from 'openmeteo'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { conformanceSuite } from '../helpers/conformance'
import { SITES, startWeatherPeer, type WeatherPeer } from '../peers/weather/weather.peer'

const CURRENT = 'temperature_2m,relative_humidity_2m,weather_code,pressure_msl,wind_speed_10m,wind_direction_10m,wind_gusts_10m,visibility,apparent_temperature'
const NOW = Date.parse('2026-03-10T09:07:00Z')
const DAILY_LIMIT = 40

let peer: WeatherPeer
const url = () => `${peer.url}/v1/forecast`

/** The JSON answer to the same parameters, read without any client code in between. */
async function jsonAnswer(params: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await request(`${url()}?${new URLSearchParams(params).toString()}`)
  expect(res.statusCode).toBe(200)
  return (await res.body.json()) as Record<string, unknown>
}

/** The official client's first (only) answer. `retries` 3 and a short backoff, as the client's defaults but quicker. */
async function official(params: Record<string, string>) {
  const [answer, ...more] = await fetchWeatherApi(url(), params, 3, 0.05, 0.2)
  expect(more).toEqual([])
  return answer!
}

function variables(series: VariablesWithTime) {
  return Array.from({ length: series.variablesLength() }, (_, i) => series.variables(i)!)
}

describe('Open-Meteo: the official client against the weather peer', () => {
  const suite = conformanceSuite('Open-Meteo (openmeteo)')

  beforeAll(async () => {
    peer = await startWeatherPeer({ now: () => new Date(NOW), openMeteoDailyLimit: DAILY_LIMIT })
  })
  afterAll(() => peer.close())

  const point = { latitude: String(SITES.gale.latitude), longitude: String(SITES.gale.longitude) }

  suite.case('current conditions: each variable in the order asked, with its quantity, height and unit', '§4.2', async () => {
    const params = { ...point, current: CURRENT, timezone: 'auto' }
    const r = await official(params)
    const json = await jsonAnswer(params)
    const current = r.current()!
    const got = variables(current)
    const expected: [Variable, number, Unit][] = [
      [Variable.temperature, 2, Unit.celsius],
      [Variable.relative_humidity, 2, Unit.percentage],
      [Variable.weather_code, 0, Unit.wmo_code],
      [Variable.pressure_msl, 0, Unit.hectopascal],
      [Variable.wind_speed, 10, Unit.kilometres_per_hour],
      [Variable.wind_direction, 10, Unit.degree_direction],
      [Variable.wind_gusts, 10, Unit.kilometres_per_hour],
      [Variable.visibility, 0, Unit.metre],
      [Variable.apparent_temperature, 0, Unit.celsius],
    ]
    expect(got.map((v) => [v.variable(), v.altitude(), v.unit()])).toEqual(expected)
    const values = json.current as Record<string, number>
    CURRENT.split(',').forEach((name, i) => expect(got[i]!.value()).toBeCloseTo(values[name]!, 4))
  })

  suite.case('current time: the running quarter hour, in seconds since the epoch, local with utcOffsetSeconds', '§4.2', async () => {
    const params = { ...point, current: 'temperature_2m', timezone: 'auto' }
    const r = await official(params)
    const json = (await jsonAnswer(params)) as { current: { time: string; interval: number }; utc_offset_seconds: number }
    const current = r.current()!
    expect(current.interval()).toBe(900)
    expect(json.current.interval).toBe(900)
    expect(Number(current.time())).toBe(Math.floor(NOW / 900_000) * 900)
    expect(Number(current.timeEnd() - current.time())).toBe(900)
    expect(r.utcOffsetSeconds()).toBe(json.utc_offset_seconds)
    // The client's own README: local time = time + utcOffsetSeconds, which is the JSON answer's wall time.
    expect(new Date((Number(current.time()) + r.utcOffsetSeconds()) * 1000).toISOString().slice(0, 16)).toBe(json.current.time)
  })

  suite.case('the point snapped to the grid, its elevation and time zone', '§4.2', async () => {
    const params = { latitude: '48.3912', longitude: '-4.4861', current: 'temperature_2m', timezone: 'auto' }
    const r = await official(params)
    const json = (await jsonAnswer(params)) as { latitude: number; longitude: number; elevation: number; timezone: string; timezone_abbreviation: string }
    expect(r.latitude()).toBeCloseTo(json.latitude, 4)
    expect(r.longitude()).toBeCloseTo(json.longitude, 4)
    expect(r.elevation()).toBeCloseTo(json.elevation, 4)
    expect(r.timezone()).toBe(json.timezone)
    expect(r.timezoneAbbreviation()).toBe(json.timezone_abbreviation)
  })

  suite.case('units asked for: °F and mph (which JSON writes "mp/h"), and knots and m/s', '§4.2', async () => {
    for (const [wind, unit] of [
      ['mph', Unit.miles_per_hour],
      ['kn', Unit.knots],
      ['ms', Unit.metre_per_second],
    ] as const) {
      const params = { ...point, current: 'temperature_2m,wind_speed_10m', temperature_unit: 'fahrenheit', wind_speed_unit: wind }
      const got = variables((await official(params)).current()!)
      const json = (await jsonAnswer(params)) as { current: { temperature_2m: number; wind_speed_10m: number } }
      expect(got.map((v) => v.unit())).toEqual([Unit.fahrenheit, unit])
      expect(got[0]!.value()).toBeCloseTo(json.current.temperature_2m, 4)
      expect(got[1]!.value()).toBeCloseTo(json.current.wind_speed_10m, 4)
    }
  })

  suite.case('daily values: one per day from local midnight, the day aggregated as maximum or minimum', '§4.2', async () => {
    const params = { ...point, daily: 'temperature_2m_max,temperature_2m_min,weather_code', timezone: 'auto', forecast_days: '3' }
    const r = await official(params)
    const json = (await jsonAnswer(params)) as { daily: Record<string, number[]> & { time: string[] } }
    const daily = r.daily()!
    expect(daily.interval()).toBe(86_400)
    expect(Number(daily.timeEnd() - daily.time()) / 86_400).toBe(3)
    const days = Array.from({ length: 3 }, (_, i) => new Date((Number(daily.time()) + i * 86_400 + r.utcOffsetSeconds()) * 1000).toISOString().slice(0, 10))
    expect(days).toEqual(json.daily.time)
    const got = variables(daily)
    expect(got.map((v) => [v.variable(), v.aggregation()])).toEqual([
      [Variable.temperature, Aggregation.maximum],
      [Variable.temperature, Aggregation.minimum],
      [Variable.weather_code, Aggregation.none],
    ])
    ;['temperature_2m_max', 'temperature_2m_min', 'weather_code'].forEach((name, i) => {
      expect([...got[i]!.valuesArray()!].map((v) => Math.round(v * 10) / 10)).toEqual(json.daily[name])
    })
  })

  suite.case('current and daily in one request: both series, and no hourly one', '§4.2', async () => {
    const r = await official({ ...point, current: 'temperature_2m', daily: 'temperature_2m_max', timezone: 'auto', forecast_days: '1' })
    expect(r.current()!.variablesLength()).toBe(1)
    expect(r.daily()!.variablesLength()).toBe(1)
    expect(r.hourly()).toBeNull()
  })

  suite.case('a latitude out of range: 400, the reason thrown', '§4.2', async () => {
    await expect(official({ latitude: '91', longitude: '0', current: 'temperature_2m' })).rejects.toThrow('Latitude must be in range of -90 to 90°. Given: 91.')
  })

  suite.case('an unknown variable: 400, the reason thrown', '§4.2; [I] wording', async () => {
    await expect(official({ ...point, current: 'temperature_3m' })).rejects.toThrow('Cannot initialize variable from invalid String value temperature_3m for key current')
  })

  suite.case('daily values without a time zone: 400, the reason thrown', '§4.2; [I] (older documentation)', async () => {
    await expect(official({ ...point, daily: 'temperature_2m_max' })).rejects.toThrow('Timezone is required when daily variables are requested')
  })

  suite.case('an apikey on the free host: 400, the reason thrown', '§4.2 (commercial plans pass apikey); [I]', async () => {
    await expect(official({ ...point, current: 'temperature_2m', apikey: 'k' })).rejects.toThrow('apikey is only accepted by the commercial API host')
  })

  suite.case('several points in one request: refused, the peer models one point', '[I]', async () => {
    await expect(official({ latitude: '48.39,45.19', longitude: '-4.49,5.72', current: 'temperature_2m' })).rejects.toThrow('several locations in one request are not modelled by this peer')
  })

  suite.case('a 502 then an answer: the client retries and gets it', '§4.2; the client retries 500, 502, 504', async () => {
    peer.faults.set({ kind: 'status', status: 502, path: '/v1/forecast', times: 1 })
    const r = await official({ ...point, current: 'temperature_2m' })
    expect(r.current()!.variablesLength()).toBe(1)
    const last = peer.requests().slice(-2)
    expect(last.map((q) => q.status)).toEqual([502, 200])
    expect(last.every((q) => q.query.get('format') === 'flatbuffers')).toBe(true)
  })

  suite.case('over the free daily limit: 429, the reason thrown', '§4.2 (about 10,000 calls a day; here 40)', async () => {
    let refused: unknown = null
    for (let i = 0; i <= DAILY_LIMIT && refused === null; i++) await official({ ...point, current: 'temperature_2m' }).catch((e: unknown) => (refused = e))
    expect(String(refused)).toContain('Daily API request limit exceeded')
  })
})
