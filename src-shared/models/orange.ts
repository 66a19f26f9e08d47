/**
 * Orange M2M ("Malima") SIMs as they cross the bridge: the serial number that identifies a line, the status changes
 * an operator may ask for, and the asynchronous tickets that carry them out (docs/wire/orange.md §4; the values are
 * those of the Orange M2M SDK's schemas: common.xsd, simLifecycleManagement.xsd, deviceInfo.xsd).
 */
import { z } from 'zod'
import { errorInfoSchema } from './errors'
import { luhnCheckDigit, luhnValid } from './luhn'
import { isoUtcSchema, orangeLocationSchema, orangeSimStatusSchema, simSchema } from './sim'

/**
 * The SIM serial number (SSN) Orange identifies a line by. The Orange M2M SDK (Utility.php) derives it from the
 * 20-digit ICCID `893301` + 12 digits + check digit + `0` as those 12 digits followed by their own Luhn check digit:
 * 13 digits. The length and digits-only rule is enforced; the check digit is only warned about (see
 * orangeSerialCheckDigitValid), as for ICCIDs.
 */
export const ORANGE_SERIAL_PATTERN = /^[0-9]{13}$/
/** The ICCID prefix of Orange France SIMs (the SDK's m2m.ini `iccidPrefix`). */
export const ORANGE_ICCID_PREFIX = '893301'

export const orangeSerialSchema = z.string().refine((v) => ORANGE_SERIAL_PATTERN.test(v), {
  message: 'must be the 13-digit SIM serial number',
  params: { messageKey: 'orange.invalidSerial' },
})

/** What submitUpdateSimStatusRequest accepts (simLifecycleManagement.xsd `SlmSimStatus`). */
export const ORANGE_REQUESTABLE_STATUSES = ['ACTIVATED', 'ACTIVATED_FOR_TEST', 'SLEEPING', 'SUSPENDED'] as const
export const orangeRequestableStatusSchema = z.enum(ORANGE_REQUESTABLE_STATUSES)
export type OrangeRequestableStatus = z.infer<typeof orangeRequestableStatusSchema>

/** Test zones (common.xsd `TestMode`). */
export const ORANGE_TEST_MODES = ['INTERNATIONAL', 'EUROPE', 'METROPOLE', 'AU_COMPTEUR'] as const
export const orangeTestModeSchema = z.enum(ORANGE_TEST_MODES)
export type OrangeTestMode = z.infer<typeof orangeTestModeSchema>

/** A ticket's global state (common.xsd `TicketStatusType`). */
export const ORANGE_TICKET_STATES = ['WAITING', 'WORK_IN_PROGRESS', 'TERMINATED', 'ERROR'] as const
export const orangeTicketStateSchema = z.enum(ORANGE_TICKET_STATES)
export type OrangeTicketState = z.infer<typeof orangeTicketStateSchema>
/** One line's state inside a ticket (common.xsd `TaskStatusType`). */
export const ORANGE_TASK_STATES = ['WAITING', 'WORK_IN_PROGRESS', 'WAITING_FOR_EXT_SYSTEM_PROCESSING', 'TERMINATED', 'ERROR'] as const
export const orangeTaskStateSchema = z.enum(ORANGE_TASK_STATES)

export const ORANGE_TICKET_OPERATIONS = ['status', 'location'] as const
export const orangeTicketOperationSchema = z.enum(ORANGE_TICKET_OPERATIONS)
export type OrangeTicketOperation = z.infer<typeof orangeTicketOperationSchema>

/** One line of a ticket as Orange last reported it (`StatusUpdate` / DeviceInfo `Line`). */
export const orangeTicketLineSchema = z.object({
  serialNumber: z.string(),
  processingStatus: orangeTaskStateSchema,
  progressMessage: z.string().nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  errorDate: isoUtcSchema.nullable(),
  updateDate: isoUtcSchema.nullable(),
})
export type OrangeTicketLine = z.infer<typeof orangeTicketLineSchema>

/** A ticket as the workspace keeps it and the panel shows it. */
export const orangeTicketSchema = z.object({
  id: z.string(),
  operation: orangeTicketOperationSchema,
  ticketNumber: z.number().int(),
  /** The profile whose account submitted it; null for tickets submitted with FIELDLINE_ORANGE_* variables. */
  profileId: z.string().nullable(),
  serialNumber: z.string(),
  device: z.object({ typeId: z.string(), deviceId: z.string() }).nullable(),
  requestedStatus: orangeRequestableStatusSchema.nullable(),
  testMode: orangeTestModeSchema.nullable(),
  /** The SIM's status when the change was submitted (null for a location ticket or when it was not known). */
  statusBefore: orangeSimStatusSchema.nullable(),
  state: orangeTicketStateSchema,
  /** TERMINATED or ERROR: polling has stopped. */
  final: z.boolean(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  lines: z.array(orangeTicketLineSchema),
  unknownLines: z.array(z.string()),
  submittedAt: isoUtcSchema,
  updatedAt: isoUtcSchema,
  /** When the core polls next; null once final. */
  nextPollAt: isoUtcSchema.nullable(),
  polls: z.number().int(),
  /** The last poll that failed (network, Orange fault), kept while polling goes on. */
  lastError: errorInfoSchema.nullable(),
  /** Location tickets: what the report said for the line. */
  location: orangeLocationSchema.nullable(),
  actor: z.string(),
})
export type OrangeTicket = z.infer<typeof orangeTicketSchema>

/** The Orange panel's view of a device's SIM: as read now, or the cached copy "as of" with the reason. */
export const orangeSimViewSchema = z.object({
  serialNumber: z.string(),
  profile: z.object({ id: z.string(), name: z.string() }),
  sim: simSchema.nullable(),
  fetchedAt: z.string().nullable(),
  fromCache: z.boolean(),
  offline: errorInfoSchema.nullable(),
  /** Tickets of this SIM that are still being followed, newest first. */
  openTickets: z.array(orangeTicketSchema),
})
export type OrangeSimView = z.infer<typeof orangeSimViewSchema>

/** Submitting a ticket: done (with the ticket being followed) or queued in the outbox because the operator chose to. */
export const orangeSubmitOutcomeSchema = z.object({
  outcome: z.enum(['submitted', 'queued']),
  ticket: orangeTicketSchema.nullable(),
  outboxId: z.string().nullable(),
})

/** Whether the serial number's last digit is the Luhn check digit of the 12 before it (SDK Utility.php). */
export function orangeSerialCheckDigitValid(serial: string): boolean {
  return ORANGE_SERIAL_PATTERN.test(serial) && luhnValid(serial)
}

/**
 * The ICCID of a serial number as the SDK computes it: prefix, the serial's 12 digits, the Luhn check digit of those
 * 18 digits, and a final 0. Used only when Orange does not report the ICCID; the SIM then says it was derived.
 */
export function orangeIccidFromSerial(serial: string): string {
  const body = `${ORANGE_ICCID_PREFIX}${serial.slice(0, 12)}`
  return `${body}${luhnCheckDigit(body)}0`
}
