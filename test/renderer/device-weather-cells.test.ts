import { get } from 'svelte/store'
import { format } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import type { DeviceRow } from '../../src-shared/models/device-query'
import { cellOf, columnLabel, weatherGap, weatherStateName } from '../../src-renderer/src/features/devices/device-cells'
import type { Translate } from '../../src-renderer/src/i18n'
import '../../src-renderer/src/i18n'
import { deviceRow } from './device-rows'

const t: Translate = (key, options) => get(format)(key, options)

const row = (weather: Partial<DeviceRow>): DeviceRow =>
  deviceRow({
    weatherStatus: 'cached',
    weatherPhrase: 'Moderate rain',
    weatherTemperature: { value: -3.25, unit: '°C' },
    weatherWindSpeed: { value: 72.4, unit: 'km/h' },
    weatherAsOf: '2026-03-10T09:00:00.000Z',
    ...weather,
  })

describe('weather cells of the device list', () => {
  it('shows cached values in the locale, with their unit, and no reason', () => {
    expect(cellOf(t, 'en', row({}), 'weatherTemperature')).toBe('-3.3\u00a0°C')
    expect(cellOf(t, 'fr', row({}), 'weatherWindSpeed')).toBe('72,4\u00a0km/h')
    expect(cellOf(t, 'en', row({}), 'weatherPhrase')).toBe('Moderate rain')
    expect(cellOf(t, 'en', row({}), 'weatherAsOf')).toMatch(/2026/)
    expect(weatherGap(t, row({}), 'weatherTemperature')).toBeNull()
    expect(columnLabel(t, 'weatherWindSpeed')).toBe('Wind speed')
  })

  it('says why a cell is empty: no location, never fetched, fetched elsewhere, or no such value in the reading', () => {
    const empty = { weatherPhrase: null, weatherTemperature: null, weatherWindSpeed: null, weatherAsOf: null }
    expect(cellOf(t, 'en', row({ ...empty, weatherStatus: null }), 'weatherTemperature')).toBe('')
    expect(weatherGap(t, row({ ...empty, weatherStatus: null }), 'weatherTemperature')).toBe('No location: set one to see the weather here.')
    expect(weatherGap(t, row({ ...empty, weatherStatus: 'notFetched' }), 'weatherPhrase')).toMatch(/never fetched/)
    expect(weatherGap(t, row({ ...empty, weatherStatus: 'moved' }), 'weatherAsOf')).toMatch(/earlier location/)
    expect(weatherGap(t, row({ weatherWindSpeed: null }), 'weatherWindSpeed')).toBe('The provider gave no value.')
    expect(weatherStateName(t, 'none')).toBe('No location')
    expect(weatherStateName(t, 'later')).toBe('later')
  })
})
