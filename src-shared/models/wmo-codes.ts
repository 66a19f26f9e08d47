/**
 * Open-Meteo reports the weather as a WMO weather interpretation code (WMO 4677, the subset Open-Meteo documents:
 * docs/wire/weather.md §4), not as text, so Fieldline phrases it itself, in English and French. TWC sends its own
 * phrase in the language asked for. Shared with the renderer, which may phrase a cached reading in the UI's language.
 */
import type { WeatherLanguage } from './weather'

const PHRASES: Readonly<Record<number, Readonly<Record<WeatherLanguage, string>>>> = {
  0: { en: 'Clear sky', fr: 'Ciel dégagé' },
  1: { en: 'Mainly clear', fr: 'Plutôt dégagé' },
  2: { en: 'Partly cloudy', fr: 'Partiellement nuageux' },
  3: { en: 'Overcast', fr: 'Couvert' },
  45: { en: 'Fog', fr: 'Brouillard' },
  48: { en: 'Depositing rime fog', fr: 'Brouillard givrant' },
  51: { en: 'Light drizzle', fr: 'Bruine légère' },
  53: { en: 'Moderate drizzle', fr: 'Bruine modérée' },
  55: { en: 'Dense drizzle', fr: 'Bruine dense' },
  56: { en: 'Light freezing drizzle', fr: 'Bruine verglaçante légère' },
  57: { en: 'Dense freezing drizzle', fr: 'Bruine verglaçante dense' },
  61: { en: 'Slight rain', fr: 'Pluie faible' },
  63: { en: 'Moderate rain', fr: 'Pluie modérée' },
  65: { en: 'Heavy rain', fr: 'Pluie forte' },
  66: { en: 'Light freezing rain', fr: 'Pluie verglaçante légère' },
  67: { en: 'Heavy freezing rain', fr: 'Pluie verglaçante forte' },
  71: { en: 'Slight snowfall', fr: 'Chute de neige faible' },
  73: { en: 'Moderate snowfall', fr: 'Chute de neige modérée' },
  75: { en: 'Heavy snowfall', fr: 'Chute de neige forte' },
  77: { en: 'Snow grains', fr: 'Neige en grains' },
  80: { en: 'Slight rain showers', fr: 'Averses de pluie faibles' },
  81: { en: 'Moderate rain showers', fr: 'Averses de pluie modérées' },
  82: { en: 'Violent rain showers', fr: 'Averses de pluie violentes' },
  85: { en: 'Slight snow showers', fr: 'Averses de neige faibles' },
  86: { en: 'Heavy snow showers', fr: 'Averses de neige fortes' },
  95: { en: 'Thunderstorm', fr: 'Orage' },
  96: { en: 'Thunderstorm with slight hail', fr: 'Orage avec grêle faible' },
  99: { en: 'Thunderstorm with heavy hail', fr: 'Orage avec forte grêle' },
}

export const WMO_CODES: readonly number[] = Object.keys(PHRASES).map(Number)

/** The phrase of a WMO code, or null for a code outside Open-Meteo's documented set (shown as the number). */
export function wmoPhrase(code: number, language: WeatherLanguage): string | null {
  return PHRASES[code]?.[language] ?? null
}

const CARDINALS: Readonly<Record<WeatherLanguage, readonly string[]>> = {
  en: ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW'],
  // French writes west as O (ouest).
  fr: ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSO', 'SO', 'OSO', 'O', 'ONO', 'NO', 'NNO'],
}

/** The 16-point compass direction a wind blows from, for a direction in degrees (0 = from the north, clockwise). */
export function cardinal(degrees: number, language: WeatherLanguage): string {
  const normalised = ((degrees % 360) + 360) % 360
  return CARDINALS[language][Math.round(normalised / 22.5) % 16]!
}
