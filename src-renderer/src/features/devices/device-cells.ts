/** How each column of the device list reads: its heading, its cells as text, its width. Pure, shared by the list and its tests. */
import { deviceColumnSchema, SIM_NOT_CACHED, type DeviceColumn, type DeviceRow, type ListColumn, type WeatherQuantity } from '../../../../src-shared/models/device-query'
import { cellText, columnValue } from '../../../../src-shared/models/device-table'
import { hasMessage, type Translate } from '../../i18n'
import { formatBytes, formatDateTime } from '../../lib/format'
import { statusText } from '../sim/sim-text'
import { quantityText } from '../weather/weather-text'

export const isDeviceColumn = (column: ListColumn): column is DeviceColumn => deviceColumnSchema.safeParse(column).success

export function columnLabel(t: Translate, column: ListColumn): string {
  return isDeviceColumn(column) ? t(`devices.columns.${column}`) : column.slice('metadata.'.length)
}

export function carrierName(t: Translate, carrier: string): string {
  return hasMessage(`carriers.${carrier}`) ? t(`carriers.${carrier}`) : carrier
}

export function simStatusName(t: Translate, status: string): string {
  if (status === SIM_NOT_CACHED) return t('devices.simNotCached')
  if (status === 'none') return t('devices.filters.noSim')
  return statusText(t, status)
}

const WEATHER_STATE_KEYS: Readonly<Record<string, string>> = {
  cached: 'devices.filters.weatherCached',
  notFetched: 'devices.filters.weatherNotFetched',
  moved: 'devices.filters.weatherMoved',
  none: 'devices.filters.noLocation',
}

/** A weather cache state as a filter names it (a value this version does not know is shown as it is). */
export function weatherStateName(t: Translate, state: string): string {
  const key = WEATHER_STATE_KEYS[state]
  return key ? t(key) : state
}

const quantity = (q: WeatherQuantity | null, locale: string | null | undefined): string => (q === null ? '' : quantityText(q, locale))

export const WEATHER_COLUMNS: ReadonlySet<ListColumn> = new Set(['weatherPhrase', 'weatherTemperature', 'weatherWindSpeed', 'weatherAsOf'])

/**
 * Why a weather cell is empty (its tooltip): no location, never fetched, fetched for an earlier location, or no such
 * value in the reading; null when it holds a value.
 */
export function weatherGap(t: Translate, row: DeviceRow, column: ListColumn): string | null {
  if (row.weatherStatus === null) return t('devices.weather.noLocation')
  if (row.weatherStatus === 'notFetched') return t('devices.weather.notFetched')
  if (row.weatherStatus === 'moved') return t('devices.weather.moved')
  return cellText(columnValue(row, column)) === '' ? t('devices.weather.noValue') : null
}

/** A cell as the operator reads it, in the interface's language. */
export function cellOf(t: Translate, locale: string | null | undefined, row: DeviceRow, column: ListColumn): string {
  switch (column) {
    case 'carrier':
      return row.carrier ? carrierName(t, row.carrier) : ''
    case 'simStatus':
      return row.simStatus ? simStatusName(t, row.simStatus) : ''
    case 'simAsOf':
      return row.simAsOf ? formatDateTime(row.simAsOf, locale) : ''
    case 'updatedAt':
      return formatDateTime(row.updatedAt, locale)
    case 'dataThisCycleBytes':
      return row.dataThisCycleBytes === null ? '' : formatBytes(row.dataThisCycleBytes, locale)
    case 'extensions':
      return row.extensions.map((e) => carrierName(t, e)).join(', ')
    case 'weatherTemperature':
      return quantity(row.weatherTemperature, locale)
    case 'weatherWindSpeed':
      return quantity(row.weatherWindSpeed, locale)
    case 'weatherAsOf':
      return row.weatherAsOf ? formatDateTime(row.weatherAsOf, locale) : ''
    // In words, as the filters name them: a cell is read, not parsed (exports keep true and false).
    case 'configErrors':
      return t(row.configErrors ? 'devices.filters.withErrors' : 'devices.filters.withoutErrors')
    case 'dmSupport':
      return t(row.dmSupport ? 'devices.filters.supported' : 'devices.filters.notSupported')
    default:
      return cellText(columnValue(row, column))
  }
}

/** Each column's narrowest width, where the list has room, and its share of what is left. */
const WIDTHS: Partial<Record<ListColumn, [min: string, share: string]>> = {
  typeId: ['6rem', '1fr'],
  deviceId: ['8rem', '1.3fr'],
  description: ['8rem', '2fr'],
  carrier: ['5rem', '0.8fr'],
  simId: ['10rem', '1.3fr'],
  extensions: ['8rem', '1.3fr'],
}
const DEFAULT_WIDTH: [string, string] = ['6rem', '1fr']
/** The selection box's column and the gap between columns (kit.css, .vrow). */
const BOX = '1.5rem'
const GAP = '0.75rem'

/**
 * The grid's columns: the selection box, then each column shown. A column is never narrower than its minimum unless the
 * list lacks the room for every minimum (many columns, a narrow window): then each takes an equal part of the width and
 * cuts its text (its tooltip shows it whole). Wider than the list, the rows would overflow their box: the headers cut
 * off from their columns, and a row taking the focus scrolled the list sideways, out of reach of the keyboard.
 */
export function gridColumns(columns: readonly ListColumn[]): string {
  const fair = `calc((100% - ${BOX} - ${columns.length} * ${GAP}) / ${columns.length})`
  return [BOX, ...columns.map((c) => WIDTHS[c] ?? DEFAULT_WIDTH).map(([min, share]) => `minmax(min(${min}, ${fair}), ${share})`)].join(' ')
}
