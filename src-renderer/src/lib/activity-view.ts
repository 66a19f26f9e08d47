/**
 * What the Activity page shows — text search and the filters by action, actor, device and day — as the hash route's
 * query string, so Back, a reload or a link returns to the same trail. Pure, like device-view.ts: the store, the page
 * and the tests share it. A parameter the contract would refuse (a hand-edited address) is dropped, never sent.
 */
import { z } from 'zod'
import { auditFilterSchema, type AuditFilter } from '../../../src-shared/contract'

const daySchema = z.iso.date().max(10)

/**
 * The filters as the address and the fields hold them: the range as the operator's own days (ISO dates), which
 * `auditFilterOf` turns into the instants the core reads.
 */
export const activityFilterSchema = auditFilterSchema
  .extend({
    // The trail names a device as type/ID: a type or an ID alone matched no entry and said nothing ("0–0 of 0").
    device: auditFilterSchema.shape.device.refine((v) => v === undefined || /^[^/]+\/[^/]+$/.test(v), {
      message: 'a device as type/ID',
      params: { messageKey: 'activity.filters.deviceFormat' },
    }),
    from: daySchema.optional(),
    to: daySchema.optional(),
  })
  .strict()
export type ActivityFilter = z.infer<typeof activityFilterSchema>

export interface ActivityView {
  text: string
  filter: ActivityFilter
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/
const FIELDS = ['action', 'actor', 'device', 'from', 'to'] as const

export function activityViewFromSearch(search: string): ActivityView {
  const params = new URLSearchParams(search)
  const text = (params.get('q') ?? '').slice(0, 200)
  const filter: ActivityFilter = {}
  for (const field of FIELDS) {
    const value = params.get(field)
    if (value && activityFilterSchema.safeParse({ [field]: value }).success) filter[field] = value
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

/** The instant a local day starts (`end`: the last millisecond before the next one starts), as ISO 8601. */
function localDayBound(value: string, end: boolean): string {
  const day = DAY.exec(value)
  if (!day) return value
  const [y, m, d] = [Number(day[1]), Number(day[2]) - 1, Number(day[3])]
  return (end ? new Date(new Date(y, m, d + 1).getTime() - 1) : new Date(y, m, d)).toISOString()
}

/**
 * The filter as the core reads it: the days the operator picked are their own days, so the rows, shown in local
 * time, all fall on the day asked for. Only this side knows the operator's zone: the contract takes instants.
 */
export function auditFilterOf(view: ActivityView): AuditFilter {
  const { from, to, ...rest } = view.filter
  return { ...rest, ...(from ? { from: localDayBound(from, false) } : {}), ...(to ? { to: localDayBound(to, true) } : {}) }
}

/** The filter of an export started at `startedAt`: entries written after it are left out (activity.svelte.ts). */
export function auditFilterUntil(view: ActivityView, startedAt: number): AuditFilter {
  const filter = auditFilterOf(view)
  const until = new Date(startedAt).toISOString()
  return !filter.to || !(Date.parse(filter.to) <= startedAt) ? { ...filter, to: until } : filter
}
