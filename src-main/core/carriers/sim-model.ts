/**
 * Conversions shared by the carrier clients. The SIM model itself lives with the bridge contract
 * (src-shared/models/sim.ts) because it crosses the bridge; it is re-exported here for the core.
 */
import { z } from 'zod'
import type { SimStatus } from '../../../src-shared/models/sim'
import { AppError } from '../common/errors'

export * from '../../../src-shared/models/sim'

const CARRIER_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s?(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/**
 * A carrier timestamp as ISO 8601 UTC. Accepts Control Center's REST form `2016-06-29 00:21:33.339+0000`, the
 * xs:dateTime of its SOAP API (`2016-06-29T00:21:33.339Z`) and their close variants (`+00:00`, no millis, more
 * than three fraction digits, which are truncated to milliseconds). Null and "" (how the APIs say "no date") give
 * null; a timestamp without an offset is taken as UTC. Anything else is not a date: `undefined`, so a caller can
 * report the field rather than store a wrong time.
 */
export function parseCarrierDateTime(value: string | null | undefined): string | null | undefined {
  if (value === null || value === undefined || value.trim() === '') return null
  const m = CARRIER_DATE_TIME.exec(value.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac, zone] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const ms = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s ?? '0'), Number((frac ?? '0').slice(0, 3).padEnd(3, '0')))
  const check = new Date(ms)
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? '0') > 59) return undefined
  return new Date(ms - offsetMinutes(zone) * 60_000).toISOString()
}

function offsetMinutes(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === 'Z') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'))
}

/** zod field for a carrier timestamp: null/""/absent → null, otherwise ISO UTC or a validation issue. */
export const carrierDateTimeSchema = z
  .string()
  .nullish()
  .transform((value, ctx) => {
    const iso = parseCarrierDateTime(value)
    if (iso === undefined) {
      ctx.addIssue({ code: 'custom', message: `not a date-time: ${String(value).slice(0, 40)}` })
      return z.NEVER
    }
    return iso
  })

/**
 * Control Center's SOAP volumes are "MB" without a definition (docs/wire/control-center.md §2.2, §2.4). We read them as
 * binary megabytes, 1 MB = 1,048,576 bytes: Control Center's usage details count KB of 1,024 bytes, and with this
 * factor SOAP's cycle totals agree with REST's byte counts for the same cycle. The product is rounded to whole bytes.
 */
export const SOAP_MB_BYTES = 1_048_576

export function megabytesToBytes(mb: number): number {
  return Math.round(mb * SOAP_MB_BYTES)
}

/** YYYY-MM-DD `months` calendar months earlier, the day clamped to the month's length (cycle start dates). */
export function monthsBefore(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const first = new Date(Date.UTC(y, m - 1 - months, 1))
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate()
  first.setUTCDate(Math.min(d, last))
  return first.toISOString().slice(0, 10)
}

/** Maps a status text from any of Control Center's dialects (REST `ACTIVATED`, SOAP `ACTIVATED_NAME`). */
export function normaliseControlCenterStatus(raw: string | null | undefined): SimStatus {
  if (!raw) return 'unknown'
  const key = raw
    .trim()
    .toUpperCase()
    .replace(/_NAME$/, '')
  return CONTROL_CENTER_STATUS[key] ?? 'unknown'
}

const CONTROL_CENTER_STATUS: Record<string, SimStatus> = {
  INVENTORY: 'inventory',
  TEST_READY: 'testReady',
  ACTIVATION_READY: 'activationReady',
  ACTIVATED: 'activated',
  DEACTIVATED: 'deactivated',
  RETIRED: 'retired',
  PURGED: 'purged',
  REPLACED: 'replaced',
  TRIAL: 'trial',
}

/** The REST value to send for a normalised status, or undefined where Control Center has no such state. */
export function controlCenterStatusValue(status: SimStatus): string | undefined {
  return Object.entries(CONTROL_CENTER_STATUS).find(([, s]) => s === status)?.[0]
}

const ORANGE_STATUS: Record<string, SimStatus> = {
  PRE_ACTIVATED: 'preActivated',
  ACTIVATED_FOR_TEST: 'activatedForTest',
  ACTIVATED: 'activated',
  SLEEPING: 'sleeping',
  SUSPENDED: 'suspended',
  CANCELLED: 'cancelled',
}

/** Maps Orange's SimStatus (docs/wire/orange.md §4) to the normalised vocabulary. */
export function normaliseOrangeStatus(raw: string | null | undefined): SimStatus {
  return (raw && ORANGE_STATUS[raw.trim()]) || 'unknown'
}

/** Orange's value for a normalised status, or undefined where Orange has no such state. */
export function orangeStatusValue(status: SimStatus): string | undefined {
  return Object.entries(ORANGE_STATUS).find(([, s]) => s === status)?.[0]
}

/**
 * States in which Control Center does not deliver an SMS: SOAP answers fault 500700 "device not active"
 * (docs/wire/control-center.md §2.1), and REST accepts the message only to fail it (§1.13). Refused before sending.
 */
export const SMS_REFUSED_STATUSES: ReadonlySet<SimStatus> = new Set<SimStatus>(['deactivated', 'retired', 'purged', 'replaced'])

/** End-of-life states a console offers no way back from: Fieldline changes nothing of a SIM in them (§1.13). */
export const END_OF_LIFE_STATUSES: ReadonlySet<SimStatus> = new Set<SimStatus>(['retired', 'purged', 'replaced'])

/**
 * Refuses to change a SIM in an end-of-life state, from the panel, the CLI or the queue, as bulk jobs already do
 * (cold trial: `sim status` took a retired SIM back to activated).
 */
export function refuseEndOfLife(iccid: string, status: SimStatus): void {
  if (!END_OF_LIFE_STATUSES.has(status)) return
  throw AppError.withRef('CONFLICT', `SIM ${iccid} is ${status}: Fieldline changes nothing of a SIM at the end of its life, so nothing was sent`, {
    key: 'sim.endOfLife',
    params: { iccid, status },
  })
}
