/**
 * The weather configuration a request uses: the saved settings (or the defaults, Open-Meteo's free API), or for
 * scripts the FIELDLINE_WEATHER_* variables in their place. Provider URLs may be https://, or http:// to this computer
 * only (where the test peers run).
 */
import type { WeatherLanguage, WeatherProvider, WeatherUnits } from '../../../src-shared/models/weather'
import { WEATHER_DEFAULT_URLS, WEATHER_PROVIDER_PARTS, WEATHER_PROVIDERS, weatherProviderSchema } from '../../../src-shared/models/weather'
import { AppError } from '../common/errors'
import { assertSecureUrl } from '../http/secure-url'

export interface ResolvedWeather {
  provider: WeatherProvider
  units: WeatherUnits
  language: WeatherLanguage
  url: string
  apiKey: string | null
}

export function normaliseWeatherUrl(url: string): string {
  return assertSecureUrl(url).href.replace(/\/+$/, '')
}

export interface WeatherEnvironment {
  provider: WeatherProvider
  url: string
  apiKey: string | null
}

export const WEATHER_ENV = ['FIELDLINE_WEATHER_PROVIDER', 'FIELDLINE_WEATHER_URL', 'FIELDLINE_WEATHER_API_KEY'] as const

/** True when the process environment configures weather (the CLI then uses it instead of the saved settings). */
export function hasWeatherEnvironment(env: NodeJS.ProcessEnv): boolean {
  return WEATHER_ENV.some((name) => env[name] !== undefined && env[name] !== '')
}

/**
 * FIELDLINE_WEATHER_PROVIDER (open-meteo, open-meteo-commercial or twc; default open-meteo), FIELDLINE_WEATHER_URL
 * (default: the provider's own host) and FIELDLINE_WEATHER_API_KEY (required by twc and open-meteo-commercial).
 */
export function weatherEnvironment(env: NodeJS.ProcessEnv): WeatherEnvironment {
  const rawProvider = env.FIELDLINE_WEATHER_PROVIDER || 'open-meteo'
  const provider = weatherProviderSchema.safeParse(rawProvider)
  if (!provider.success) {
    throw AppError.withRef('VALIDATION', `FIELDLINE_WEATHER_PROVIDER must be one of ${WEATHER_PROVIDERS.join(', ')} (got ${JSON.stringify(rawProvider.slice(0, 40))})`, {
      key: 'weather.envInvalid',
      params: { name: 'FIELDLINE_WEATHER_PROVIDER' },
    })
  }
  const apiKey = env.FIELDLINE_WEATHER_API_KEY || null
  if (WEATHER_PROVIDER_PARTS[provider.data].secret && !apiKey) {
    throw AppError.withRef('VALIDATION', `FIELDLINE_WEATHER_API_KEY is required for ${provider.data}`, { key: 'weather.envInvalid', params: { name: 'FIELDLINE_WEATHER_API_KEY' } })
  }
  const url = env.FIELDLINE_WEATHER_URL ? environmentUrl(env.FIELDLINE_WEATHER_URL) : normaliseWeatherUrl(WEATHER_DEFAULT_URLS[WEATHER_PROVIDER_PARTS[provider.data].url])
  return { provider: provider.data, url, apiKey }
}

/** A script's URL refused names the variable it came from, as the historian's variables do: nothing else says where. */
function environmentUrl(value: string): string {
  try {
    return normaliseWeatherUrl(value)
  } catch (e) {
    if (!(e instanceof AppError)) throw e
    throw AppError.withRef('VALIDATION', `FIELDLINE_WEATHER_URL must be an https:// URL (http:// for this computer only): ${e.message}`, {
      key: 'weather.envInvalid',
      params: { name: 'FIELDLINE_WEATHER_URL' },
    })
  }
}
