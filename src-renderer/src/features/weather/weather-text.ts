import type { Quantity, WeatherLanguage, WeatherReading } from '../../../../src-shared/models/weather'
import { cardinal, wmoPhrase } from '../../../../src-shared/models/wmo-codes'
import { wordFor, type Translate } from '../../i18n'
import { formatNumber } from '../../lib/format'

/** Words for the weather extension's readings, shared by the device panel and the Extensions card. */

/** The interface language as the weather models name it (the catalogue's locale may carry a region). */
export function uiLanguage(locale: string | null | undefined): WeatherLanguage {
  return locale?.startsWith('fr') ? 'fr' : 'en'
}

/**
 * What the weather is like: Open-Meteo's WMO code phrased in the interface's language (the core phrased it in the
 * settings' language when it read it), TWC's own phrase as it sent it.
 */
export function phraseText(t: Translate, reading: WeatherReading, language: WeatherLanguage): string {
  if (reading.weatherCode !== null) return wmoPhrase(reading.weatherCode, language) ?? t('weather.panel.wmoCode', { values: { code: reading.weatherCode } })
  return reading.phrase ?? '—'
}

/** TWC's words for a wind without a direction. */
const TWC_NO_DIRECTION: Readonly<Record<string, string>> = { CALM: 'calm', VAR: 'variable' }

/** Where the wind blows from: the compass point in the interface's language with the degrees, or why there is none. */
export function directionText(t: Translate, wind: WeatherReading['wind'], language: WeatherLanguage, locale: string | null | undefined): string {
  if (wind.direction !== null) return `${cardinal(wind.direction, language)} (${formatNumber(wind.direction, locale, 0)}°)`
  const word = wind.cardinal === null ? undefined : TWC_NO_DIRECTION[wind.cardinal.toUpperCase()]
  if (word) return wordFor(t, 'weather.panel.direction', word)
  return wind.cardinal ?? '—'
}

/** A value with its unit ("12.5 °C", "12,5 °C", "80 %"); a dash when the provider gave none. */
export function quantityText(quantity: Quantity, locale: string | null | undefined): string {
  if (quantity.value === null) return '—'
  if (quantity.unit === '%') return new Intl.NumberFormat(locale ?? 'en', { style: 'unit', unit: 'percent', maximumFractionDigits: 0 }).format(quantity.value)
  return `${formatNumber(quantity.value, locale, 1)}\u00a0${quantity.unit}`
}

/** A latitude and longitude in decimal degrees ("45.19°, 5.72°"; "45,19° ; 5,72°" where the comma is the decimal sign). */
export function pointText(t: Translate, point: { latitude: number; longitude: number }, locale: string | null | undefined): string {
  return t('weather.panel.point', { values: { latitude: formatNumber(point.latitude, locale, 6), longitude: formatNumber(point.longitude, locale, 6) } })
}
