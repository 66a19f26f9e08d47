/**
 * zod schemas for Control Center's REST answers (docs/wire/control-center.md §1.5–1.11), field names exactly as on the wire.
 * Identifiers must arrive as strings (a JSON number would already have lost an ICCID's digits); counters as
 * integers; timestamps in Control Center's form, converted to ISO UTC on the way in.
 */
import { z } from 'zod'
import { carrierDateTimeSchema } from '../sim-model'

const text = z
  .string()
  .nullish()
  .transform((v) => (v === undefined || v === null || v === '' ? null : v))
const counter = z.number().int().nonnegative()
/** smsMsgId and ratePlanId are JSON numbers on the wire; they are identifiers to us. */
const numericId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String)

/** §1.6 */
export const deviceDetailsWire = z.object({
  iccid: z.string().min(1),
  imsi: text,
  msisdn: text,
  imei: text,
  status: text,
  ratePlan: text,
  communicationPlan: text,
  dateActivated: carrierDateTimeSchema,
  dateAdded: carrierDateTimeSchema,
  dateUpdated: carrierDateTimeSchema,
  dateShipped: carrierDateTimeSchema,
})

/** §1.8: bytes, MO+MT count, seconds. */
export const ctdUsagesWire = z.object({
  iccid: z.string().min(1),
  ctdDataUsage: counter,
  ctdSMSUsage: counter,
  ctdVoiceUsage: counter,
  ctdSessionCount: counter.nullish().transform((v) => v ?? null),
  overageLimitReached: z
    .boolean()
    .nullish()
    .transform((v) => v ?? null),
  overageLimitOverride: text,
})

/**
 * One zone of usageInZone (§1.8). Absent usage is null with a null unit. The SMS key casing is not confirmed
 * (`smsMOUsage` [I]), so the reader looks the SMS counters up case-insensitively (see `zoneSms`).
 */
export const zoneUsageWire = z
  .object({
    ratePlan: text,
    zone: text,
    dataUsage: z.number().nonnegative().nullish(),
    dataUsageUnit: text,
    voiceMOUsage: z.number().nonnegative().nullish(),
    voiceMOUsageUnit: text,
    voiceMTUsage: z.number().nonnegative().nullish(),
    voiceMTUsageUnit: text,
  })
  .catchall(z.unknown())

export const usageInZoneWire = z.object({
  iccid: z.string().min(1),
  /** §1.8: an instant such as "2018-08-26T16:00:00.000Z"; its UTC date is the date the request names. */
  cycleStartDate: z.string().nullish(),
  deviceCycleUsageInZones: z.record(z.string(), z.array(zoneUsageWire)).nullish(),
})

/** §1.9 */
export const searchDevicesWire = z.object({
  pageNumber: z.number().int().nullish(),
  lastPage: z.boolean(),
  devices: z.array(z.object({ iccid: z.string().min(1), status: text, ratePlan: text, communicationPlan: text })),
})

/** §1.5 /rateplans: only `name` is documented; the other fields are read when present. */
export const ratePlansWire = z.object({
  ratePlans: z.array(
    z.object({
      name: z.string().min(1),
      ratePlanId: numericId.nullish(),
      version: z.union([z.string(), z.number()]).nullish(),
      type: text,
    }),
  ),
  lastPage: z.boolean().nullish(),
})

/** §1.7: success bodies contain the ICCID. */
export const editDeviceWire = z.object({ iccid: z.string().min(1) })

/** §1.10 */
export const sendSmsWire = z.object({ smsMsgId: numericId })

export const smsDetailsWire = z.object({
  smsMsgId: numericId,
  status: text,
  messageText: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  senderLogin: text,
  sentTo: text,
  sentFrom: text,
  msgType: text,
  iccid: text,
  dateSent: carrierDateTimeSchema,
  dateReceived: carrierDateTimeSchema,
  dateModified: carrierDateTimeSchema,
})

/** §1.11 */
export const sessionInfoWire = z.object({
  iccid: z.string().min(1),
  ipAddress: text,
  ipv6Address: text,
  apn: text,
  dateSessionStarted: carrierDateTimeSchema,
  dateSessionEnded: carrierDateTimeSchema,
})

/** §2.4 GetTerminalUsage, values as the text of each element (volumes in MB, counts, seconds). */
export const terminalUsageWire = z.object({
  iccid: z.string().min(1),
  totalDataVolume: z.string(),
  billableDataVolume: z.string().nullish(),
  totalSMSVolume: z.string().nullish(),
  billableSMSVolume: z.string().nullish(),
  totalVoiceVolume: z.string().nullish(),
  billableVoiceVolume: z.string().nullish(),
  billable: z.string().nullish(),
  ratePlan: z.string().nullish(),
})
