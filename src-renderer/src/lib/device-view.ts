/**
 * What the device list shows — text search, field filters, sort and columns — as the hash route's query string, so
 * Back, a reload or a link returns to the same view. Pure: the store and the page share it, the tests read it without
 * a browser. A parameter the contract would refuse (a hand-edited address) is dropped, never sent.
 */
import { z } from 'zod'
import {
  DEVICE_COLUMNS,
  deviceColumnSchema,
  deviceFiltersSchema,
  listColumnSchema,
  type DeviceColumn,
  type DeviceFilters,
  type DeviceQuery,
  type ListColumn,
} from '../../../src-shared/models/device-query'

export interface DeviceView {
  text: string
  filters: DeviceFilters
  sort: DeviceColumn
  descending: boolean
  columns: ListColumn[]
}

export const DEFAULT_COLUMNS: readonly ListColumn[] = ['typeId', 'deviceId', 'description', 'carrier', 'simStatus', 'extensions']
/** The columns an operator may add (the row's flags configErrors and dmSupport show as badges, not columns). */
export const CHOOSABLE_COLUMNS: readonly DeviceColumn[] = DEVICE_COLUMNS.filter((c) => c !== 'configErrors' && c !== 'dmSupport')
export const DEFAULT_VIEW: DeviceView = { text: '', filters: {}, sort: 'typeId', descending: false, columns: [...DEFAULT_COLUMNS] }

/** The filter fields that take a list of values, by the parameter that carries them. */
const LIST_PARAMS = { type: 'typeId', carrier: 'carrier', sim: 'simStatus', ext: 'extension', weather: 'weather' } as const
const FLAG_PARAMS = { errors: 'configErrors', dm: 'dmSupport' } as const

function parsed<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const result = schema.safeParse(value)
  return result.success ? result.data : undefined
}

export function viewFromSearch(search: string): DeviceView {
  const params = new URLSearchParams(search)
  const filters: Record<string, unknown> = {}
  for (const [param, field] of Object.entries(LIST_PARAMS)) {
    const raw = params.get(param)
    if (!raw) continue
    const value = parsed(deviceFiltersSchema.shape[field], raw.split(','))
    if (value) filters[field] = value
  }
  for (const [param, field] of Object.entries(FLAG_PARAMS)) {
    const raw = params.get(param)
    if (raw === 'yes' || raw === 'no') filters[field] = raw === 'yes'
  }
  const columns = (params.get('cols') ?? '')
    .split(',')
    .map((c) => parsed(listColumnSchema, c))
    .filter((c): c is ListColumn => c !== undefined)
  return {
    text: (params.get('q') ?? '').slice(0, 200),
    filters: parsed(deviceFiltersSchema, filters) ?? {},
    sort: parsed(deviceColumnSchema, params.get('sort')) ?? DEFAULT_VIEW.sort,
    descending: params.get('desc') === '1',
    columns: columns.length > 0 ? [...new Set(columns)].slice(0, 40) : [...DEFAULT_COLUMNS],
  }
}

/** The view as a query string holding only what differs from the default view, in a fixed order (one view, one address). */
export function searchOfView(view: DeviceView): string {
  const params = new URLSearchParams()
  if (view.text) params.set('q', view.text)
  for (const [param, field] of Object.entries(LIST_PARAMS)) {
    const values = view.filters[field]
    if (values && values.length > 0) params.set(param, values.join(','))
  }
  for (const [param, field] of Object.entries(FLAG_PARAMS)) {
    const value = view.filters[field]
    if (value !== undefined) params.set(param, value ? 'yes' : 'no')
  }
  if (view.sort !== DEFAULT_VIEW.sort) params.set('sort', view.sort)
  if (view.descending) params.set('desc', '1')
  if (view.columns.join(',') !== DEFAULT_COLUMNS.join(',')) params.set('cols', view.columns.join(','))
  return params.toString()
}

/** The query the core answers: the view without its columns. */
export function queryOfView(view: DeviceView): DeviceQuery {
  return { text: view.text, filters: view.filters, sort: view.sort, descending: view.descending }
}

/** Two views ask the same devices of the core (in the same order) whatever columns they show. */
export function sameQuery(a: DeviceView, b: DeviceView): boolean {
  return JSON.stringify(queryOfView(a)) === JSON.stringify(queryOfView(b))
}

/** Sorting by a column's header: ascending first, then the other way. */
export function sortedBy(view: DeviceView, column: DeviceColumn): DeviceView {
  return { ...view, sort: column, descending: view.sort === column ? !view.descending : false }
}

/** One filter field set to one value, or cleared (undefined). */
export function withFilter<F extends keyof DeviceFilters>(view: DeviceView, field: F, value: DeviceFilters[F] | undefined): DeviceView {
  const filters = { ...view.filters }
  if (value === undefined) delete filters[field]
  else filters[field] = value
  return { ...view, filters }
}

export function metadataFieldsOf(columns: readonly ListColumn[]): string[] {
  return columns.filter((c) => c.startsWith('metadata.')).map((c) => c.slice('metadata.'.length))
}
