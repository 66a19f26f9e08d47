import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { WeatherUnits } from '../../src-shared/models/weather'
import { createOpenMeteoClient } from '../../src-main/core/weather/open-meteo.client'
import { createTwcClient } from '../../src-main/core/weather/twc.client'
import type { WeatherClient } from '../../src-main/core/weather/weather-client'
import { convert } from '../../src-main/core/weather/units'
import { unreachableError } from '../../src-main/core/weather/weather-errors'
import { AppError } from '../../src-main/core/common/errors'
import { rejection } from '../helpers/core'
import { selfSignedCert } from '../helpers/mosquitto'
import { missingService } from '../helpers/system'
import { startWireCapture } from '../helpers/wire-capture'
import { SITES, TWC_TEST_KEY, startWeatherPeer, type WeatherPeer } from '../peers/weather/weather.peer'
import { freePort } from '../helpers/ports'

/** Grenoble is in the peer's nautical zone UTC+0 (sky.ts): 10:00 there is before the afternoon, 16:00 after 15:00. */
const MORNING = Date.parse('2026-03-10T10:00:00Z')
const AFTERNOON = Date.parse('2026-03-10T16:00:00Z')
let clock = MORNING
const now = () => new Date(clock)
const EN = { units: 'metric' as WeatherUnits, language: 'en' as const }

