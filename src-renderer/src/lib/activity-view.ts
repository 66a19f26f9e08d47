/**
 * What the Activity page shows — text search and the filters by action, actor, device and day — as the hash route's
 * query string, so Back, a reload or a link returns to the same trail. Pure, like device-view.ts: the store, the page
 * and the tests share it. A parameter the contract would refuse (a hand-edited address) is dropped, never sent.
 */
import { auditFilterSchema, type AuditFilter } from '../../../src-shared/contract'

export interface ActivityView {
  text: string
  filter: AuditFilter
}

const DAY = /^\d{4}-\d{2}-\d{2}$/
const FIELDS = ['action', 'actor', 'device', 'from', 'to'] as const

export function activityViewFromSearch(search: string): ActivityView {
  const params = new URLSearchParams(search)
  const text = (params.get('q') ?? '').slice(0, 200)
  const filter: AuditFilter = {}
  for (const field of FIELDS) {
    const value = params.get(field)
    if (!value) continue
    if ((field === 'from' || field === 'to') && !DAY.test(value)) continue
    if (auditFilterSchema.safeParse({ [field]: value }).success) filter[field] = value
  }
  return { text, filter }
}

/** One canonical spelling: the same view always gives the same address. */
export function searchOfActivityView(view: ActivityView): string {
  const params = new URLSearchParams()
  if (view.text) params.set('q', view.text)
  for (const field of FIELDS) {
    const value = view.filter[field]
    if (value) params.set(field, value)
  }
  return params.toString()
}

/** The view with one filter set, or cleared when `value` is empty. */
export function withActivityFilter(view: ActivityView, field: (typeof FIELDS)[number], value: string): ActivityView {
  const { [field]: _old, ...rest } = view.filter
  return { ...view, filter: value ? { ...rest, [field]: value } : rest }
}
