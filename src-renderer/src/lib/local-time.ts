/**
 * Dates and times as the operator types them (the history's range, Activity's days, the SIM list's "refreshed before",
 * a location's "measured at"): in this computer's zone, written in the order of the interface's language (12/31/2026
 * 23:59 in English, 31/12/2026 23:59 in French), which the core takes as ISO dates and times. Plain text, not the
 * browser's date inputs: those follow the browser's language, so a French window showed mm/dd/yyyy in an English
 * browser, and the order of day and month is the one thing a date must not get wrong.
 */

import type { MessageRef } from '../../../src-shared/contract'

type Part = 'day' | 'month' | 'year'

/** What fromLocalInput sends for a time it read (toISOString), as opposed to the text it could not read. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

const pad = (n: number): string => String(n).padStart(2, '0')

/** The order of day, month and year in the language's numeric dates (month first in English, day first in French). */
function dateOrder(locale: string | null | undefined): Part[] {
  const parts = new Intl.DateTimeFormat(locale ?? 'en', { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(2026, 11, 31))
  const order = parts.map((p) => p.type).filter((t): t is Part => t === 'day' || t === 'month' || t === 'year')
  return order.length === 3 ? order : ['month', 'day', 'year']
}

/** A time as the field shows it, to the minute: "12/31/2026 23:59" in English, "31/12/2026 23:59" in French. */
export function localInput(ms: number, locale: string | null | undefined): string {
  const d = new Date(ms)
  const values: Record<Part, string> = { day: pad(d.getDate()), month: pad(d.getMonth() + 1), year: String(d.getFullYear()) }
  return `${dateOrder(locale)
    .map((p) => values[p])
    .join('/')} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** The example a time field's hint and problem give, in the language's order: "12/31/2026 23:59" in English, "31/12/2026 23:59" in French. */
export function timeExample(locale: string | null | undefined): string {
  return localInput(new Date(2026, 11, 31, 23, 59).getTime(), locale)
}

interface Typed {
  year: number
  month: number
  day: number
  /** Absent when only a date was typed. */
  time?: { hours: number; minutes: number; seconds: number }
}

/**
 * The parts of what the operator typed: the language's order of day, month and a four-digit year (separated by / . or
 * -), or the ISO order (year first), then, optionally, hours and minutes on a 24-hour clock (23:59 or 23h59) and seconds. Null when it does not read so.
 */
function typedParts(text: string, locale: string | null | undefined): Typed | null {
  const m = /^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?:[\s,T]+(\d{1,2})[:hH](\d{2})(?::(\d{2}))?)?$/.exec(text.trim())
  if (!m) return null
  // A four-digit first number is the ISO order (2026-12-31, as the address and exports write it) in every language:
  // no language writes its year first with day and month after it in the other order.
  const order: Part[] = m[1]?.length === 4 ? ['year', 'month', 'day'] : dateOrder(locale)
  const at = (part: Part) => Number(m[order.indexOf(part) + 1])
  if (m[order.indexOf('year') + 1]?.length !== 4) return null
  const time = m[4] === undefined ? undefined : { hours: Number(m[4]), minutes: Number(m[5]), seconds: Number(m[6] ?? 0) }
  return { year: at('year'), month: at('month'), day: at('day'), ...(time ? { time } : {}) }
}

/**
 * What the operator typed as epoch milliseconds, or null when it is not a date and time that exists (typedParts); without
 * a time, midnight. A day a month lacks (31/02) or a time a clock change skips is refused, not moved.
 */
export function parseLocalInput(text: string, locale: string | null | undefined): number | null {
  const typed = typedParts(text, locale)
  if (!typed) return null
  const { year, month, day } = typed
  const { hours, minutes, seconds } = typed.time ?? { hours: 0, minutes: 0, seconds: 0 }
  const d = new Date(year, month - 1, day, hours, minutes, seconds)
  const exists = d.getFullYear() === year && d.getMonth() === month - 1 && d.getDate() === day && d.getHours() === hours && d.getMinutes() === minutes && d.getSeconds() === seconds
  return exists ? d.getTime() : null
}

/** A calendar day typed without a time, as the ISO date the filters keep ("2026-12-31"); null when it is none that exists. */
export function parseLocalDate(text: string, locale: string | null | undefined): string | null {
  const typed = typedParts(text, locale)
  if (!typed || typed.time) return null
  const { year, month, day } = typed
  const d = new Date(Date.UTC(year, month - 1, day))
  const exists = d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day
  return exists ? `${String(year).padStart(4, '0')}-${pad(month)}-${pad(day)}` : null
}

/**
 * Why a typed day is refused, for the field's words: 'form' when it does not read as a date in the language's order,
 * 'noSuchDay' when it does but the calendar lacks that day (31/02/2026, month 13); null when it is a day.
 */
export function localDateProblem(text: string, locale: string | null | undefined): 'form' | 'noSuchDay' | null {
  if (parseLocalDate(text, locale) !== null) return null
  const typed = typedParts(text, locale)
  return typed && !typed.time ? 'noSuchDay' : 'form'
}

/**
 * Whether a day put in one end of a range of days would put its start after its end: `notBefore` is the start already
 * applied (for the end's field), `notAfter` the end (for the start's). Compared as calendar days, as the fields keep them.
 */
export function reversesDayRange(day: string, bounds: { notBefore?: string; notAfter?: string }): boolean {
  if (day === '') return false
  const of = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '')
  const start = of(bounds.notBefore)
  const end = of(bounds.notAfter)
  return (start !== '' && day < start) || (end !== '' && day > end)
}

/** An ISO date ("2026-12-31") as a date field shows it: "12/31/2026" in English, "31/12/2026" in French; '' for none. */
export function localDate(isoDate: string, locale: string | null | undefined): string {
  const [, year, month, day] = /^(\d{4})-(\d\d)-(\d\d)/.exec(isoDate) ?? []
  if (!year || !month || !day) return ''
  const values: Record<Part, string> = { year, month, day }
  return dateOrder(locale)
    .map((p) => values[p])
    .join('/')
}

/** What the form sends for the field: the ISO time (UTC), or the text as typed when it is none, which the form then refuses in words. */
export function fromLocalInput(text: string, locale: string | null | undefined): string {
  const ms = parseLocalInput(text, locale)
  return ms === null ? text : new Date(ms).toISOString()
}

/**
 * Why a typed date and time is refused, in words: one written in the language's order that the calendar or this
 * computer's clock lacks (31/02, a time a clock change skips) is said not to exist, rather than to be in the wrong form;
 * anything else is named with the example.
 */
export function badTimeWords(text: string, locale: string | null | undefined, example: string): MessageRef {
  return { key: typedParts(text, locale) ? 'dates.noSuchTime' : 'dates.badTime', params: { value: text, example } }
}

/**
 * The form's words for the two fields (FormRules.words): a text that is no date and time is named (badTimeWords); a
 * field holding one was refused for the range it makes (the end before the start), which the schema names itself. The
 * example and the language are asked for each time: they follow the interface's language.
 */
export function rangeWords(example: () => string, locale: () => string | null | undefined): Record<'from' | 'to', (value: unknown) => MessageRef> {
  const words =
    (path: 'from' | 'to') =>
    (value: unknown): MessageRef =>
      typeof value === 'string' && ISO_TIME.test(value) ? { key: 'historian.rangeReversed', params: { field: path } } : badTimeWords(String(value), locale(), example())
  return { from: words('from'), to: words('to') }
}
