/**
 * The weather in the fleet views, against the weather peer: the device list's weather columns (kept by the device index
 * as readings are cached, ordered by value across unit systems, answered from the cache with the provider gone) and the
 * "weather at the device" alert rule (fires once into the inbox, not while it holds, again after it stopped holding).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DeviceRow } from '../../src-shared/models/device-query'
import type { Notification } from '../../src-shared/models/sim-inventory'
import { convert } from '../../src-shared/models/weather-units'
import { tempDir, testCore } from '../helpers/core'
import { SITES, startWeatherPeer, type WeatherPeer } from '../peers/weather/weather.peer'

type TestCore = Awaited<ReturnType<typeof testCore>>

const START = Date.parse('2026-03-10T09:00:00Z')
let clock = START
const now = () => new Date(clock)

const gale = { typeId: 'mast', deviceId: 'brest-2' }
const calm = { typeId: 'mast', deviceId: 'grenoble-10' }
const polar = { typeId: 'mast', deviceId: 'vostok-1' }
const desert = { typeId: 'mast', deviceId: 'paranal-3' }
const unfetched = { typeId: 'mast', deviceId: 'unfetched' }
const nowhere = { typeId: 'mast', deviceId: 'nowhere' }
const label = (r: { typeId: string; deviceId: string }) => `${r.typeId}/${r.deviceId}`

describe('weather in the device list and the alert rules', () => {
  let core: TestCore
  let peer: WeatherPeer
  let cleanup: () => Promise<void>
  const events: { event: string; payload: unknown }[] = []

  const list = async (sort: 'weatherTemperature' | 'weatherWindSpeed' | 'weatherPhrase' | 'weatherAsOf' | 'typeId' = 'typeId', descending = false): Promise<DeviceRow[]> =>
    (await core.call('devices:query', { query: { text: '', filters: { typeId: ['mast'] }, sort, descending }, limit: 100 })).items
  const row = async (key: { typeId: string; deviceId: string }) => (await list()).find((r) => label(r) === label(key))!
  const inbox = async (): Promise<Notification[]> => (await core.call('inbox:list', {})).items

  beforeAll(async () => {
    peer = await startWeatherPeer({ now })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { now })
    core.bus.subscribe((event, payload) => events.push({ event, payload }))
    await core.call('weather:saveSettings', { provider: 'open-meteo', units: 'metric', language: 'en', urls: { openMeteo: peer.url } })
    for (const d of [gale, calm, polar, desert, unfetched, nowhere]) await core.call('devices:add', d)
    await core.call('devices:setLocation', { ...gale, ...SITES.gale })
    await core.call('devices:setLocation', { ...calm, ...SITES.calm })
    await core.call('devices:setLocation', { ...polar, latitude: -78.46, longitude: 106.84 })
    await core.call('devices:setLocation', { ...desert, ...SITES.clear })
    await core.call('devices:setLocation', { ...unfetched, latitude: 10, longitude: 10 })
  })
  beforeEach(() => {
    peer.faults.clear()
    clock = START
  })
  afterAll(async () => {
    await core.close()
    await peer.close()
    await cleanup()
  })

  it('shows empty weather cells, with the reason, until a reading is cached; then the reading, without a device change', async () => {
    const before = await list()
    expect(before.map((r) => [r.deviceId, r.weatherStatus, r.weatherTemperature])).toEqual([
      ['brest-2', 'notFetched', null],
      ['grenoble-10', 'notFetched', null],
      ['nowhere', null, null],
      ['paranal-3', 'notFetched', null],
      ['unfetched', 'notFetched', null],
      ['vostok-1', 'notFetched', null],
    ])
    const reading = (await core.call('weather:get', gale)).reading
    expect(events).toContainEqual({ event: 'weather:reading', payload: gale })
    expect(await row(gale)).toMatchObject({
      weatherStatus: 'cached',
      weatherPhrase: reading.phrase,
      weatherTemperature: { value: reading.temperature.value, unit: '°C' },
      weatherWindSpeed: { value: reading.wind.speed.value, unit: 'km/h' },
      weatherAsOf: reading.observedAt,
    })
    expect(reading.wind.speed.value).toBeGreaterThan(50)
  })

  it('orders temperatures and wind speeds by value across unit systems, empty cells last either way', async () => {
    await core.call('weather:get', calm)
    await core.call('weather:get', polar)
    // Fetched in imperial units: °F and mph sit in the same columns and order by what they measure.
    const desertReading = (await core.call('weather:get', { ...desert, units: 'imperial' })).reading
    expect(desertReading.temperature.unit).toBe('°F')
    const rows = (await list()).filter((r) => r.weatherStatus === 'cached')
    expect(rows).toHaveLength(4)
    const celsius = (r: DeviceRow) => convert(r.weatherTemperature!.value, r.weatherTemperature!.unit, '°C')
    const byTemperature = [...rows].sort((a, b) => celsius(a) - celsius(b)).map(label)
    expect(celsius(rows.find((r) => r.deviceId === 'vostok-1')!)).toBeLessThan(0)

    const ascending = await list('weatherTemperature')
    expect(ascending.map(label)).toEqual([...byTemperature, 'mast/nowhere', 'mast/unfetched'])
    const descending = await list('weatherTemperature', true)
    expect(descending.map(label)).toEqual([...byTemperature.reverse(), 'mast/nowhere', 'mast/unfetched'])

    const metresPerSecond = (r: DeviceRow) => convert(r.weatherWindSpeed!.value, r.weatherWindSpeed!.unit, 'm/s')
    const byWind = [...rows].sort((a, b) => metresPerSecond(a) - metresPerSecond(b) || (label(a) < label(b) ? -1 : 1)).map(label)
    expect((await list('weatherWindSpeed')).map(label).slice(0, 4)).toEqual(byWind)
    expect(rows.find((r) => r.deviceId === 'grenoble-10')!.weatherWindSpeed!.value).toBe(0)
  })

  it('filters and counts by weather state, and follows a device that moves', async () => {
    const count = async (weather: ('cached' | 'notFetched' | 'moved' | 'none')[]) => (await core.call('devices:count', { selection: { query: { filters: { typeId: ['mast'], weather } } } })).total
    expect([await count(['cached']), await count(['notFetched']), await count(['none'])]).toEqual([4, 1, 1])
    await core.call('devices:setLocation', { ...calm, latitude: 45.5, longitude: 5.72 })
    expect(await row(calm)).toMatchObject({ weatherStatus: 'moved', weatherTemperature: null, weatherPhrase: null, weatherAsOf: null })
    expect(await count(['moved'])).toBe(1)
    const facets = await core.call('devices:count', { selection: { query: { filters: { typeId: ['mast'] } } }, by: ['weather'] })
    expect(facets.facets[0]!.values).toEqual([
      { value: 'cached', count: 3 },
      { value: 'moved', count: 1 },
      { value: 'none', count: 1 },
      { value: 'notFetched', count: 1 },
    ])
    await core.call('weather:get', calm)
    expect((await row(calm)).weatherStatus).toBe('cached')
  })

  it('answers the list and its export from the cache with the provider unreachable, asking it nothing', async () => {
    peer.faults.set({ kind: 'drop' })
    const asked = peer.requests().length
    const rows = await list('weatherTemperature')
    expect(rows.filter((r) => r.weatherStatus === 'cached')).toHaveLength(4)
    const { jobId } = await core.call('export:start', {
      selection: { query: { filters: { typeId: ['mast'] }, sort: 'weatherTemperature' } },
      columns: ['deviceId', 'weatherTemperature', 'weatherWindSpeed'],
      format: 'csv',
    })
    const { data } = await core.call('export:next', { jobId })
    const lines = data.trim().split('\r\n')
    expect(lines[0]).toBe('deviceId,weatherTemperature,weatherWindSpeed')
    const gl = rows.find((r) => r.deviceId === 'brest-2')!
    expect(lines).toContain(`brest-2,${gl.weatherTemperature!.value} °C,${gl.weatherWindSpeed!.value} km/h`)
    expect(lines.at(-1)).toBe('unfetched,,')
    expect(peer.requests().length).toBe(asked)
  })

  it('fires a weather rule once per device after a fetch, not while it holds, and again after it stopped holding', async () => {
    const rule = await core.call('alerts:add', { id: 'gale', name: 'Gale', condition: { kind: 'weather', measure: 'windSpeed', comparison: 'above', threshold: 50 } })
    // The workspace's units (metric) are written into the rule: it keeps meaning 50 km/h.
    expect(rule.condition).toEqual({ kind: 'weather', measure: 'windSpeed', comparison: 'above', threshold: 50, unit: 'km/h' })
    expect(await core.call('alerts:check', {})).toEqual({ fired: 1 })
    const [fired] = await inbox()
    expect(fired).toMatchObject({ ruleId: 'gale', kind: 'weather', sim: null, account: null, device: gale, value: expect.stringMatching(/^\d+(\.\d)? km\/h$/) })
    expect(await core.call('alerts:check', {})).toEqual({ fired: 0 })

    // A cold rule in °F, evaluated after the next fetch by itself (no check asked).
    await core.call('alerts:add', { id: 'frost', name: 'Frost', condition: { kind: 'weather', measure: 'temperature', comparison: 'below', threshold: 32, unit: '°F' } })
    const unread = (await core.call('inbox:list', {})).unread
    await core.call('weather:get', { ...polar, refresh: true })
    await expect.poll(async () => (await core.call('inbox:list', {})).unread, { timeout: 10_000 }).toBe(unread + 1)
    // The clock stands still here: notifications fired at one instant are told apart by their rule.
    expect((await inbox()).filter((n) => n.ruleId === 'frost')).toEqual([expect.objectContaining({ device: polar, value: expect.stringMatching(/^-?\d+(\.\d)? °F$/) })])
    // The views hear of it (the event follows the write).
    await expect.poll(() => events, { timeout: 10_000 }).toContainEqual({ event: 'inbox:changed', payload: { unread: unread + 1 } })

    // The gale device moves: its reading is no longer the weather there, the condition stops holding; fetched again
    // at the new point (the same gale), it fires again.
    await core.call('devices:setLocation', { ...gale, latitude: 48.41, longitude: -4.49 })
    expect(await core.call('alerts:check', {})).toEqual({ fired: 0 })
    await core.call('devices:setLocation', { ...gale, ...SITES.gale })
    expect(await core.call('alerts:check', {})).toEqual({ fired: 1 })
    expect((await inbox()).filter((n) => n.ruleId === 'gale').map((n) => n.device)).toEqual([gale, gale])
  })

  it('fires a condition once when evaluations overlap (a check while a reading is evaluated)', async () => {
    await core.call('alerts:add', { id: 'mild', name: 'Mild', condition: { kind: 'weather', measure: 'temperature', comparison: 'above', threshold: -100 } })
    const [a, b] = await Promise.all([core.call('alerts:check', {}), core.call('alerts:check', {})])
    // Every device with a reading at its location is warmer than -100 °C: four of them, once each.
    expect(a.fired + b.fired).toBe(4)
    expect((await inbox()).filter((n) => n.ruleId === 'mild')).toHaveLength(4)
    await core.call('alerts:remove', { id: 'mild' })
  })

  it('a rule removed while an evaluation runs: the check and the removal both succeed, and the rule stays removed', async () => {
    for (let round = 0; round < 15; round++) {
      await core.call('alerts:add', { id: 'brief', name: 'Brief', condition: { kind: 'weather', measure: 'temperature', comparison: 'above', threshold: -100 } })
      const outcomes = await Promise.allSettled([core.call('alerts:check', {}), core.call('alerts:remove', { id: 'brief' }), core.call('alerts:check', {})])
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([])
    }
    expect((await core.call('alerts:list', {})).items.some((r) => r.id === 'brief')).toBe(false)
  })

  it('does not fire for calm air, devices without a reading, or a threshold not crossed', async () => {
    await core.call('alerts:add', { id: 'storm', name: 'Storm', condition: { kind: 'weather', measure: 'windSpeed', comparison: 'above', threshold: 200, unit: 'km/h' } })
    await core.call('alerts:add', { id: 'heat', name: 'Heat', condition: { kind: 'weather', measure: 'temperature', comparison: 'above', threshold: 60 } })
    const before = (await inbox()).length
    expect(await core.call('alerts:check', {})).toEqual({ fired: 0 })
    expect((await inbox()).length).toBe(before)
    expect((await inbox()).some((n) => n.device?.deviceId === 'unfetched' || n.device?.deviceId === 'nowhere')).toBe(false)
  })

  it('refuses a unit of another measure, a negative wind, carriers, and an unknown measure, changing nothing', async () => {
    const rules = (await core.call('alerts:list', {})).items.length
    const add = (condition: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      core.dispatcher.invoke('alerts:add', { id: 'bad', name: 'Bad', condition: { kind: 'weather', ...condition }, ...extra } as never)
    expect(await add({ measure: 'temperature', comparison: 'above', threshold: 1, unit: 'km/h' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', details: { ref: { key: 'alerts.weather.unit', params: { unit: 'km/h', units: '°C, °F' } } } },
    })
    expect(await add({ measure: 'windSpeed', comparison: 'below', threshold: -1 })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', details: { ref: { key: 'alerts.weather.negativeWind' } } },
    })
    expect(await add({ measure: 'windSpeed', comparison: 'above', threshold: 10 }, { carriers: ['jasper'] })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', details: { ref: { key: 'alerts.weather.noCarriers' } } },
    })
    expect(await add({ measure: 'humidity', comparison: 'above', threshold: 10 })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(await add({ measure: 'windSpeed', comparison: 'above', threshold: 10, unit: 'K' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect((await core.call('alerts:list', {})).items.length).toBe(rules)
  })
})