describe('weather clients against the weather peer', () => {
  let peer: WeatherPeer
  const clients: WeatherClient[] = []
  const twc = (apiKey = TWC_TEST_KEY, extra: Partial<Parameters<typeof createTwcClient>[0]> = {}) => track(createTwcClient({ baseUrl: peer.url, apiKey, now, ...extra }))
  const openMeteo = (extra: Partial<Parameters<typeof createOpenMeteoClient>[0]> = {}) => track(createOpenMeteoClient({ baseUrl: peer.url, provider: 'open-meteo', now, ...extra }))
  function track<C extends WeatherClient>(c: C): C {
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    peer = await startWeatherPeer({ now, twcKeys: { [TWC_TEST_KEY]: ['observations/current', 'forecast/daily/5day'], 'observations-only': ['observations/current'] } })
  })
  afterEach(() => {
    peer.faults.clear()
    clock = MORNING
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()))
    await peer.close()
  })

  describe('The Weather Company v3', () => {
    it('reads observations and the 5-day forecast with every required parameter, asking for gzip', async () => {
      const before = peer.requests().length
      const r = await twc().read(SITES.gale, EN)
      const sent = peer.requests().slice(before)
      expect(sent.map((q) => q.path).sort()).toEqual(['/v3/wx/forecast/daily/5day', '/v3/wx/observations/current'])
      for (const q of sent) {
        expect(Object.fromEntries(q.query)).toEqual({ geocode: '48.39,-4.49', units: 'm', language: 'en-US', format: 'json', apiKey: TWC_TEST_KEY })
        expect(q).toMatchObject({ gzipped: true, status: 200 })
      }
      expect(r).toMatchObject({
        provider: 'twc',
        phrase: 'Rain',
        weatherCode: null,
        temperature: { unit: '°C' },
        pressure: { unit: 'hPa' },
        wind: { speed: { value: 72, unit: 'km/h' }, gust: { value: 109, unit: 'km/h' }, direction: 247, cardinal: 'WSW' },
        requested: SITES.gale,
        grid: null,
        attribution: { text: expect.stringContaining('The Weather Company') },
      })
      // TWC's observation expires ten minutes after it was valid: the reading says so, and not later.
      expect(Date.parse(r.expiresAt)).toBe(Math.floor(MORNING / 600_000) * 600_000 + 600_000)
      expect(r.observedAt).toBe(new Date(Math.floor(MORNING / 600_000) * 600_000).toISOString())
    })

    it('gives a calm wind no gust and no direction (null windGust), and 999 visibility as unlimited', async () => {
      const calm = await twc().read(SITES.calm, EN)
      expect(calm.wind).toEqual({ speed: { value: 0, unit: 'km/h' }, gust: { value: null, unit: 'km/h' }, direction: null, cardinal: 'CALM' })
      const clear = await twc().read(SITES.clear, EN)
      expect(clear.visibility).toEqual({ value: null, unit: 'km', unlimited: true })
      expect(calm.visibility.unlimited).toBe(false)
    })

    it('after 15:00 local time, when the day part high is null, still gives the predicted max (the calendar day)', async () => {
      const morning = await twc().read(SITES.calm, EN)
      clock = AFTERNOON
      const raw = await fetchForecast(SITES.calm)
      expect(raw.temperatureMax[0]).toBeNull()
      expect((raw.daypart[0] as { wxPhraseLong: unknown[] }).wxPhraseLong[0]).toBeNull()
      const afternoon = await twc().read(SITES.calm, EN)
      expect(afternoon.predictedMax).toEqual({ value: raw.calendarDayTemperatureMax[0], unit: '°C' })
      expect(afternoon.predictedMin).toEqual({ value: raw.calendarDayTemperatureMin[0], unit: '°C' })
      // Same day, same calendar-day extremes before and after the day part ended.
      expect(afternoon.predictedMax).toEqual(morning.predictedMax)
    })

    it.each([
      ['imperial', 'e', { temperature: '°F', speed: 'mph', pressure: 'inHg', distance: 'mi' }],
      ['hybrid', 'h', { temperature: '°C', speed: 'mph', pressure: 'hPa', distance: 'mi' }],
      ['si', 's', { temperature: '°C', speed: 'm/s', pressure: 'hPa', distance: 'km' }],
    ] as const)('asks TWC for %s units (units=%s) and labels every value with its unit', async (units, code, expected) => {
      const before = peer.requests().length
      const r = await twc().read(SITES.gale, { units, language: 'en' })
      expect(
        peer
          .requests()
          .slice(before)
          .every((q) => q.query.get('units') === code),
      ).toBe(true)
      expect([r.temperature.unit, r.wind.speed.unit, r.pressure.unit, r.visibility.unit]).toEqual([expected.temperature, expected.speed, expected.pressure, expected.distance])
      const metric = await twc().read(SITES.gale, EN)
      // TWC rounds to whole degrees and whole speed units, so the two systems agree within that rounding.
      expect(Math.abs(convert(r.temperature.value!, r.temperature.unit, '°C') - metric.temperature.value!)).toBeLessThanOrEqual(1)
      expect(Math.abs(convert(r.wind.speed.value!, r.wind.speed.unit, 'km/h') - metric.wind.speed.value!)).toBeLessThanOrEqual(2)
    })

    it("phrases in French when asked (TWC's own text and compass)", async () => {
      const before = peer.requests().length
      const r = await twc().read(SITES.gale, { units: 'metric', language: 'fr' })
      expect(peer.requests()[before]!.query.get('language')).toBe('fr-FR')
      expect(r).toMatchObject({ phrase: 'Pluie', wind: { cardinal: 'OSO' }, language: 'fr' })
    })

    it('maps a bad key to AUTH_FAILED with CDN-0001, and never quotes the key', async () => {
      const e = await rejection(twc('not-a-key-123456').read(SITES.gale, EN))
      expect(e).toMatchObject({ code: 'AUTH_FAILED', details: { ref: { key: 'weather.authFailed' }, carrierCode: 'CDN-0001', carrierMessage: 'Invalid apiKey.' } })
      expect(e.message).toContain('check the key in Extensions → Weather → Configure')
      expect(JSON.stringify(e.toInfo())).not.toContain('not-a-key-123456')
    })

    it('maps a key not licensed for the forecast to FORBIDDEN, saying where the key is to be checked', async () => {
      const e = await rejection(twc('observations-only').read(SITES.gale, EN))
      expect(e).toMatchObject({ code: 'FORBIDDEN', details: { ref: { key: 'weather.forbidden', params: { service: 'The Weather Company' } }, carrierMessage: 'Access Denied' } })
      expect(e.message).toContain('check the key in Extensions → Weather → Configure')
      // A key the environment gave is not in the Weather card: the refusal names the variable.
      const env = await rejection(twc('observations-only', { keyVariable: 'FIELDLINE_WEATHER_API_KEY' }).read(SITES.gale, EN))
      expect(env).toMatchObject({ code: 'FORBIDDEN', details: { ref: { key: 'weather.envForbidden', params: { name: 'FIELDLINE_WEATHER_API_KEY' } } } })
      expect(env.message).toContain('check FIELDLINE_WEATHER_API_KEY')
    })

    it('maps 429 (after its one retry) to RATE_LIMITED, and 503 to CARRIER unavailable', async () => {
      peer.faults.set({ kind: 'status', status: 429, path: '/v3/wx/observations/current' })
      expect(await rejection(twc().read(SITES.gale, EN))).toMatchObject({ code: 'RATE_LIMITED', details: { ref: { key: 'weather.rateLimitedSaid', params: { said: 'Too many requests.' } } } })
      peer.faults.clear()
      peer.faults.set({ kind: 'status', status: 503, path: '/v3/wx/forecast/daily/5day' })
      expect(await rejection(twc().read(SITES.gale, EN))).toMatchObject({ code: 'CARRIER', details: { ref: { key: 'weather.unavailable' } } })
    })

    it('maps a body that is not the documented JSON to CARRIER badResponse, and an HTML page to NOT_FOUND', async () => {
      peer.faults.set({ kind: 'malformed', path: '/v3/wx/observations/current', times: 1 })
      expect(await rejection(twc().read(SITES.gale, EN))).toMatchObject({ code: 'CARRIER', details: { ref: { key: 'weather.badResponse' } } })
      peer.faults.set({ kind: 'html', status: 404, times: 2 })
      expect(await rejection(twc().read(SITES.gale, EN))).toMatchObject({ code: 'NOT_FOUND', details: { ref: { key: 'weather.notWeatherApi' } } })
    })

    it("keeps a 404 in TWC's own error envelope as TWC's answer: the URL did reach the API", async () => {
      peer.faults.set({ kind: 'status', status: 404, path: '/v3/wx/observations/current' })
      expect(await rejection(twc().read(SITES.gale, EN))).toMatchObject({ code: 'CARRIER', details: { ref: { key: 'weather.failed', params: { status: 404 } }, carrierCode: 'PEER-0404' } })
    })
  })

  describe('Open-Meteo', () => {
    it('asks for the current variables and today, reads the grid point and the units it states', async () => {
      const before = peer.requests().length
      const point = { latitude: 48.3912, longitude: -4.4861 }
      const r = await openMeteo().read(point, EN)
      const q = peer.requests()[before]!
      expect(Object.fromEntries(q.query)).toMatchObject({
        latitude: '48.3912',
        longitude: '-4.4861',
        current: 'temperature_2m,relative_humidity_2m,weather_code,pressure_msl,wind_speed_10m,wind_direction_10m,wind_gusts_10m,visibility',
        daily: 'temperature_2m_max,temperature_2m_min',
        timezone: 'auto',
        forecast_days: '1',
        temperature_unit: 'celsius',
        wind_speed_unit: 'kmh',
      })
      expect(q.query.has('apikey')).toBe(false)
      expect(r).toMatchObject({
        provider: 'open-meteo',
        weatherCode: 63,
        phrase: 'Moderate rain',
        requested: point,
        grid: { latitude: 48.4, longitude: -4.5, elevation: 484 },
        wind: { speed: { value: 72.4, unit: 'km/h' }, gust: { value: 109.4, unit: 'km/h' }, direction: 247, cardinal: 'WSW' },
        visibility: { unit: 'km', unlimited: false },
        pressure: { unit: 'hPa' },
        attribution: { text: 'Weather data by Open-Meteo.com (CC BY 4.0)', url: 'https://open-meteo.com/' },
      })
      // Current values hold for their 15-minute interval.
      expect(Date.parse(r.expiresAt) - Date.parse(r.observedAt)).toBe(900_000)
      expect(Date.parse(r.observedAt)).toBe(Math.floor(MORNING / 900_000) * 900_000)
    })

    it('converts what Open-Meteo does not: metres of visibility to km or miles, hPa to inHg for imperial', async () => {
      const metric = await openMeteo().read(SITES.gale, EN)
      const imperial = await openMeteo().read(SITES.gale, { units: 'imperial', language: 'en' })
      const q = peer.requests().at(-1)!
      expect([q.query.get('temperature_unit'), q.query.get('wind_speed_unit')]).toEqual(['fahrenheit', 'mph'])
      expect(imperial.wind.speed.unit).toBe('mph')
      expect(imperial.visibility.unit).toBe('mi')
      expect(imperial.pressure.unit).toBe('inHg')
      expect(imperial.visibility.value).toBeCloseTo(convert(metric.visibility.value!, 'km', 'mi'), 1)
      expect(imperial.pressure.value).toBeCloseTo(convert(metric.pressure.value!, 'hPa', 'inHg'), 2)
      expect(imperial.temperature.value).toBeCloseTo(convert(metric.temperature.value!, '°C', '°F'), 0)
      const si = await openMeteo().read(SITES.gale, { units: 'si', language: 'en' })
      expect(peer.requests().at(-1)!.query.get('wind_speed_unit')).toBe('ms')
      expect(si.wind.speed).toEqual({ value: 20.1, unit: 'm/s' })
    })

    it('phrases the WMO code and the compass point in French', async () => {
      const r = await openMeteo().read(SITES.gale, { units: 'metric', language: 'fr' })
      expect(r).toMatchObject({ phrase: 'Pluie modérée', wind: { cardinal: 'OSO' } })
    })

    it('sends the commercial key to the commercial host, and maps its refusal to AUTH_FAILED', async () => {
      const commercial = await startWeatherPeer({ now, openMeteoCommercialKeys: ['om-commercial-1'] })
      try {
        const ok = track(createOpenMeteoClient({ baseUrl: commercial.url, provider: 'open-meteo-commercial', apiKey: 'om-commercial-1', now }))
        expect((await ok.read(SITES.gale, EN)).provider).toBe('open-meteo-commercial')
        expect(commercial.requests()[0]!.query.get('apikey')).toBe('om-commercial-1')
        const bad = track(createOpenMeteoClient({ baseUrl: commercial.url, provider: 'open-meteo-commercial', apiKey: 'om-wrong-key', now }))
        const e = await rejection(bad.read(SITES.gale, EN))
        expect(e).toMatchObject({ code: 'AUTH_FAILED' })
        expect(JSON.stringify(e.toInfo())).not.toContain('om-wrong-key')
        // Cold trial: the free API pointed at a host that wants a key was said to have "refused the API key", which it has none of.
        const free = track(createOpenMeteoClient({ baseUrl: commercial.url, provider: 'open-meteo', now }))
        expect(await rejection(free.read(SITES.gale, EN))).toMatchObject({ code: 'NOT_FOUND', details: { ref: { key: 'weather.asksForKey', params: { url: commercial.url, service: 'Open-Meteo' } } } })
      } finally {
        await commercial.close()
      }
    })

    it('maps 400 with its reason to CARRIER badRequest, and the daily limit (429) to RATE_LIMITED', async () => {
      const e = await rejection(openMeteo().read({ latitude: 95, longitude: 0 }, EN))
      expect(e).toMatchObject({ code: 'CARRIER', details: { ref: { key: 'weather.badRequest' }, carrierMessage: 'Latitude must be in range of -90 to 90°. Given: 95.' } })
      const limited = await startWeatherPeer({ now, openMeteoDailyLimit: 1 })
      try {
        const c = track(createOpenMeteoClient({ baseUrl: limited.url, provider: 'open-meteo', now }))
        await c.read(SITES.gale, EN)
        // Its own words say when to try again (tomorrow, for the daily limit): the message carries them, as the CLI's does.
        expect(await rejection(c.read(SITES.gale, EN))).toMatchObject({
          code: 'RATE_LIMITED',
          details: {
            ref: { key: 'weather.rateLimitedSaid', params: { service: 'Open-Meteo', said: expect.stringContaining('Please try again tomorrow') } },
            carrierMessage: expect.stringContaining('Daily API request limit'),
          },
        })
      } finally {
        await limited.close()
      }
    })

    it('reads the units from the response, converting what differs from what was asked, and refuses units it does not know', async () => {
      const body = (visibilityUnit: string) =>
        JSON.stringify({
          latitude: 45.2,
          longitude: 5.7,
          elevation: 212,
          utc_offset_seconds: 3600,
          current_units: {
            time: 'iso8601',
            interval: 'seconds',
            temperature_2m: '°F',
            relative_humidity_2m: '%',
            weather_code: 'wmo code',
            pressure_msl: 'hPa',
            wind_speed_10m: 'mp/h',
            wind_direction_10m: '°',
            wind_gusts_10m: 'kn',
            visibility: visibilityUnit,
          },
          current: {
            time: '2026-03-10T11:00',
            interval: 900,
            temperature_2m: 50,
            relative_humidity_2m: 81,
            weather_code: 2,
            pressure_msl: 1013.2,
            wind_speed_10m: 10,
            wind_direction_10m: 359,
            wind_gusts_10m: 20,
            visibility: 5280,
          },
          daily_units: { time: 'iso8601', temperature_2m_max: '°F', temperature_2m_min: '°F' },
          daily: { time: ['2026-03-10'], temperature_2m_max: [59, 60], temperature_2m_min: [32] },
        })
      const capture = await startWireCapture((req) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: body(req.params.latitude === '1' ? 'ft' : 'furlong') }))
      try {
        const c = track(createOpenMeteoClient({ baseUrl: capture.url, provider: 'open-meteo', now }))
        const r = await c.read({ latitude: 1, longitude: 5.7 }, EN)
        expect(r).toMatchObject({
          temperature: { value: 10, unit: '°C' },
          predictedMax: { value: 15, unit: '°C' },
          predictedMin: { value: 0, unit: '°C' },
          wind: { speed: { value: 16.1, unit: 'km/h' }, gust: { value: 37, unit: 'km/h' }, direction: 359, cardinal: 'N' },
          visibility: { value: 1.6, unit: 'km', unlimited: false },
          phrase: 'Partly cloudy',
          observedAt: '2026-03-10T10:00:00.000Z',
        })
        expect(await rejection(c.read({ latitude: 2, longitude: 5.7 }, EN))).toMatchObject({ code: 'CARRIER', details: { ref: { key: 'weather.badResponse' } } })
      } finally {
        await capture.close()
      }
    })

    it('maps a body that is not JSON to CARRIER badResponse', async () => {
      peer.faults.set({ kind: 'malformed', path: '/v1/forecast', times: 1 })
      expect(await rejection(openMeteo().read(SITES.gale, EN))).toMatchObject({ code: 'CARRIER', details: { ref: { key: 'weather.badResponse' } } })
    })
  })

  describe('a URL that is not the API, both providers', () => {
    it("NOT_FOUND saying to check the URL, for a path the provider's host does not serve (its web server's 404)", async () => {
      const baseUrl = `${peer.url}/not-the-api`
      const e1 = await rejection(twc(TWC_TEST_KEY, { baseUrl }).read(SITES.gale, EN))
      const e2 = await rejection(openMeteo({ baseUrl }).read(SITES.gale, EN))
      for (const e of [e1, e2]) {
        expect(e).toMatchObject({ code: 'NOT_FOUND', details: { ref: { key: 'weather.notWeatherApi', params: { url: baseUrl } } } })
        expect(e.message).toContain('check the API URL in Extensions → Weather → Configure')
      }
      const env = await rejection(openMeteo({ baseUrl, urlVariable: 'FIELDLINE_WEATHER_URL' }).read(SITES.gale, EN))
      expect(env).toMatchObject({ code: 'NOT_FOUND', details: { ref: { key: 'weather.envNotWeatherApi', params: { url: baseUrl, name: 'FIELDLINE_WEATHER_URL' } } } })
    })

    it('NOT_FOUND for a 404 in words other than the provider’s (another API behind the URL)', async () => {
      // [I] Any JSON 404 that is neither TWC's nor Open-Meteo's error envelope, as a gateway or another API answers.
      const other = createHttpServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no Route matched with those values"}'))
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
      const baseUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
      try {
        const e1 = await rejection(twc(TWC_TEST_KEY, { baseUrl }).read(SITES.gale, EN))
        const e2 = await rejection(openMeteo({ baseUrl }).read(SITES.gale, EN))
        for (const e of [e1, e2]) expect(e).toMatchObject({ code: 'NOT_FOUND', details: { ref: { key: 'weather.notWeatherApi' }, carrierCode: '404' } })
      } finally {
        await new Promise((resolve) => other.close(resolve))
      }
    })
  })

  describe('transport failures, both providers', () => {
    it('NETWORK saying to check the URL when nothing listens there', async () => {
      const port = await freePort()
      const baseUrl = `http://127.0.0.1:${port}`
      const e1 = await rejection(track(createTwcClient({ baseUrl, apiKey: 'k', now })).read(SITES.gale, EN))
      const e2 = await rejection(track(createOpenMeteoClient({ baseUrl, provider: 'open-meteo', now })).read(SITES.gale, EN))
      for (const e of [e1, e2]) {
        expect(e).toMatchObject({ code: 'NETWORK', details: { ref: { key: 'weather.unreachable', params: { url: baseUrl, reason: 'ECONNREFUSED' } } } })
        expect(e.message).toContain('if the address is wrong, correct the API URL in Extensions → Weather → Configure')
      }
      const env = await rejection(track(createOpenMeteoClient({ baseUrl, provider: 'open-meteo', now, urlVariable: 'FIELDLINE_WEATHER_URL' })).read(SITES.gale, EN))
      expect(env).toMatchObject({ code: 'NETWORK', details: { ref: { key: 'weather.envUnreachable', params: { url: baseUrl, reason: 'ECONNREFUSED', name: 'FIELDLINE_WEATHER_URL' } } } })
    })

    it('NETWORK saying to check the URL for a host no DNS knows, and as it is for a failure that is not of the address', () => {
      const ctx = { service: 'The Weather Company', url: 'https://api.weather.cmo' }
      const failure = (reason: string) =>
        AppError.withRef('NETWORK', `Cannot reach The Weather Company at api.weather.cmo: ${reason}`, { key: 'errors.network', params: { host: 'api.weather.cmo', reason } })
      for (const reason of ['ENOTFOUND', 'ENOENT'])
        expect(unreachableError(failure(reason), ctx)).toMatchObject({ code: 'NETWORK', details: { ref: { key: 'weather.unreachable', params: { ...ctx, reason } } } })
      // A DNS server away or a dropped link says nothing about the URL.
      for (const reason of ['EAI_AGAIN', 'ECONNRESET']) expect(unreachableError(failure(reason), ctx)).toMatchObject({ details: { ref: { key: 'errors.network' } } })
      // The provider's own host unknown to DNS is a computer offline, not a wrong URL: nothing to correct.
      for (const url of ['https://api.weather.com', 'https://api.open-meteo.com'])
        expect(unreachableError(failure('ENOTFOUND'), { ...ctx, url })).toMatchObject({ details: { ref: { key: 'errors.network' } } })
      const timeout = AppError.withRef('TIMEOUT', 'late', { key: 'errors.timeout' })
      expect(unreachableError(timeout, ctx)).toBe(timeout)
    })

    it('TIMEOUT when the provider does not answer in time', async () => {
      peer.faults.set({ kind: 'latency', ms: 1500 })
      const timeoutMs = { headers: 300 }
      const e1 = await rejection(twc(TWC_TEST_KEY, { timeoutMs, maxAttempts: 1 }).read(SITES.gale, EN))
      const e2 = await rejection(openMeteo({ timeoutMs, maxAttempts: 1 }).read(SITES.gale, EN))
      for (const e of [e1, e2]) expect(e).toMatchObject({ code: 'TIMEOUT', details: { ref: { key: 'errors.timeout' } } })
    })

    it('NETWORK when the connection drops', async () => {
      peer.faults.set({ kind: 'drop' })
      expect(await rejection(openMeteo().read(SITES.gale, EN))).toMatchObject({ code: 'NETWORK' })
    })

    it('TLS when the certificate cannot be verified', async (ctx) => {
      const cert = await selfSignedCert()
      const noOpenssl = missingService('openssl', cert ? null : 'openssl not found (apt-get install openssl): no certificate for the TLS peer')
      if (noOpenssl) return ctx.skip(noOpenssl)
      const tls = await startWeatherPeer({ now, tls: cert! })
      try {
        const e1 = await rejection(track(createTwcClient({ baseUrl: tls.url, apiKey: TWC_TEST_KEY, now })).read(SITES.gale, EN))
        const e2 = await rejection(track(createOpenMeteoClient({ baseUrl: tls.url, provider: 'open-meteo', now })).read(SITES.gale, EN))
        for (const e of [e1, e2]) expect(e).toMatchObject({ code: 'TLS', details: { ref: { key: 'errors.tls' } } })
        expect(tls.requests()).toEqual([])
      } finally {
        await tls.close()
      }
    })
  })

  async function fetchForecast(point: {
    latitude: number
    longitude: number
  }): Promise<{ temperatureMax: (number | null)[]; calendarDayTemperatureMax: number[]; calendarDayTemperatureMin: number[]; daypart: unknown[] }> {
    const url = `${peer.url}/v3/wx/forecast/daily/5day?geocode=${point.latitude},${point.longitude}&units=m&language=en-US&format=json&apiKey=${TWC_TEST_KEY}`
    // fetch asks for gzip and decodes it, as TWC requires.
    const res = await fetch(url)
    return (await res.json()) as Awaited<ReturnType<typeof fetchForecast>>
  }
})
