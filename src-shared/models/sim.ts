/**
 * The normalised SIM model every carrier client returns (Control Center for Jasper and AT&T, later Orange), so the
 * store, the bridge and the UI handle one shape. Units are in the field names (bytes, seconds, counts); dates are
 * ISO 8601 UTC strings (`2016-06-29T00:21:33.339Z`) or null; identifiers are strings.
 */
import { z } from 'zod'

export const CARRIERS = ['jasper', 'atnt', 'orange'] as const
export const carrierSchema = z.enum(CARRIERS)
export type Carrier = z.infer<typeof carrierSchema>

/**
 * Control Center's lifecycle (docs/wire/control-center.md §1.12, §2.2) plus `suspended` for carriers that have it (Orange's
 * SUSPENDED); anything a carrier reports that is not in this list is `unknown`, its text kept in `statusRaw`.
 */
export const SIM_STATUSES = [
  'inventory',
  'testReady',
  'activationReady',
  'activated',
  'deactivated',
  'suspended',
  'retired',
  'purged',
  'replaced',
  'trial',
  'unknown',
] as const
export const simStatusSchema = z.enum(SIM_STATUSES)
export type SimStatus = z.infer<typeof simStatusSchema>

export const OVERAGE_OVERRIDES = ['DEFAULT', 'TEMPORARY_OVERRIDE', 'PERMANENT_OVERRIDE'] as const
export const overageOverrideSchema = z.enum(OVERAGE_OVERRIDES)
export type OverageOverride = z.infer<typeof overageOverrideSchema>

/** An instant, always in UTC with a `Z` (what `Date.prototype.toISOString` writes). */
export const isoUtcSchema = z.iso.datetime()
/** A calendar date, `YYYY-MM-DD`, checked against the calendar (no 2016-02-30). */
export const calendarDateSchema = z.iso.date()

const count = z.number().int().nonnegative()

/** Month-to-date (cycle-to-date) usage of the open billing cycle. */
export const monthToDateUsageSchema = z.object({
  dataBytes: count,
  /** MO + MT messages. */
  smsCount: count,
  voiceSeconds: count,
  /** Null where the carrier does not count sessions. */
  sessionCount: count.nullable(),
})
export type MonthToDateUsage = z.infer<typeof monthToDateUsageSchema>

export const simSchema = z.object({
  carrier: carrierSchema,
  iccid: z.string().min(1),
  status: simStatusSchema,
  /** The carrier's own status text, e.g. `ACTIVATED` (REST) or `ACTIVATED_NAME` (SOAP). */
  statusRaw: z.string().nullable(),
  ratePlan: z.string().nullable(),
  communicationPlan: z.string().nullable(),
  imsi: z.string().nullable(),
  msisdn: z.string().nullable(),
  imei: z.string().nullable(),
  dateAdded: isoUtcSchema.nullable(),
  /** Last change of the SIM record: REST calls it `dateUpdated`, SOAP `dateModified`. */
  dateModified: isoUtcSchema.nullable(),
  dateActivated: isoUtcSchema.nullable(),
  dateShipped: isoUtcSchema.nullable(),
  /** Null when it was not asked for or the carrier did not give it. */
  monthToDate: monthToDateUsageSchema.nullable(),
  overageLimitReached: z.boolean().nullable(),
  overageLimitOverride: z.string().nullable(),
  /** When this was read from the carrier; the UI shows cached data "as of" this time. */
  fetchedAt: isoUtcSchema,
})
export type Sim = z.infer<typeof simSchema>

/** Cycle-to-date usage as its own read (Control Center's ctdUsages). */
export const ctdUsageSchema = z.object({
  carrier: carrierSchema,
  iccid: z.string().min(1),
  monthToDate: monthToDateUsageSchema,
  overageLimitReached: z.boolean().nullable(),
  overageLimitOverride: z.string().nullable(),
  fetchedAt: isoUtcSchema,
})
export type CtdUsage = z.infer<typeof ctdUsageSchema>

export const CYCLE_USAGE_SOURCES = ['rest-usageInZone', 'soap-GetTerminalUsage'] as const

/** Usage of one billing cycle, identified by its start date. Null where the source does not give the figure. */
export const cycleUsageSchema = z.object({
  carrier: carrierSchema,
  iccid: z.string().min(1),
  cycleStartDate: calendarDateSchema,
  /** REST usageInZone does not separate billable volume: null there. */
  billableDataBytes: count.nullable(),
  totalDataBytes: count,
  /** Total MO + MT messages. */
  smsCount: count.nullable(),
  billableSmsCount: count.nullable(),
  /** Total MO + MT voice. */
  voiceSeconds: count.nullable(),
  billableVoiceSeconds: count.nullable(),
  /** SOAP's `billable` flag (false while the cycle is open); null from REST. */
  billable: z.boolean().nullable(),
  ratePlan: z.string().nullable(),
  source: z.enum(CYCLE_USAGE_SOURCES),
  fetchedAt: isoUtcSchema,
})
export type CycleUsage = z.infer<typeof cycleUsageSchema>

export const smsMessageSchema = z.object({
  carrier: carrierSchema,
  /** A string, like every identifier: Control Center's ids are 64-bit. */
  smsMsgId: z.string().min(1),
  iccid: z.string().nullable(),
  /** MT: Cancelled, CancelFailed, CancelPending, Delivered, Pending, Failed, Unknown; MO: Received. */
  status: z.string().nullable(),
  messageText: z.string().nullable(),
  senderLogin: z.string().nullable(),
  sentTo: z.string().nullable(),
  sentFrom: z.string().nullable(),
  msgType: z.string().nullable(),
  dateSent: isoUtcSchema.nullable(),
  dateReceived: isoUtcSchema.nullable(),
  dateModified: isoUtcSchema.nullable(),
  fetchedAt: isoUtcSchema,
})
export type SmsMessage = z.infer<typeof smsMessageSchema>

export const sessionInfoSchema = z.object({
  carrier: carrierSchema,
  iccid: z.string().min(1),
  ipAddress: z.string().nullable(),
  ipv6Address: z.string().nullable(),
  apn: z.string().nullable(),
  dateSessionStarted: isoUtcSchema.nullable(),
  /** Null while the session is open, or when there never was one. */
  dateSessionEnded: isoUtcSchema.nullable(),
  inSession: z.boolean(),
  fetchedAt: isoUtcSchema,
})
export type SessionInfo = z.infer<typeof sessionInfoSchema>

export const ratePlanSchema = z.object({
  name: z.string().min(1),
  id: z.string().nullable(),
  version: z.string().nullable(),
  type: z.string().nullable(),
})
export type RatePlan = z.infer<typeof ratePlanSchema>

/** One row of a device search: what Control Center's search returns per SIM. */
export const simSummarySchema = z.object({
  carrier: carrierSchema,
  iccid: z.string().min(1),
  status: simStatusSchema,
  statusRaw: z.string().nullable(),
  ratePlan: z.string().nullable(),
  communicationPlan: z.string().nullable(),
})
export type SimSummary = z.infer<typeof simSummarySchema>
