import { describe, expect, it } from 'vitest'
import { WMO_CODES, cardinal, wmoPhrase } from '../../src-shared/models/wmo-codes'
import { UNIT_SETS, convert, openMeteoUnit, round } from '../../src-main/core/weather/units'
import { maxAgeExpiry } from '../../src-main/core/weather/weather-client'

describe('weather units', () => {
  it.each([
    [0, '°C', '°F', 32],
    [100, '°C', '°F', 212],
    [-40, '°F', '°C', -40],
    [36, 'km/h', 'm/s', 10],
    [10, 'm/s', 'km/h', 36],
    [100, 'km/h', 'mph', 62.137],
    [1, 'kn', 'km/h', 1.852],
    [1013.25, 'hPa', 'inHg', 29.921],
    [29.92, 'inHg', 'hPa', 1013.21],
    [24_140, 'm', 'km', 24.14],
    [16_093.44, 'm', 'mi', 10],
    [5280, 'ft', 'mi', 1],
  ] as const)('%s %s is %s %s', (value, from, to, expected) => {
    expect(convert(value, from, to)).toBeCloseTo(expected, 2)
  })

  it('refuses to convert across dimensions', () => {
    expect(() => convert(1, 'km/h', 'hPa')).toThrow(RangeError)
  })

  it('rounds each unit to what the instrument can tell', () => {
    expect([round(29.9213, 'inHg'), round(1013.25, 'hPa'), round(21.46, '°C'), round(64.4, '%')]).toEqual([29.92, 1013.3, 21.5, 64])
  })

  it("maps TWC's systems (m, e, h, s) to one unit per quantity", () => {
    expect(UNIT_SETS).toEqual({
      metric: { temperature: '°C', speed: 'km/h', pressure: 'hPa', distance: 'km' },
      imperial: { temperature: '°F', speed: 'mph', pressure: 'inHg', distance: 'mi' },
      hybrid: { temperature: '°C', speed: 'mph', pressure: 'hPa', distance: 'mi' },
      si: { temperature: '°C', speed: 'm/s', pressure: 'hPa', distance: 'km' },
    })
  })

  it("reads Open-Meteo's unit strings, mph written mp/h, and nothing it does not know", () => {
    expect([openMeteoUnit('mp/h'), openMeteoUnit('km/h'), openMeteoUnit('°F'), openMeteoUnit('m')]).toEqual(['mph', 'km/h', '°F', 'm'])
    expect([openMeteoUnit('furlong'), openMeteoUnit('constructor'), openMeteoUnit('')]).toEqual([null, null, null])
  })

  it('honours cache-control max-age, and nothing else', () => {
    expect(maxAgeExpiry('public, max-age=599', 1000)).toBe(600_000)
    expect(maxAgeExpiry('max-age=0', 5)).toBe(5)
    expect([maxAgeExpiry(undefined, 0), maxAgeExpiry('no-cache', 0), maxAgeExpiry('s-max-age=9', 0), maxAgeExpiry('max-age=-3', 0)]).toEqual([null, null, null, null])
  })
})

describe('WMO codes and compass points', () => {
  it('phrases every code Open-Meteo documents, in English and French', () => {
    expect(WMO_CODES).toEqual([0, 1, 2, 3, 45, 48, 51, 53, 55, 56, 57, 61, 63, 65, 66, 67, 71, 73, 75, 77, 80, 81, 82, 85, 86, 95, 96, 99])
    for (const code of WMO_CODES) {
      expect(wmoPhrase(code, 'en')).toEqual(expect.any(String))
      expect(wmoPhrase(code, 'fr')).toEqual(expect.any(String))
      expect(wmoPhrase(code, 'fr')).not.toBe(wmoPhrase(code, 'en'))
    }
    expect([wmoPhrase(0, 'en'), wmoPhrase(0, 'fr'), wmoPhrase(99, 'fr')]).toEqual(['Clear sky', 'Ciel dégagé', 'Orage avec forte grêle'])
    expect(wmoPhrase(4, 'en')).toBeNull()
  })

  it('gives the 16-point compass direction, west written O in French', () => {
    expect([0, 11.24, 11.25, 90, 180, 247, 270, 348.75, 359, 360, -90].map((d) => cardinal(d, 'en'))).toEqual(['N', 'N', 'NNE', 'E', 'S', 'WSW', 'W', 'N', 'N', 'N', 'W'])
    expect([247, 270, 315, 337.5].map((d) => cardinal(d, 'fr'))).toEqual(['OSO', 'O', 'NO', 'NNO'])
  })
})
