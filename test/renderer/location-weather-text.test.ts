import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import type { WeatherReading } from '../../src-shared/models/weather'
import { editable, optionalDecimal, typedDecimal } from '../../src-renderer/src/features/devices/location/location-input'
import { directionText, phraseText, pointText, quantityText, uiLanguage } from '../../src-renderer/src/features/weather/weather-text'
import type { Translate } from '../../src-renderer/src/i18n'
import '../../src-renderer/src/i18n'

const t: Translate = (key, options) => get(format)(key, options)

describe('coordinates typed in the location form', () => {
  it('reads plain decimals with a point, or a comma as French writes them', () => {
    expect(typedDecimal(' 45.1885 ')).toBe(45.1885)
    expect(typedDecimal('45,1885')).toBe(45.1885)
    expect(typedDecimal('-4.49')).toBe(-4.49)
  })

  it('turns anything else into NaN, for the contract to refuse, rather than a number nobody typed', () => {
    for (const text of ['', 'abc', '1e3', '0x10', 'NaN', 'Infinity', '1,234.5', '1.2.3', '45,18,85']) expect(typedDecimal(text)).toBeNaN()
  })

  it('leaves an empty optional field out, and keeps a bad one for the contract to refuse', () => {
    expect(optionalDecimal('  ')).toBeUndefined()
    expect(optionalDecimal('212')).toBe(212)
    expect(optionalDecimal('high')).toBeNaN()
    expect(editable(null)).toBe('')
    expect(editable(-4.49)).toBe('-4.49')
  })
})

describe('a weather reading in words', () => {
  const wind = (direction: number | null, cardinal: string | null) => ({ speed: { value: 0, unit: 'km/h' as const }, gust: { value: null, unit: 'km/h' as const }, direction, cardinal })

  it('phrases Open-Meteo’s WMO code in the interface’s language, and keeps TWC’s own phrase', () => {
    const openMeteo = { weatherCode: 63, phrase: 'Moderate rain' } as WeatherReading
    expect(phraseText(t, openMeteo, 'fr')).toBe('Pluie modérée')
    expect(phraseText(t, { weatherCode: null, phrase: 'Rain' } as WeatherReading, 'fr')).toBe('Rain')
    locale.set('en')
    expect(phraseText(t, { weatherCode: 42, phrase: null } as WeatherReading, 'en')).toBe('Weather code 42')
  })

  it('names where the wind blows from in the interface’s language, and a calm or variable wind in words', () => {
    expect(directionText(t, wind(247, 'WSW'), 'fr', 'fr')).toBe('OSO (247°)')
    expect(directionText(t, wind(247, 'WSW'), 'en', 'en')).toBe('WSW (247°)')
    locale.set('fr')
    expect(directionText(t, wind(null, 'CALM'), 'fr', 'fr')).toBe('Calme')
    expect(directionText(t, wind(null, 'VAR'), 'fr', 'fr')).toBe('Variable')
    expect(directionText(t, wind(null, null), 'fr', 'fr')).toBe('—')
  })

  it('writes values with their units in the locale’s digits, and a dash for a value the provider did not give', () => {
    expect(quantityText({ value: 12.46, unit: '°C' }, 'en')).toBe('12.5\u00a0°C')
    expect(quantityText({ value: 1015.1, unit: 'hPa' }, 'fr')).toBe('1\u202f015,1\u00a0hPa')
    expect(quantityText({ value: 76, unit: '%' }, 'en')).toBe('76%')
    expect(quantityText({ value: 76, unit: '%' }, 'fr')).toBe('76\u00a0%')
    expect(quantityText({ value: null, unit: 'km/h' }, 'en')).toBe('—')
  })

  it('writes a point so that a decimal comma cannot be mistaken for the separator', () => {
    locale.set('fr')
    expect(pointText(t, { latitude: 48.39, longitude: -4.49 }, 'fr')).toBe('48,39°\u202f; -4,49°')
    locale.set('en')
    expect(pointText(t, { latitude: 48.39, longitude: -4.49 }, 'en')).toBe('48.39°, -4.49°')
    expect(uiLanguage('fr-FR')).toBe('fr')
    expect(uiLanguage(null)).toBe('en')
  })
})
