/**
 * The normalised SIM model every carrier client returns (Control Center for Jasper and AT&T, Orange M2M), so the
 * store, the bridge and the UI handle one shape. Units are in the field names (bytes, seconds, counts); dates are
 * ISO 8601 UTC strings (`2016-06-29T00:21:33.339Z`) or null; identifiers are strings.
 */
import { z } from 'zod'

export const CARRIERS = ['jasper', 'atnt', 'orange'] as const
export const carrierSchema = z.enum(CARRIERS)

/**
 * Names one read of a carrier (a SIM panel's, a SIM inventory sync) so that `reads:cancel` can stop it while it waits (a
 * stalled link holds a read up to its deadline): the caller picks it, a random UUID, as export and import jobs are named by theirs.
 */
export const readIdSchema = z.string().min(1).max(64)
export type Carrier = z.infer<typeof carrierSchema>

/**
 * Control Center's lifecycle (docs/wire/control-center.md §1.12, §2.2) and Orange's (docs/wire/orange.md §4: PRE_ACTIVATED,
 * ACTIVATED_FOR_TEST, ACTIVATED, SLEEPING, SUSPENDED, CANCELLED); a state both carriers have (ACTIVATED) is one value.
 * Anything a carrier reports that is not in this list is `unknown`, its text kept in `statusRaw`.
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
  'preActivated',
  'activatedForTest',
  'sleeping',
  'cancelled',
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

/** Orange's own SIM status values (common.xsd `SimStatus`). */
export const ORANGE_SIM_STATUSES = ['PRE_ACTIVATED', 'ACTIVATED_FOR_TEST', 'ACTIVATED', 'SLEEPING', 'SUSPENDED', 'CANCELLED'] as const
export const orangeSimStatusSchema = z.enum(ORANGE_SIM_STATUSES)
export type OrangeSimStatus = z.infer<typeof orangeSimStatusSchema>

/** A position Orange reports: WGS-84 degrees, when it was measured, and its accuracy as Orange states it. */
export const orangePositionSchema = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  at: isoUtcSchema.nullable(),
  accuracy: z.object({ value: z.number().int(), unit: z.string() }).nullable(),
})
export type OrangePosition = z.infer<typeof orangePositionSchema>

/** The serving cell (DeviceInfo `CellId`): MCC and MNC always, the rest when the network gave them. */
export const orangeCellSchema = z.object({
  mcc: z.number().int(),
  mnc: z.number().int(),
  lac: z.number().int().nullable(),
  cellId: z.number().int().nullable(),
  extendedCellId: z.number().int().nullable(),
})
export type OrangeCell = z.infer<typeof orangeCellSchema>

/**
 * "Location status" (§4): what one DeviceInfo supervision-and-location ticket (submitSimSupLoc → getSimReport)
 * reported for the line. Null fields were not reported.
 */
export const orangeLocationSchema = z.object({
  /** Whether the SIM is attached to the network (Supervision `connectivity`). */
  connectivity: z.boolean().nullable(),
  ip: z.string().nullable(),
  sessionTime: isoUtcSchema.nullable(),
  roaming: z.boolean().nullable(),
  cell: orangeCellSchema.nullable(),
  position: orangePositionSchema.nullable(),
  lastKnownPosition: orangePositionSchema.nullable(),
  /** The line's `updateDate` in the report. */
  reportedAt: isoUtcSchema.nullable(),
  /** The ticket that produced it, so the operator can quote it to Orange. */
  ticketNumber: z.number().int(),
})
export type OrangeLocation = z.infer<typeof orangeLocationSchema>

/** What Orange's connectivity directory says about a SIM beyond the common fields (common.xsd `Sim`). */
export const orangeSimDetailsSchema = z.object({
  serialNumber: z.string().min(1),
  /** False when Orange did not give the ICCID and `iccid` was derived from the serial number (prefix 893301). */
  iccidReported: z.boolean(),
  suspensionReason: z.string().nullable(),
  lastStatusChangeDate: isoUtcSchema.nullable(),
  lastStatusRefreshDate: isoUtcSchema.nullable(),
  /** The status asked for while a change is pending, as Orange writes it. */
  requestedStatus: z.string().nullable(),
  statusChangeRequestDate: isoUtcSchema.nullable(),
  customerEnvironment: z.string().nullable(),
  subscription: z.string().nullable(),
  /** The connectivity directory's own last geolocation (`geographicPosition`), when it has one. */
  position: orangePositionSchema.nullable(),
  /** The last location status read through DeviceInfo, kept with the SIM; null until one was asked for. */
  location: orangeLocationSchema.nullable(),
})
export type OrangeSimDetails = z.infer<typeof orangeSimDetailsSchema>

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
  /** Orange SIMs only: what Orange's connectivity directory says beyond the common fields. */
  orange: orangeSimDetailsSchema.optional(),
})
export type Sim = z.infer<typeof simSchema>

/** A SIM with nothing known but its carrier and identifier: every fact the carrier may give later is null. */
export function blankSim(carrier: Carrier, iccid: string, fetchedAt: string): Sim {
  return {
    carrier,
    iccid,
    status: 'unknown',
    statusRaw: null,
    ratePlan: null,
    communicationPlan: null,
    imsi: null,
    msisdn: null,
    imei: null,
    dateAdded: null,
    dateModified: null,
    dateActivated: null,
    dateShipped: null,
    monthToDate: null,
    overageLimitReached: null,
    overageLimitOverride: null,
    fetchedAt,
  }
}

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

/** An SMS id as the core asks Control Center about it: digits only (it goes into the URL path), at most 20 (64-bit). */
export const SMS_MSG_ID_PATTERN = /^\d{1,20}$/

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
