/**
 * The weather extension: its settings (provider, units, language; API keys in the vault; every save audited with its
 * before and after in one bulkDocs call), "Verify", and the weather at a device's location — served from the cache
 * until the provider's expiry, fresh otherwise, and from the cache "as of" its time (with the reason) when the provider
 * cannot be reached. The device list and the fleet's weather alert rules read the cache it writes (never the provider).
 */
import { createHash } from 'node:crypto'
import type { DeviceKey } from '../../../src-shared/contract'
import type { DeviceLocation } from '../../../src-shared/models/location'
import {
  WEATHER_DEFAULT_URLS,
  WEATHER_PROVIDER_PARTS,
  WEATHER_SECRETS,
  type WeatherLanguage,
  type WeatherProvider,
  type WeatherSaveInput,
  type WeatherSecret,
  type WeatherSettingsView,
  type WeatherUnits,
  type WeatherView,
} from '../../../src-shared/models/weather'
import type { CallContext } from '../common/call-context'
import { AppError, isAppError } from '../common/errors'
import type { EventBus } from '../common/events'
import type { Logger } from '../log/logger'
import { auditDoc } from '../store/audit.store'
import { getDeviceDoc } from '../store/devices.store'
import { readSettings } from '../store/settings.store'
import { assertBulkOk, isConflict, type Db } from '../store/documents'
import type { SecretStore } from '../vault/secret-store'
import { createOpenMeteoClient } from './open-meteo.client'
import { createTwcClient } from './twc.client'
import type { WeatherClient, WeatherClientOptions } from './weather-client'
import { normaliseWeatherUrl, weatherEnvironment, type ResolvedWeather, type WeatherEnvironment } from './weather-config'
import { newWeatherSettingsDoc, readAt, readWeatherCache, readWeatherSettings, weatherSecretAccount, writeWeatherCache, type WeatherRequest, type WeatherSettingsDoc } from './weather.store'

export interface WeatherServiceDeps {
  db: Db
  vault: SecretStore
  /**
   * The role gate (core/sync/role-gate.ts), asked before the keychain is touched: the workspace write refuses a change
   * the team server would refuse, but only after a secret was already replaced.
   */
  gate?: { check(docs: readonly { _id?: string }[]): void }
  bus: EventBus
  logger?: Logger
  now?: () => Date
  /** Called after a fresh reading is cached (the fleet's weather alert rules evaluate it); it must not throw. */
  onReading?: (key: DeviceKey) => void
  /** 'env': FIELDLINE_WEATHER_* variables stand in for the saved provider, URL and key (the CLI, for scripts). */
  environment?: 'env' | WeatherEnvironment | null
}

const AUDIT_TARGET = 'weather/settings'
/** Until the settings are saved; the language then is the operator's interface language (core/store/settings.store.ts). */
const DEFAULTS = { provider: 'open-meteo', units: 'metric' } as const

const FREE_TIER_NOTICE = {
  message:
    "Open-Meteo's free API is for non-commercial use only (about 10,000 calls a day; its data is CC BY 4.0). For commercial use, choose Open-Meteo with a commercial API key, or The Weather Company.",
  ref: { key: 'weather.freeTierNotice' },
}

const PROVIDER_NAMES: Record<WeatherProvider, string> = { 'open-meteo': 'Open-Meteo', 'open-meteo-commercial': 'Open-Meteo (commercial)', twc: 'The Weather Company' }

function label(key: DeviceKey): string {
  return `${key.typeId}/${key.deviceId}`
}

function summary(doc: WeatherSettingsDoc | null): Record<string, unknown> | undefined {
  return doc ? { provider: doc.provider, units: doc.units, language: doc.language, urls: doc.urls, secretsSet: doc.secretFields } : undefined
}

function sameRequest(a: WeatherRequest, b: WeatherRequest): boolean {
  return a.provider === b.provider && a.units === b.units && a.language === b.language && a.latitude === b.latitude && a.longitude === b.longitude
}

