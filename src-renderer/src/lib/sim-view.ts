/**
 * What the SIMs page shows — text search, filters, sort — as the hash route's query string, so Back, a reload or a
 * link returns to the same view. Pure: the store and the page share it, the tests read it without a browser. A
 * parameter the contract would refuse (a hand-edited address) is dropped, never sent.
 */
import { simFiltersSchema, simSortSchema, type SimFilters, type SimQuery } from '../../../src-shared/models/sim-inventory'

export type SimSort = SimQuery['sort']

export interface SimView {
  text: string
  filters: Omit<SimFilters, 'text'>
  sort: SimSort
  descending: boolean
}

export const DEFAULT_SIM_VIEW: SimView = { text: '', filters: {}, sort: 'simId', descending: false }

/** Each filter field by the parameter that carries it, in the order the address spells them. */
const LIST_PARAMS = { carrier: 'carrier', account: 'account', status: 'status', plan: 'ratePlan' } as const
const NUMBER_PARAMS = { above: 'dataAbove', below: 'dataBelow' } as const

export function simViewFromSearch(search: string): SimView {
  const params = new URLSearchParams(search)
  const filters: Record<string, unknown> = {}
  const take = (field: keyof SimFilters, value: unknown) => {
    const ok = simFiltersSchema.shape[field].safeParse(value)
    if (ok.success && ok.data !== undefined) filters[field] = ok.data
  }
  for (const [param, field] of Object.entries(LIST_PARAMS)) {
    const raw = params.get(param)
    if (raw) take(field, raw.split(','))
  }
  for (const [param, field] of Object.entries(NUMBER_PARAMS)) {
    const raw = params.get(param)
    if (raw && /^\d{1,16}$/.test(raw)) take(field, Number(raw))
  }
  const attached = params.get('attached')
  if (attached === 'yes' || attached === 'no') filters.attached = attached === 'yes'
  const before = params.get('before')
  if (before) take('refreshedBefore', before)
  const sort = simSortSchema.safeParse(params.get('sort'))
  return {
    text: (params.get('q') ?? '').slice(0, 200),
    filters: filters as SimView['filters'],
    sort: sort.success ? sort.data : DEFAULT_SIM_VIEW.sort,
    descending: params.get('desc') === '1',
  }
}

/** The view as a query string holding only what differs from the default view, in a fixed order (one view, one address). */
export function searchOfSimView(view: SimView): string {
  const params = new URLSearchParams()
  if (view.text) params.set('q', view.text)
  for (const [param, field] of Object.entries(LIST_PARAMS)) {
    const values = view.filters[field]
    if (values && values.length > 0) params.set(param, values.join(','))
  }
  for (const [param, field] of Object.entries(NUMBER_PARAMS)) {
    const value = view.filters[field]
    if (value !== undefined) params.set(param, String(value))
  }
  if (view.filters.attached !== undefined) params.set('attached', view.filters.attached ? 'yes' : 'no')
  if (view.filters.refreshedBefore) params.set('before', view.filters.refreshedBefore)
  if (view.sort !== DEFAULT_SIM_VIEW.sort) params.set('sort', view.sort)
  if (view.descending) params.set('desc', '1')
  return params.toString()
}

/** The query the core answers: the text search is one more filter. */
export function queryOfSimView(view: SimView): SimQuery {
  const text = view.text.trim()
  return { filters: text ? { ...view.filters, text } : { ...view.filters }, sort: view.sort, descending: view.descending }
}

/** The view a saved query shows. */
export function simViewOfQuery(query: SimQuery): SimView {
  const { text, ...filters } = query.filters
  return { text: text ?? '', filters, sort: query.sort, descending: query.descending }
}

/** Sorting by a column's header: ascending first, then the other way. */
export function simSortedBy(view: SimView, sort: SimSort): SimView {
  return { ...view, sort, descending: view.sort === sort ? !view.descending : false }
}

/** One filter field set to one value, or cleared (undefined). */
export function withSimFilter<F extends keyof SimView['filters']>(view: SimView, field: F, value: SimView['filters'][F] | undefined): SimView {
  const filters = { ...view.filters }
  if (value === undefined) delete filters[field]
  else filters[field] = value
  return { ...view, filters }
}
