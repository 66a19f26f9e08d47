import { gunzipSync } from 'node:zlib'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SITES, TWC_TEST_KEY, startWeatherPeer, type WeatherPeer } from '../peers/weather/weather.peer'

/** The peer's strictness, asked with a plain HTTP client (no Fieldline code in between). */
const AFTERNOON_GRENOBLE = Date.parse('2026-03-10T15:30:00Z')
let clock = Date.parse('2026-03-10T09:00:00Z')

describe('weather peer', () => {
  let peer: WeatherPeer
  beforeAll(async () => {
    peer = await startWeatherPeer({ now: () => new Date(clock) })
  })
  afterAll(() => peer.close())

  async function get(path: string, query: Record<string, string>, headers: Record<string, string> = { 'accept-encoding': 'gzip' }) {
    const qs = new URLSearchParams(query).toString()
    const res = await request(`${peer.url}${path}${qs ? `?${qs}` : ''}`, { headers })
    const raw = Buffer.from(await res.body.arrayBuffer())
    const text = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8')
    return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> }
  }
  const twcQuery = { geocode: '45.19,5.72', units: 'm', language: 'en-US', format: 'json', apiKey: TWC_TEST_KEY }
  const OBS = '/v3/wx/observations/current'
  const FIVE = '/v3/wx/forecast/daily/5day'

  describe('TWC', () => {
    it('answers 401 with the CDN-0001 body for a missing or unknown key, gzip-compressed', async () => {
      for (const apiKey of [undefined, 'wrong']) {
        const q: Record<string, string> = { ...twcQuery }
        if (apiKey) q.apiKey = apiKey
        else delete q.apiKey
        const r = await get(OBS, q)
        expect(r.status).toBe(401)
        expect(r.headers['content-encoding']).toBe('gzip')
        expect(r.json()).toMatchObject({ success: false, errors: [{ error: { code: 'CDN-0001', message: 'Invalid apiKey.' } }], metadata: { transaction_id: expect.any(String) } })
      }
    })

    it('requires Accept-Encoding: gzip', async () => {
      const r = await get(OBS, twcQuery, {})
      expect(r.status).toBe(400)
      expect(r.headers['content-encoding']).toBeUndefined()
      expect(JSON.stringify(r.json())).toContain('Accept-Encoding: gzip is required')
    })

    it.each(['geocode', 'units', 'language', 'format'])('refuses a request without %s (all five parameters are required)', async (name) => {
      const q: Record<string, string> = { ...twcQuery }
      delete q[name]
      for (const path of [OBS, FIVE]) {
        const r = await get(path, q)
        expect(r.status).toBe(400)
        expect(JSON.stringify(r.json())).toContain(name)
      }
    })

    it('refuses bad values, unknown and repeated parameters', async () => {
      const bad: Record<string, string>[] = [{ units: 'x' }, { geocode: '91,0' }, { geocode: 'paris' }, { format: 'xml' }, { language: 'de-DE' }, { iataCode: 'GNB' }, { extra: '1' }]
      for (const q of bad) {
        expect((await get(OBS, { ...twcQuery, ...q })).status).toBe(400)
      }
      expect((await get(`${OBS}?apiKey=${TWC_TEST_KEY}&units=m`, { geocode: '1,1', language: 'en-US', format: 'json' })).status).toBe(400)
    })

    it('gives the documented fields, null gust in calm air and 999 visibility at the clear site', async () => {
      const calm = (await get(OBS, twcQuery)).json()
      expect(calm).toMatchObject({ windGust: null, windDirection: null, windSpeed: 0, validTimeUtc: expect.any(Number), expirationTimeUtc: expect.any(Number), wxPhraseLong: 'Sunny' })
      expect(Object.keys(calm).sort()).toEqual(
        [
          'expirationTimeUtc',
          'iconCode',
          'pressureAltimeter',
          'pressureMeanSeaLevel',
          'relativeHumidity',
          'temperature',
          'temperatureFeelsLike',
          'temperatureMax24Hour',
          'temperatureMin24Hour',
          'uvIndex',
          'validTimeUtc',
          'visibility',
          'windDirection',
          'windDirectionCardinal',
          'windGust',
          'windSpeed',
          'wxPhraseLong',
        ].sort(),
      )
      expect((await get(OBS, { ...twcQuery, geocode: `${SITES.clear.latitude},${SITES.clear.longitude}` })).json().visibility).toBe(999)
      expect((await get(OBS, { ...twcQuery, units: 'e', geocode: `${SITES.clear.latitude},${SITES.clear.longitude}` })).json().visibility).toBe(999)
    })

    it('nulls the day part high and day-part entries of today after 15:00 local time, never the calendar day', async () => {
      const before = (await get(FIVE, twcQuery)).json()
      expect((before.temperatureMax as unknown[])[0]).not.toBeNull()
      clock = AFTERNOON_GRENOBLE
      const after = (await get(FIVE, twcQuery)).json()
      expect((after.temperatureMax as unknown[])[0]).toBeNull()
      const part = (after.daypart as { wxPhraseLong: unknown[]; precipChance: unknown[] }[])[0]!
      expect([part.wxPhraseLong[0], part.precipChance[0]]).toEqual([null, null])
      expect(part.wxPhraseLong).toHaveLength(10)
      expect((after.calendarDayTemperatureMax as unknown[])[0]).toEqual(expect.any(Number))
      expect((after.dayOfWeek as unknown[]).length).toBe(5)
    })

    it('refuses a product the key is not licensed for', async () => {
      const limited = await startWeatherPeer({ twcKeys: { k1: ['observations/current'] } })
      try {
        const r = await request(`${limited.url}${FIVE}?geocode=1,1&units=m&language=en-US&format=json&apiKey=k1`, { headers: { 'accept-encoding': 'gzip' } })
        await r.body.dump()
        expect(r.statusCode).toBe(403)
      } finally {
        await limited.close()
      }
    })

    it('answers only GET, and an HTML 404 off its paths', async () => {
      const post = await request(`${peer.url}${OBS}`, { method: 'POST', body: '{}' })
      await post.body.dump()
      expect(post.statusCode).toBe(405)
      const nowhere = await get('/v2/whatever', {}, {})
      expect(nowhere.status).toBe(404)
      expect(nowhere.headers['content-type']).toContain('text/html')
    })
  })

  describe('Open-Meteo', () => {
    const omQuery = { latitude: '45.19', longitude: '5.72', current: 'temperature_2m,wind_speed_10m,visibility', daily: 'temperature_2m_max', timezone: 'auto', forecast_days: '1' }

    it('requires latitude and longitude, in range, and refuses unknown variables and parameters with {error, reason}', async () => {
      for (const q of [
        { latitude: undefined },
        { longitude: undefined },
        { latitude: '91' },
        { longitude: 'east' },
        { current: 'temperature_2m,bogus' },
        { daily: 'temperature_2m_max', timezone: undefined },
        { forecast_days: '17' },
        { wind_speed_unit: 'furlongs' },
        { unknown: '1' },
        { format: 'xml' },
        { format: 'csv' },
        { latitude: '45.19,48.39', longitude: '5.72,-4.49' },
      ]) {
        const merged = Object.fromEntries(Object.entries({ ...omQuery, ...q }).filter((e): e is [string, string] => e[1] !== undefined))
        const r = await get('/v1/forecast', merged)
        expect(r.status, JSON.stringify(q)).toBe(400)
        expect(r.json()).toEqual({ error: true, reason: expect.any(String) })
      }
    })

    it('snaps to the grid, states its units (mph as mp/h), and compresses only when asked', async () => {
      // 30.04° east: the peer's nautical time zone there is UTC+2.
      const r = await get('/v1/forecast', { ...omQuery, latitude: '45.19', longitude: '30.04', wind_speed_unit: 'mph' }, {})
      expect(r.headers['content-encoding']).toBeUndefined()
      expect(r.json()).toMatchObject({
        latitude: 45.2,
        longitude: 30,
        utc_offset_seconds: 7200,
        current_units: { time: 'iso8601', interval: 'seconds', temperature_2m: '°C', wind_speed_10m: 'mp/h', visibility: 'm' },
        current: { interval: 900 },
        daily_units: { temperature_2m_max: '°C' },
      })
      expect((await get('/v1/forecast', omQuery)).headers['content-encoding']).toBe('gzip')
    })

    it('refuses an apikey on the free host, and answers 429 past its daily limit', async () => {
      expect((await get('/v1/forecast', { ...omQuery, apikey: 'x' })).status).toBe(400)
      const limited = await startWeatherPeer({ openMeteoDailyLimit: 2 })
      try {
        const statuses: number[] = []
        for (let i = 0; i < 3; i++) {
          const r = await request(`${limited.url}/v1/forecast?latitude=1&longitude=1&current=temperature_2m`)
          statuses.push(r.statusCode)
          await r.body.dump()
        }
        expect(statuses).toEqual([200, 200, 429])
      } finally {
        await limited.close()
      }
    })
  })
})
