import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { tempDir, testCore } from '../helpers/core'
import { createWeatherService } from '../../src-main/core/weather/weather.service'
import { SITES, TWC_TEST_KEY, startWeatherPeer, type WeatherPeer } from '../peers/weather/weather.peer'

type TestCore = Awaited<ReturnType<typeof testCore>>

const START = Date.parse('2026-03-10T09:00:00Z')
let clock = START
const now = () => new Date(clock)

describe('weather through the core', () => {
  let core: TestCore
  let peer: WeatherPeer
  let cleanup: () => Promise<void>
  const pump = { typeId: 'pump', deviceId: 'p-1' }

  beforeAll(async () => {
    peer = await startWeatherPeer({ now })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { now })
    await core.call('devices:add', pump)
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

  const saveOpenMeteo = () => core.call('weather:saveSettings', { provider: 'open-meteo', units: 'metric', language: 'en', urls: { openMeteo: peer.url } })
  const requestsTo = (path: string) => peer.requests().filter((r) => r.path === path).length

  it('starts with Open-Meteo by default and says plainly that its free tier is for non-commercial use', async () => {
    expect(await core.call('weather:getSettings', {})).toMatchObject({
      provider: 'open-meteo',
      units: 'metric',
      language: 'en',
      source: 'defaults',
      urls: { openMeteo: 'https://api.open-meteo.com', twc: 'https://api.weather.com' },
      secrets: { twcApiKey: false, openMeteoApiKey: false },
      notice: { ref: { key: 'weather.freeTierNotice' }, message: expect.stringContaining('non-commercial use only') },
    })
  })

  it('asks for readings in the interface language until a weather language is saved (TWC: en-US, fr-FR)', async () => {
    const t = await tempDir()
    const other = await testCore(t.dir, { now })
    // The service as the CLI builds it from FIELDLINE_WEATHER_*: TWC without saving settings, so the language is the default's.
    const weather = createWeatherService({ db: other.workspace.db, vault: other.vault, bus: other.bus, now, environment: { provider: 'twc', url: peer.url, apiKey: TWC_TEST_KEY } })
    const languageAsked = () => peer.requests().at(-1)!.query.get('language')
    try {
      await other.call('devices:add', pump)
      await other.call('devices:setLocation', { ...pump, ...SITES.gale })
      await other.call('settings:set', { language: 'fr' })
      expect(await other.call('weather:getSettings', {})).toMatchObject({ language: 'fr', source: 'defaults' })
      expect((await weather.forDevice(pump)).reading).toMatchObject({ language: 'fr', phrase: 'Pluie' })
      expect(languageAsked()).toBe('fr-FR')

      // Another language is another question: the reading in French is not served to an English window.
      await other.call('settings:set', { language: 'en' })
      expect(await weather.forDevice(pump)).toMatchObject({ fromCache: false, reading: { language: 'en', phrase: 'Rain' } })
      expect(languageAsked()).toBe('en-US')

      // A saved weather language is the operator's choice, whatever the interface's.
      await other.call('weather:saveSettings', { provider: 'open-meteo', units: 'metric', language: 'fr', urls: { openMeteo: peer.url } })
      expect(await other.call('weather:getSettings', {})).toMatchObject({ language: 'fr', source: 'saved' })
      expect((await weather.forDevice(pump)).reading.language).toBe('fr')
      expect(languageAsked()).toBe('fr-FR')
    } finally {
      await weather.close()
      await other.close()
      await t.cleanup()
    }
  })

  it('refuses TWC without its key, a plain-http URL to another host, and unknown fields, changing nothing', async () => {
    const auditBefore = (await core.call('audit:list', { query: 'weather.settings' })).total
    expect(await core.dispatcher.invoke('weather:saveSettings', { provider: 'twc', units: 'metric', language: 'en' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', details: { ref: { key: 'weather.apiKeyRequired' }, issues: [{ path: 'secrets.twcApiKey' }] } },
    })
    expect(await core.dispatcher.invoke('weather:saveSettings', { provider: 'open-meteo', units: 'metric', language: 'en', urls: { openMeteo: 'http://weather.example.com' } })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', details: { ref: { key: 'errors.insecureUrl' } } },
    })
    expect(await core.dispatcher.invoke('weather:saveSettings', { provider: 'open-meteo', units: 'metric', language: 'en', colour: 'blue' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION' },
    })
    expect(await core.dispatcher.invoke('weather:saveSettings', { provider: 'open-meteo', units: 'kelvin', language: 'en' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect((await core.call('weather:getSettings', {})).source).toBe('defaults')
    expect((await core.call('audit:list', { query: 'weather.settings' })).total).toBe(auditBefore)
  })

  it('keeps the TWC key in the vault only, audits the save with before and after, and verifies against the provider', async () => {
    await saveOpenMeteo()
    const saved = await core.call('weather:saveSettings', { provider: 'twc', units: 'hybrid', language: 'fr', urls: { twc: `${peer.url}/` }, secrets: { twcApiKey: TWC_TEST_KEY } })
    expect(saved).toMatchObject({ provider: 'twc', units: 'hybrid', language: 'fr', source: 'saved', urls: { twc: peer.url }, secrets: { twcApiKey: true }, notice: null })
    expect(JSON.stringify(saved)).not.toContain(TWC_TEST_KEY)
    const [entry] = (await core.call('audit:list', { query: 'weather.settings.update' })).items
    expect(entry).toMatchObject({
      outcome: 'ok',
      target: 'weather/settings',
      before: { provider: 'open-meteo', secretsSet: [] },
      after: { provider: 'twc', units: 'hybrid', secretsSet: ['twcApiKey'] },
    })
    expect(JSON.stringify(entry)).not.toContain(TWC_TEST_KEY)
    const docs = await core.workspace.db.allDocs({ include_docs: true })
    expect(JSON.stringify(docs)).not.toContain(TWC_TEST_KEY)
    expect(await core.call('weather:verify', {})).toMatchObject({ provider: 'twc', detail: expect.stringContaining(peer.url) })
    const last = peer.requests().at(-1)!
    expect(last.query.get('apiKey')).toBe(TWC_TEST_KEY)
    expect([last.query.get('units'), last.query.get('language')]).toEqual(['h', 'fr-FR'])

    // A wrong key: verify says so, by the provider's own code.
    await core.call('weather:saveSettings', { provider: 'twc', units: 'hybrid', language: 'fr', secrets: { twcApiKey: 'revoked-key' } })
    expect(await core.dispatcher.invoke('weather:verify', {})).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED', details: { carrierCode: 'CDN-0001' } } })
  })

  it('needs a location before it can say anything about a device', async () => {
    await saveOpenMeteo()
    expect(await core.dispatcher.invoke('weather:get', pump)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'weather.noLocation' } } } })
    expect(await core.dispatcher.invoke('weather:get', { typeId: 'pump', deviceId: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', details: { ref: { key: 'errors.deviceNotFound' } } },
    })
    expect(await core.dispatcher.invoke('weather:get', { ...pump, units: 'kelvin' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
  })

  it('reads the weather at the device, then serves it from the cache until the provider says it expires', async () => {
    await saveOpenMeteo()
    await core.call('devices:setLocation', { ...pump, ...SITES.gale })
    const calls = requestsTo('/v1/forecast')
    const first = await core.call('weather:get', pump)
    expect(first).toMatchObject({ fromCache: false, offline: null, location: { ...SITES.gale, source: 'operator' }, reading: { provider: 'open-meteo', grid: { latitude: 48.4, longitude: -4.5 } } })
    expect(requestsTo('/v1/forecast')).toBe(calls + 1)

    clock = Date.parse(first.reading.expiresAt) - 1000
    expect(await core.call('weather:get', pump)).toMatchObject({ fromCache: true, offline: null, reading: { fetchedAt: first.reading.fetchedAt } })
    expect(requestsTo('/v1/forecast')).toBe(calls + 1)

    // Asking for other units is another question: the provider is asked.
    expect((await core.call('weather:get', { ...pump, units: 'imperial' })).reading.temperature.unit).toBe('°F')
    expect(requestsTo('/v1/forecast')).toBe(calls + 2)

    clock = Date.parse(first.reading.expiresAt) + 1000
    const later = await core.call('weather:get', pump)
    expect(later).toMatchObject({ fromCache: false })
    expect(requestsTo('/v1/forecast')).toBe(calls + 3)
    expect((await core.call('weather:get', { ...pump, refresh: true })).fromCache).toBe(false)
    expect(requestsTo('/v1/forecast')).toBe(calls + 4)
  })

  it('serves the last reading "as of" its time, with the reason, when the provider cannot be reached or refuses', async () => {
    await saveOpenMeteo()
    await core.call('devices:setLocation', { ...pump, ...SITES.calm })
    const fresh = await core.call('weather:get', { ...pump, refresh: true })
    peer.faults.set({ kind: 'drop' })
    const offline = await core.call('weather:get', { ...pump, refresh: true })
    expect(offline).toMatchObject({ fromCache: true, offline: { code: 'NETWORK' }, reading: { observedAt: fresh.reading.observedAt, fetchedAt: fresh.reading.fetchedAt } })
    peer.faults.clear()
    peer.faults.set({ kind: 'status', status: 429 })
    expect(await core.call('weather:get', { ...pump, refresh: true })).toMatchObject({ fromCache: true, offline: { code: 'RATE_LIMITED', details: { ref: { key: 'weather.rateLimitedSaid' } } } })
  })

  it('never serves a reading taken where the device no longer is: moved while the provider is away, it says why', async () => {
    // Cold trial: a device moved from Paris to Brest, the provider refusing the key, showed Paris's weather « from the
    // cache » as the device's.
    const mover = { typeId: 'pump', deviceId: 'p-mover' }
    await core.call('devices:add', mover)
    await saveOpenMeteo()
    await core.call('devices:setLocation', { ...mover, ...SITES.calm })
    await core.call('weather:get', { ...mover, refresh: true })
    await core.call('devices:setLocation', { ...mover, ...SITES.gale })
    peer.faults.set({ kind: 'drop' })
    expect(await core.dispatcher.invoke('weather:get', mover)).toMatchObject({ ok: false, error: { code: 'NETWORK', details: { ref: { key: 'errors.network' } } } })
    // Nor when the provider cannot even be asked (no key on this computer).
    await core.workspace.db.put({ ...(await core.workspace.db.get('weather:settings')), provider: 'twc', secretFields: [] } as never)
    expect(await core.dispatcher.invoke('weather:get', mover)).toMatchObject({ ok: false, error: { code: 'VALIDATION', details: { ref: { key: 'weather.apiKeyMissing' } } } })
    // Back where the reading was taken, it is the device's weather again, as of its time.
    await core.call('devices:setLocation', { ...mover, ...SITES.calm })
    expect(await core.call('weather:get', mover)).toMatchObject({
      fromCache: true,
      offline: { code: 'VALIDATION' },
      reading: { requested: { latitude: SITES.calm.latitude, longitude: SITES.calm.longitude } },
    })
  })

  it('without any cached reading, reports why the provider could not answer', async () => {
    const lone = { typeId: 'pump', deviceId: 'p-lone' }
    await core.call('devices:add', lone)
    await core.call('devices:setLocation', { ...lone, latitude: 10, longitude: 10 })
    await saveOpenMeteo()
    peer.faults.set({ kind: 'drop' })
    expect(await core.dispatcher.invoke('weather:get', lone)).toMatchObject({ ok: false, error: { code: 'NETWORK', details: { ref: { key: 'errors.network' } } } })
  })

  it('still shows the cached reading when the key is gone from this computer', async () => {
    await core.call('weather:saveSettings', { provider: 'twc', units: 'metric', language: 'en', urls: { twc: peer.url }, secrets: { twcApiKey: TWC_TEST_KEY } })
    await core.call('devices:setLocation', { ...pump, ...SITES.clear })
    expect((await core.call('weather:get', pump)).reading.visibility).toEqual({ value: null, unit: 'km', unlimited: true })
    // Another teammate's machine: the settings replicate, the keychain does not.
    await core.workspace.db.put({ ...(await core.workspace.db.get('weather:settings')), secretFields: [] } as never)
    expect(await core.call('weather:get', { ...pump, refresh: true })).toMatchObject({ fromCache: true, offline: { code: 'VALIDATION', details: { ref: { key: 'weather.apiKeyMissing' } } } })
  })
})
