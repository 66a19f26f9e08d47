/**
 * Workspace documents of the weather extension.
 *
 * - `weather:settings` (kind 'weatherSettings'): the one weather configuration. API keys are in the vault under
 *   `weather:settings/<field>`; `secretFields` only says which are set. The document replicates to the team; each
 *   machine keeps its own keychain.
 * - `cache:weather:<typeId>:<deviceId>` (kind 'cache'): the last reading at a device's location, with what was asked
 *   for, so a panel shows it offline "as of" its time and nobody asks the provider again before its expiry.
 */
import type { DeviceKey } from '../../../src-shared/contract'
import type { WeatherLanguage, WeatherProvider, WeatherReading, WeatherSecret, WeatherUnits } from '../../../src-shared/models/weather'
import { upsert } from '../store/cache.store'
import { docPages, getOrNull, type BaseDoc, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import { secretAccount } from '../vault/secret-store'

export const WEATHER_SETTINGS_ID = 'weather:settings'

export function weatherSecretAccount(field: WeatherSecret): string {
  return secretAccount(WEATHER_SETTINGS_ID, field)
}

export interface WeatherSettingsDoc extends BaseDoc {
  kind: 'weatherSettings'
  provider: WeatherProvider
  units: WeatherUnits
  language: WeatherLanguage
  urls: { twc: string; openMeteo: string; openMeteoCommercial: string }
  secretFields: WeatherSecret[]
  createdAt: string
  updatedAt: string
}

export function readWeatherSettings(db: Db): Promise<(WeatherSettingsDoc & { _rev: string }) | null> {
  return getOrNull<WeatherSettingsDoc>(db, WEATHER_SETTINGS_ID)
}

export function newWeatherSettingsDoc(fields: Omit<WeatherSettingsDoc, '_id' | '_rev' | 'kind' | 'schemaVersion'>): WeatherSettingsDoc {
  return { _id: WEATHER_SETTINGS_ID, kind: 'weatherSettings', schemaVersion: CURRENT_SCHEMA.weatherSettings, ...fields }
}

/** What a reading was asked for: a cached one answers only the same question. */
export interface WeatherRequest {
  provider: WeatherProvider
  units: WeatherUnits
  language: WeatherLanguage
  latitude: number
  longitude: number
}

/**
 * Whether a cached reading was taken at this position: one read elsewhere (the device moved since) is not the weather
 * at the device, neither for its page nor for the fleet's alert rules, until the weather there is fetched.
 */
export function readAt(request: Pick<WeatherRequest, 'latitude' | 'longitude'> | undefined, at: { latitude: number; longitude: number } | null | undefined): boolean {
  return !!at && request?.latitude === at.latitude && request?.longitude === at.longitude
}

export interface WeatherCacheDoc extends BaseDoc {
  kind: 'cache'
  request: WeatherRequest
  reading: WeatherReading
  fetchedAt: string
}

const CACHE_PREFIX = 'cache:weather:'

function cacheId(key: DeviceKey): string {
  return `${CACHE_PREFIX}${key.typeId}:${key.deviceId}`
}

export function readWeatherCache(db: Db, key: DeviceKey): Promise<WeatherCacheDoc | null> {
  return getOrNull<WeatherCacheDoc>(db, cacheId(key))
}

export function writeWeatherCache(db: Db, key: DeviceKey, request: WeatherRequest, reading: WeatherReading): Promise<void> {
  return upsert<WeatherCacheDoc>(db, { _id: cacheId(key), kind: 'cache', schemaVersion: CURRENT_SCHEMA.cache, request, reading, fetchedAt: reading.fetchedAt })
}

/** Every cached reading with the device it was read for, a page at a time (the fleet's weather alert rules read them all). */
export async function* weatherCachePages(db: Db, pageSize = 500): AsyncGenerator<{ key: DeviceKey; doc: WeatherCacheDoc }[], void, undefined> {
  for await (const page of docPages(db, CACHE_PREFIX, pageSize)) {
    yield page.flatMap((doc) => {
      const rest = doc._id.slice(CACHE_PREFIX.length)
      const colon = rest.indexOf(':')
      return colon > 0 ? [{ key: { typeId: rest.slice(0, colon), deviceId: rest.slice(colon + 1) }, doc: doc as WeatherCacheDoc }] : []
    })
  }
}