export function createWeatherService(deps: WeatherServiceDeps) {
  const { db, vault, bus, logger, gate } = deps
  const now = deps.now ?? (() => new Date())
  const clients = new Map<string, WeatherClient>()
  let environment: WeatherEnvironment | null | undefined = deps.environment === 'env' ? undefined : (deps.environment ?? null)

  /** The environment is read when first needed, so a bad variable is reported by the command that uses weather. */
  function env(): WeatherEnvironment | null {
    if (environment === undefined) environment = weatherEnvironment(process.env)
    return environment
  }

  /**
   * The saved settings, or the defaults in the operator's interface language: the readings are asked for in it (TWC's
   * phrases; Open-Meteo has no language, the WMO codes are phrased here) until a weather language is saved.
   */
  async function settings(): Promise<{ doc: (WeatherSettingsDoc & { _rev: string }) | null; uiLanguage: WeatherLanguage }> {
    const [doc, ui] = await Promise.all([readWeatherSettings(db), readSettings(db)])
    return { doc, uiLanguage: ui.language }
  }

  function view(doc: WeatherSettingsDoc | null, uiLanguage: WeatherLanguage): WeatherSettingsView {
    const e = env()
    const has = (field: WeatherSecret) => doc?.secretFields.includes(field) ?? false
    const provider = e?.provider ?? doc?.provider ?? DEFAULTS.provider
    const urls = { ...WEATHER_DEFAULT_URLS, ...doc?.urls, ...(e ? { [WEATHER_PROVIDER_PARTS[e.provider].url]: e.url } : {}) }
    return {
      provider,
      units: doc?.units ?? DEFAULTS.units,
      language: doc?.language ?? uiLanguage,
      urls,
      secrets: { twcApiKey: has('twcApiKey'), openMeteoApiKey: has('openMeteoApiKey') },
      source: e ? 'environment' : doc ? 'saved' : 'defaults',
      notice: provider === 'open-meteo' ? FREE_TIER_NOTICE : null,
      updatedAt: doc?.updatedAt ?? null,
    }
  }

  async function resolve(): Promise<ResolvedWeather> {
    const { doc, uiLanguage } = await settings()
    const v = view(doc, uiLanguage)
    const e = env()
    if (e) return { provider: e.provider, units: v.units, language: v.language, url: e.url, apiKey: e.apiKey }
    const parts = WEATHER_PROVIDER_PARTS[v.provider]
    let apiKey: string | null = null
    if (parts.secret) {
      apiKey = v.secrets[parts.secret] ? await vault.get(weatherSecretAccount(parts.secret)) : null
      if (!apiKey) {
        throw AppError.withRef('VALIDATION', `The API key of ${PROVIDER_NAMES[v.provider]} is not stored on this computer: enter it again in Extensions → Weather`, {
          key: 'weather.apiKeyMissing',
          params: { service: PROVIDER_NAMES[v.provider] },
        })
      }
    }
    return { provider: v.provider, units: v.units, language: v.language, url: v.urls[parts.url], apiKey }
  }

  /** One client per provider, URL and key, kept between calls (its connections and its rate governor). */
  function clientFor(r: ResolvedWeather): WeatherClient {
    const id = `${r.provider}\n${r.url}\n${r.apiKey ? createHash('sha256').update(r.apiKey).digest('hex') : ''}`
    let client = clients.get(id)
    if (!client) {
      const options: WeatherClientOptions = {
        baseUrl: r.url,
        ...(env() ? { keyVariable: 'FIELDLINE_WEATHER_API_KEY', urlVariable: 'FIELDLINE_WEATHER_URL' } : {}),
        ...(logger ? { logger } : {}),
        ...(deps.now ? { now: deps.now } : {}),
      }
      client = r.provider === 'twc' ? createTwcClient({ ...options, apiKey: r.apiKey ?? '' }) : createOpenMeteoClient({ ...options, provider: r.provider, ...(r.apiKey ? { apiKey: r.apiKey } : {}) })
      clients.set(id, client)
    }
    return client
  }

  async function dropClients(): Promise<void> {
    const all = [...clients.values()]
    clients.clear()
    await Promise.all(all.map((c) => c.close()))
  }

  async function locationOf(key: DeviceKey): Promise<DeviceLocation> {
    const doc = await getDeviceDoc(db, key)
    if (!doc) throw AppError.withRef('NOT_FOUND', `Device ${label(key)} does not exist`, { key: 'errors.deviceNotFound', params: { id: label(key) } })
    if (!doc.location) {
      throw AppError.withRef('NOT_FOUND', `Device ${label(key)} has no location: set one (devices locate) or let the device report it`, { key: 'weather.noLocation', params: { id: label(key) } })
    }
    return doc.location
  }

  return {
    async getSettings(): Promise<WeatherSettingsView> {
      const { doc, uiLanguage } = await settings()
      return view(doc, uiLanguage)
    },

    async saveSettings(input: WeatherSaveInput, ctx: CallContext): Promise<WeatherSettingsView> {
      const existing = await readWeatherSettings(db)
      const at = now().toISOString()
      const urls = { ...WEATHER_DEFAULT_URLS, ...existing?.urls }
      for (const [name, url] of Object.entries(input.urls) as [keyof typeof urls, string | undefined][]) if (url !== undefined) urls[name] = normaliseWeatherUrl(url)
      const fields = new Set(existing?.secretFields ?? [])
      for (const field of WEATHER_SECRETS) {
        const v = input.secrets[field]
        if (typeof v === 'string') fields.add(field)
        else if (v === null) fields.delete(field)
      }
      const needed = WEATHER_PROVIDER_PARTS[input.provider].secret
      if (needed && !fields.has(needed)) {
        throw AppError.withRef(
          'VALIDATION',
          `${PROVIDER_NAMES[input.provider]} needs its API key`,
          { key: 'weather.apiKeyRequired', params: { service: PROVIDER_NAMES[input.provider] } },
          { issues: [{ path: `secrets.${needed}`, message: 'is required' }] },
        )
      }
      const next = newWeatherSettingsDoc({
        provider: input.provider,
        units: input.units,
        language: input.language,
        urls,
        secretFields: [...fields].sort(),
        createdAt: existing?.createdAt ?? at,
        updatedAt: at,
      })
      if (existing) next._rev = existing._rev

      gate?.check([next])
      // The keychain first: if it refuses, the workspace must not claim a key that is not there.
      for (const field of WEATHER_SECRETS) {
        const v = input.secrets[field]
        if (typeof v === 'string') await vault.set(weatherSecretAccount(field), v)
        else if (v === null) await vault.clear(weatherSecretAccount(field))
      }
      try {
        const results = await db.bulkDocs([
          next,
          auditDoc({
            at,
            actor: ctx.actor,
            action: existing ? 'weather.settings.update' : 'weather.settings.add',
            target: AUDIT_TARGET,
            outcome: 'ok',
            ...(existing ? { before: summary(existing) } : {}),
            after: summary(next),
          }),
        ])
        assertBulkOk(results)
        next._rev = (results[0] as PouchDB.Core.Response).rev
      } catch (e) {
        if (isConflict(e)) throw AppError.withRef('CONFLICT', 'The weather settings were changed elsewhere; reload them and try again', { key: 'weather.settingsChanged' })
        throw e
      }
      await dropClients()
      bus.emit('weather:changed', {})
      bus.emit('audit:changed', {})
      return view(next, next.language)
    },

    /** One real request with the configuration in use, at 0°, 0°: it proves the URL, the key and its licence. */
    async verify(): Promise<{ provider: WeatherProvider; detail: string }> {
      const r = await resolve()
      await clientFor(r).read({ latitude: 0, longitude: 0 }, { units: r.units, language: r.language })
      return { provider: r.provider, detail: `${PROVIDER_NAMES[r.provider]} answered at ${r.url}` }
    },

    async forDevice(key: DeviceKey, options: { refresh?: boolean; units?: WeatherUnits | undefined } = {}): Promise<WeatherView> {
      const location = await locationOf(key)
      // Only a reading taken where the device is now stands in for the provider (cold trial: a device moved from Paris
      // to Brest showed Paris's weather « from the cache » while the provider refused the key).
      const stored = await readWeatherCache(db, key)
      const cached = stored && readAt(stored.request, location) ? stored : null
      const base = { typeId: key.typeId, deviceId: key.deviceId, location }
      let request: WeatherRequest
      let r: ResolvedWeather
      try {
        r = await resolve()
        request = { provider: r.provider, units: options.units ?? r.units, language: r.language, latitude: location.latitude, longitude: location.longitude }
      } catch (e) {
        if (cached && isAppError(e)) return { ...base, reading: cached.reading, fromCache: true, offline: e.toInfo() }
        throw e
      }
      if (cached && !options.refresh && sameRequest(cached.request, request) && now().getTime() < Date.parse(cached.reading.expiresAt)) {
        return { ...base, reading: cached.reading, fromCache: true, offline: null }
      }
      try {
        const reading = await clientFor(r).read({ latitude: location.latitude, longitude: location.longitude }, { units: request.units, language: request.language })
        await writeWeatherCache(db, key, request, reading)
        bus.emit('weather:reading', { typeId: key.typeId, deviceId: key.deviceId })
        deps.onReading?.(key)
        return { ...base, reading, fromCache: false, offline: null }
      } catch (e) {
        if (!cached || !isAppError(e)) throw e
        logger?.warn({ device: label(key), code: e.code }, 'weather: provider not reached, serving the cached reading')
        return { ...base, reading: cached.reading, fromCache: true, offline: e.toInfo() }
      }
    },

    close: dropClients,
  }
}

export type WeatherService = ReturnType<typeof createWeatherService>
