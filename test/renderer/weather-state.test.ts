import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { WeatherReading, WeatherSettingsView, WeatherView } from '../../src-shared/models/weather'
import { ok, refused, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { WeatherPanel } = await import('../../src-renderer/src/lib/state/weather-panel.svelte')
const { weatherSettings } = await import('../../src-renderer/src/lib/state/weather-settings.svelte')

const NOW = Date.parse('2026-03-10T10:00:00Z')
const KEY = { typeId: 'meter', deviceId: 'm-1' }
const q = (value: number | null, unit: WeatherReading['temperature']['unit']) => ({ value, unit })

function reading(expiresAt: string, temperature = 12.5): WeatherReading {
  return {
    provider: 'open-meteo',
    units: 'metric',
    language: 'en',
    phrase: 'Moderate rain',
    weatherCode: 63,
    temperature: q(temperature, '°C'),
    predictedMax: q(14, '°C'),
    predictedMin: q(7, '°C'),
    relativeHumidity: q(80, '%'),
    pressure: q(1012, 'hPa'),
    visibility: { ...q(24, 'km'), unlimited: false },
    wind: { speed: q(20, 'km/h'), gust: q(null, 'km/h'), direction: 247, cardinal: 'WSW' },
    requested: { latitude: 48.39, longitude: -4.49 },
    grid: { latitude: 48.4, longitude: -4.5, elevation: 12 },
    observedAt: '2026-03-10T09:45:00Z',
    fetchedAt: '2026-03-10T09:50:00Z',
    expiresAt,
    attribution: { text: 'Weather data by Open-Meteo.com (CC BY 4.0)', url: 'https://open-meteo.com/' },
  }
}

function view(expiresAt: string, extra: Partial<WeatherView> = {}, temperature?: number): WeatherView {
  return {
    ...KEY,
    location: { latitude: 48.39, longitude: -4.49, elevation: null, accuracy: null, measuredAt: null, source: 'operator', updatedAt: '2026-03-10T09:00:00Z' },
    reading: reading(expiresAt, temperature),
    fromCache: false,
    offline: null,
    ...extra,
  }
}

beforeEach(() => {
  fake.calls.length = 0
  vi.useFakeTimers({ now: NOW })
})

afterEach(() => {
  vi.useRealTimers()
})

describe('the weather panel of a device', () => {
  it('reads the cached-or-fresh weather, and asks the provider only when the operator refreshes', async () => {
    const panel = new WeatherPanel(KEY)
    void panel.load()
    expect(fake.answer('weather:get', ok(view('2026-03-10T10:15:00Z')))).toEqual({ ...KEY, refresh: false })
    await settle()
    expect(panel.view?.reading.temperature.value).toBe(12.5)

    const refreshing = panel.update()
    expect(panel.refreshing).toBe(true)
    expect(fake.answer('weather:get', ok(view('2026-03-10T10:30:00Z', {}, 13)))).toEqual({ ...KEY, refresh: true })
    await refreshing
    expect(panel.refreshing).toBe(false)
    expect(panel.view?.reading.temperature.value).toBe(13)

    // The flag was for that read alone: the next one (an event's) takes the cache again.
    fake.emit('weather:changed', {})
    expect(fake.answer('weather:get', ok(view('2026-03-10T10:30:00Z')))).toEqual({ ...KEY, refresh: false })
    panel.dispose()
  })

  // Until a weather language is saved the readings are in the interface's: a change of it asks the core again.
  it('reads again when the interface settings change (its language is the readings’ by default)', async () => {
    const panel = new WeatherPanel(KEY)
    void panel.load()
    fake.answer('weather:get', ok(view('2026-03-10T10:15:00Z')))
    await settle()
    fake.emit('settings:changed', { language: 'fr', theme: 'system', savedSearches: [] })
    expect(fake.answer('weather:get', ok(view('2026-03-10T10:15:00Z')))).toEqual({ ...KEY, refresh: false })
    panel.dispose()
  })

  it('reads again when the reading expires, and marks it expired while the provider cannot be reached', async () => {
    const panel = new WeatherPanel(KEY)
    void panel.load()
    fake.answer('weather:get', ok(view('2026-03-10T10:15:00Z')))
    await settle()
    expect(panel.expired).toBe(false)

    vi.advanceTimersByTime(15 * 60_000 - 1)
    expect(fake.pending('weather:get')).toHaveLength(0)
    vi.advanceTimersByTime(1)
    expect(panel.expired).toBe(true)
    // The core now asks the provider; offline, it answers with the same cached reading and the reason.
    expect(fake.answer('weather:get', ok(view('2026-03-10T10:15:00Z', { fromCache: true, offline: { code: 'NETWORK', message: 'Cannot reach' } })))).toEqual({ ...KEY, refresh: false })
    await settle()
    expect(panel.expired).toBe(true)
    expect(panel.view?.offline?.code).toBe('NETWORK')
    // An expired reading does not start a loop of reads: the next one is the operator's, an event's or a reconnect's.
    vi.advanceTimersByTime(60 * 60_000)
    expect(fake.pending('weather:get')).toHaveLength(0)

    fake.reconnect()
    fake.answer('weather:get', ok(view('2026-03-10T11:30:00Z')))
    await settle()
    expect(panel.expired).toBe(false)
    expect(panel.view?.offline).toBeNull()
    panel.dispose()
  })

  it('follows location changes of its own device only', async () => {
    const panel = new WeatherPanel(KEY)
    fake.emit('devices:location', { items: [{ typeId: 'meter', deviceId: 'm-2', source: 'device' }] })
    expect(fake.pending('weather:get')).toHaveLength(0)
    fake.emit('devices:location', { items: [{ typeId: 'pump', deviceId: 'x' }, { ...KEY }].map((k) => ({ ...k, source: 'device' as const })) })
    expect(fake.pending('weather:get')).toHaveLength(1)
    panel.dispose()
  })

  it('keeps the reading on screen beside a refusal, and shows only the latest answer', async () => {
    const panel = new WeatherPanel(KEY)
    void panel.load()
    fake.answer('weather:get', ok(view('2026-03-10T10:15:00Z')))
    await settle()
    const slow = panel.load()
    const fast = panel.update()
    fake.answer('weather:get', refused('NOT_FOUND', 'no location'), 1)
    await fast
    fake.answer('weather:get', ok(view('2026-03-10T10:15:00Z', {}, 99)))
    expect(await slow).toBeNull()
    expect(panel.error?.code).toBe('NOT_FOUND')
    expect(panel.view?.reading.temperature.value).toBe(12.5)
    panel.dispose()
  })

  it('stops its timer and its listeners when the page closes', async () => {
    const panel = new WeatherPanel(KEY)
    void panel.load()
    fake.answer('weather:get', ok(view('2026-03-10T10:15:00Z')))
    await settle()
    panel.dispose()
    vi.advanceTimersByTime(60 * 60_000)
    fake.emit('weather:changed', {})
    fake.emit('devices:location', { items: [{ ...KEY, source: 'operator' }] })
    expect(fake.pending('weather:get')).toHaveLength(0)
  })
})

describe('the weather settings', () => {
  const settings = (provider: WeatherSettingsView['provider'], updatedAt: string | null): WeatherSettingsView => ({
    provider,
    units: 'metric',
    language: 'en',
    urls: { twc: 'https://api.weather.com', openMeteo: 'https://api.open-meteo.com', openMeteoCommercial: 'https://customer-api.open-meteo.com' },
    secrets: { twcApiKey: provider === 'twc', openMeteoApiKey: false },
    source: updatedAt ? 'saved' : 'defaults',
    notice: null,
    updatedAt,
  })

  it('shows what the core answered a save with, and follows changes made elsewhere', async () => {
    const saving = weatherSettings.save({ provider: 'twc', units: 'metric', language: 'fr', secrets: { twcApiKey: 'k' } })
    fake.answer('weather:saveSettings', ok(settings('twc', '2026-03-10T10:00:00Z')))
    expect((await saving).ok).toBe(true)
    expect(weatherSettings.view?.provider).toBe('twc')
    expect(weatherSettings.view?.secrets.twcApiKey).toBe(true)

    fake.emit('weather:changed', {})
    fake.answer('weather:getSettings', ok(settings('open-meteo', '2026-03-10T10:05:00Z')))
    await settle()
    expect(weatherSettings.view?.provider).toBe('open-meteo')
  })

  it('leaves the settings on screen as they were when a save is refused', async () => {
    const before = weatherSettings.view
    const saving = weatherSettings.save({ provider: 'twc', units: 'metric', language: 'en' })
    fake.answer('weather:saveSettings', refused('VALIDATION', 'needs its key'))
    expect((await saving).ok).toBe(false)
    expect(weatherSettings.view).toBe(before)
  })
})
