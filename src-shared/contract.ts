/**
 * The bridge contract: every request channel and every event that crosses between the core and the
 * renderer, with zod schemas for what goes in and what comes out. Both transports (Electron IPC and the
 * serve-mode WebSocket) and both ends (core dispatcher, renderer api) are driven by this one table, so a
 * channel that is not named here does not exist.
 */
import { z } from 'zod'
import { carrierSchema, cycleUsageSchema, readIdSchema, simSchema, SMS_MSG_ID_PATTERN, smsMessageSchema } from './models/sim'
import { ORANGE_TICKET_OPERATIONS, orangeRequestableStatusSchema, orangeSimViewSchema, orangeSubmitOutcomeSchema, orangeTestModeSchema, orangeTicketSchema } from './models/orange'
import {
  credentialsParseInputSchema,
  invitationIdSchema,
  inviteCheckSchema,
  invitationListInputSchema,
  invitationSchema,
  inviteInputSchema,
  mailSaveSchema,
  mailSettingsViewSchema,
  mailVerifyInputSchema,
  mailVerifyOutputSchema,
  sendResultSchema,
  sendTestInputSchema,
} from './models/mail'
import { mbedChannels, mbedEvents } from './models/mbed'
import { ledgerChannels, ledgerEvents } from './models/ledger'
import {
  dmIdentifierSchema,
  invocationResultSchema,
  packageDetailSchema,
  packageSummarySchema,
  platformListSchema,
  platformProfileRefSchema,
  platformStatusSchema,
  uploadResultSchema,
} from './models/packages'
import { byteLimitedString, MAX_EDITOR_TEXT_BYTES, MAX_IMPORT_CHUNK_BASE64 } from './models/limits'
import { sentSmsLength, SMS_UNCODED_MAX, smsRefusal } from './models/sms-length'
import { historianChannels, historianEvents } from './models/historian'
import { syncChannels, syncEvents } from './models/sync'
import { controlCenterExtensionSchema, profileExtensionSchema, profileIdSchema, profileKeySchema, profileSaveSchema, profileSchema } from './models/profiles'
import { jsonObjectSchema, METADATA_LIMITS, safeRecordSchema } from './models/json-value'
import { deviceLocationSchema, locationInputShape, locationSourceSchema } from './models/location'
import { weatherProviderSchema, weatherSaveSchema, weatherSettingsViewSchema, weatherUnitsSchema, weatherViewSchema } from './models/weather'
import { deviceKeySchema } from './models/device-id'
import { trashChannels, trashedSchema, trashEvents } from './models/trash'
import { deviceChannels } from './models/device-query'
import { simInventoryChannels, simInventoryEvents } from './models/sim-inventory'
import { settableSimStateSchema, simJobChannels, simJobEvents } from './models/sim-jobs'

export { ERROR_CODES, errorCodeSchema, messageRefSchema, diagnosticSchema, errorInfoSchema } from './models/errors'
export type { ErrorCode, MessageRef, Diagnostic, ErrorInfo } from './models/errors'
import { errorInfoSchema, diagnosticSchema, messageRefSchema, type ErrorInfo } from './models/errors'

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo }

export { DEVICE_ID_PATTERN, deviceIdSchema } from './models/device-id'
export type { DeviceKey } from './models/device-id'

export const deviceSummarySchema = z.object({
  typeId: z.string(),
  deviceId: z.string(),
  description: z.string(),
  /** Carriers named in the extension configuration. */
  extensions: z.array(z.string()),
})
export type DeviceSummary = z.infer<typeof deviceSummarySchema>

export const deviceSchema = deviceSummarySchema.extend({
  metadata: z.record(z.string(), z.unknown()),
  /** The saved extension configuration, or null when none was ever saved. */
  extensionConfig: z.record(z.string(), z.unknown()).nullable(),
  /** Device-management packages whose custom actions this device accepts. */
  supportedBundles: z.array(z.string()),
  /** Where the device is, with where that came from and when; null when unknown. */
  location: deviceLocationSchema.nullable(),
  /** Unsaved edits of the configuration, kept so that nothing typed is lost. */
  draft: z.object({ text: z.string(), savedAt: z.string() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type Device = z.infer<typeof deviceSchema>

/**
 * How an audited change ended. A change the operator queued in the outbox is 'queued' until the outbox delivers it
 * ('sent'), the carrier refuses it ('failed'), its outcome cannot be known ('unknown', an SMS is never sent twice) or
 * the operator discards it ('discarded').
 */
export const AUDIT_OUTCOMES = ['ok', 'failed', 'queued', 'sent', 'unknown', 'discarded'] as const
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number]

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  /** Who made the change: the computer's user name, `cli:<user>` from the CLI, `fieldline` for the app's own housekeeping. */
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  /** The person or thing concerned by name, as it was named when the change was made (an invitee's address, a profile's name). */
  subject: z.string().optional(),
  /** The profile (account) the change went through, by name. */
  via: z.string().optional(),
  outcome: z.enum(AUDIT_OUTCOMES),
  /** The outbox item a queued change waits in; its delivery updates `outcome`. */
  outboxId: z.string().optional(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  /** Why the change failed, translatable. */
  error: errorInfoSchema.optional(),
  detail: z.string().optional(),
})
export type AuditEntry = z.infer<typeof auditEntrySchema>

export const importRowErrorSchema = z.object({
  row: z.number().int(),
  message: z.string(),
  ref: messageRefSchema,
  /**
   * The refused row as the file wrote it, for the refused-rows export: a CSV record's cells, or a JSON line as one cell.
   * Absent when the row is too long to copy, is not text in the file's encoding, or could not be read as CSV.
   */
  cells: z.array(z.string()).optional(),
})
export type ImportRowError = z.infer<typeof importRowErrorSchema>

export const importReportSchema = z.object({
  jobId: z.string(),
  rows: z.number().int(),
  added: z.number().int(),
  failed: z.number().int(),
  /** Of `failed`, the rows whose device the workspace held already (an import run again after an interruption). */
  existing: z.number().int(),
  /**
   * The refused rows listed (bounded; `failed` counts them all): every other refusal first, up to a thousand, and only
   * the first hundred devices already there, so that one row to fix is never hidden behind thousands of those.
   */
  errors: z.array(importRowErrorSchema),
  /** A CSV file's header as written (the refused-rows export starts with it); absent for JSON lines. */
  columns: z.array(z.string()).optional(),
})
export type ImportReport = z.infer<typeof importReportSchema>

/** A view of the device list the operator named: its address query (filters, sort, columns), as the list writes it. */
export const savedSearchSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(60)
      .regex(/^\P{Cc}+$/u, { message: 'must not hold control characters' }),
    query: z.string().max(2000),
  })
  .strict()
export type SavedSearch = z.infer<typeof savedSearchSchema>
export const MAX_SAVED_SEARCHES = 50

export const settingsSchema = z.object({
  language: z.enum(['en', 'fr']),
  theme: z.enum(['system', 'light', 'dark']),
  /** Saved searches of the device list, in the order the operator sees them; names are unique. */
  savedSearches: z
    .array(savedSearchSchema)
    .max(MAX_SAVED_SEARCHES)
    .refine((list) => new Set(list.map((s) => s.name)).size === list.length, { message: 'saved search names must be unique' }),
})
export type Settings = z.infer<typeof settingsSchema>

const pageInput = {
  query: z.string().max(200).default(''),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
}

const auditBoundSchema = z.iso.datetime({ offset: true, message: 'must be an ISO date and time (2026-12-05T23:00:00.000Z)' }).max(40)

/** The Activity page's filters; every one narrows the trail, and all of them hold at once. */
export const auditFilterSchema = z
  .object({
    /** Exact action code (`sim.changeStatus`). */
    action: z.string().max(120).optional(),
    /** Exact actor. */
    actor: z.string().max(200).optional(),
    /** A device as `type/id`: entries whose target names it. */
    device: z.string().max(120).optional(),
    /**
     * Inclusive bounds on the entry's time, as instants (ISO 8601 with `Z` or an offset). A date alone is refused: the
     * day an operator picks is their own (local midnight to midnight, as the rows are shown), which only their side
     * knows, so the renderer turns the days picked into these instants (activity-view.ts).
     */
    from: auditBoundSchema.optional(),
    to: auditBoundSchema.optional(),
  })
  .strict()
export type AuditFilter = z.infer<typeof auditFilterSchema>

/** Vault addressing: a secret belongs to a profile and names one of its fields. */
const secretKeySchema = z.object({
  profileId: z
    .string()
    .max(120)
    .regex(/^[A-Za-z0-9:._-]{1,120}$/),
  field: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9_-]{1,64}$/),
})

/** An editor's text (configuration, draft, package), limited in bytes so that it always fits in one serve-mode frame. */
const editorTextSchema = byteLimitedString(MAX_EDITOR_TEXT_BYTES)
/** Encodings an import file may be read with: UTF-8 unless the operator says Latin-1 (read as Windows-1252). */
export const IMPORT_ENCODINGS = ['utf-8', 'latin1'] as const

const channel = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ input, output })

export { SETTABLE_SIM_STATES, settableSimStateSchema } from './models/sim-jobs'

/** Which SIM of a device: its extension configuration names the carrier; the first one when omitted. */
const simTargetSchema = deviceKeySchema.extend({ carrier: controlCenterExtensionSchema.optional() })

/**
 * An SMS to send, held to the rule the SIM panel applies as the operator types and the core before it sends: 320
 * characters without a data coding, a coding's own limit with one. With the bare `max(320)` alone, a longer text came
 * back as a generic "invalid input" instead of the panel's translated reason; the rule's reason is now the one said
 * (urgent), past the bound too.
 */
const smsSendSchema = simTargetSchema
  .extend({
    text: z.string().min(1).max(SMS_UNCODED_MAX),
    dataCoding: z.union([z.literal(0), z.literal(1), z.literal(3), z.literal(4), z.literal(8)]).optional(),
    queue: z.boolean().default(false),
  })
  .strict()
  .superRefine((sms, ctx) => {
    const refusal = smsRefusal(sentSmsLength(sms.text, sms.dataCoding))
    if (!refusal) return
    const message =
      refusal.key === 'sim.smsCharacter'
        ? `“${refusal.params.character}” cannot be sent with data coding ${refusal.params.coding}`
        : `too long: ${refusal.params.length}, at most ${refusal.params.max}`
    ctx.addIssue({ code: 'custom', path: ['text'], message, params: { messageKey: refusal.key, messageParams: refusal.params, urgent: true } })
  })

/** A cycle start date as the operator types it: YYYY-MM-DD, a real calendar date. */
export const cycleDateSchema = z.iso.date({ message: 'must be a date written YYYY-MM-DD' }).max(10)

/**
 * What a SIM panel shows: the carrier's data, or the last copy of it when the carrier cannot be reached
 * (with the reason), so an operator on a dead link still sees "as of" data.
 */
export const simViewSchema = z.object({
  carrier: controlCenterExtensionSchema,
  iccid: z.string(),
  profile: z.object({ id: z.string(), name: z.string() }).nullable(),
  sim: simSchema.nullable(),
  fetchedAt: z.string().nullable(),
  fromCache: z.boolean(),
  offline: errorInfoSchema.nullable(),
})
export type SimView = z.infer<typeof simViewSchema>

export const OUTBOX_ACTIONS = ['sim.changeStatus', 'sim.changeRatePlan', 'sim.sendSms'] as const
export const outboxItemSchema = z.object({
  id: z.string(),
  action: z.enum(OUTBOX_ACTIONS),
  target: z.string(),
  carrier: carrierSchema,
  /** The SIM as the device's configuration names it: the ICCID (Control Center) or the SIM serial number (Orange). */
  iccid: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  state: z.enum(['pending', 'done', 'failed', 'unknown']),
  createdAt: z.string(),
  attempts: z.number().int(),
  lastError: errorInfoSchema.nullable(),
})
export type OutboxItem = z.infer<typeof outboxItemSchema>

/** Result of an action that needs the network: done now, or queued because the operator chose to. */
const actionOutcomeSchema = z.object({
  outcome: z.enum(['done', 'queued']),
  sim: simSchema.nullable(),
  outboxId: z.string().nullable(),
})

/** An Orange SIM: the device whose extension configuration names its serial number. */
const orangeTargetSchema = deviceKeySchema

/** Orange's test zones go with a test activation only ([I] simLifecycleManagement.xsd allows the element on any request). */
const orangeChangeSchema = orangeTargetSchema
  .extend({ status: orangeRequestableStatusSchema, testMode: orangeTestModeSchema.optional(), queue: z.boolean().default(false) })
  .strict()
  .refine((v) => v.testMode === undefined || v.status === 'ACTIVATED_FOR_TEST', {
    message: 'a test mode goes with ACTIVATED_FOR_TEST only',
    path: ['testMode'],
    params: { messageKey: 'orange.testModeOnlyForTest' },
  })

export const channels = {
  'app:info': channel(
    z.object({}).strict(),
    z.object({
      version: z.string(),
      mode: z.enum(['electron', 'serve']),
      dataDir: z.string(),
      node: z.string(),
      /**
       * Set in the session that found the data folder to be a copy of another still in its place: the original's
       * folder and when the copy took its own workspace id (and its own copies of the secrets). Said once.
       */
      workspaceCopy: z.object({ original: z.string(), at: z.string() }).nullable(),
    }),
  ),
  'settings:get': channel(z.object({}).strict(), settingsSchema),
  'settings:set': channel(settingsSchema.partial().strict(), settingsSchema),

  'devices:list': channel(z.object(pageInput).strict(), z.object({ total: z.number().int(), items: z.array(deviceSummarySchema) })),
  'devices:get': channel(deviceKeySchema.strict(), deviceSchema),
  'devices:add': channel(
    deviceKeySchema
      .extend({
        description: z.string().max(1000).default(''),
        metadata: jsonObjectSchema(METADATA_LIMITS, 'metadata').default({}),
      })
      .strict(),
    deviceSchema,
  ),
  'devices:remove': channel(deviceKeySchema.strict(), trashedSchema),
  'devices:validateConfig': channel(z.object({ text: editorTextSchema }).strict(), z.object({ valid: z.boolean(), diagnostics: z.array(diagnosticSchema) })),
  'devices:saveConfig': channel(deviceKeySchema.extend({ text: editorTextSchema }).strict(), z.object({ device: deviceSchema, diagnostics: z.array(diagnosticSchema) })),
  'devices:saveDraft': channel(deviceKeySchema.extend({ text: editorTextSchema }).strict(), z.object({ savedAt: z.string() })),
  'devices:discardDraft': channel(deviceKeySchema.strict(), z.object({ discarded: z.boolean() })),
  ...deviceChannels,

  'import:start': channel(
    z.object({ fileName: z.string().min(1).max(255), format: z.enum(['csv', 'jsonl']).optional(), encoding: z.enum(IMPORT_ENCODINGS).optional() }).strict(),
    z.object({ jobId: z.string(), format: z.enum(['csv', 'jsonl']) }),
  ),
  /** `data`: the next bytes of the file, base64; chunks may cut anywhere, even inside a character. */
  'import:chunk': channel(z.object({ jobId: z.string().max(64), data: z.string().max(MAX_IMPORT_CHUNK_BASE64) }).strict(), z.object({ rows: z.number().int() })),
  'import:finish': channel(z.object({ jobId: z.string().max(64) }).strict(), importReportSchema),
  'import:cancel': channel(z.object({ jobId: z.string().max(64) }).strict(), z.object({ cancelled: z.boolean() })),
  /**
   * The imports the last run of the core did not live to end (recorded in the audit trail as it opened). `existing`: of
   * `failed`, the devices already there; absent for an import an earlier build recorded, which did not count them apart.
   */
  'import:interrupted': channel(
    z.object({}).strict(),
    z.object({
      items: z.array(
        z.object({
          fileName: z.string(),
          startedAt: z.string(),
          rows: z.number().int(),
          added: z.number().int(),
          failed: z.number().int(),
          existing: z.number().int().optional(),
        }),
      ),
    }),
  ),

  'audit:list': channel(
    z.object({ ...pageInput, filter: auditFilterSchema.optional() }).strict(),
    /** `facets`: every action and actor in the whole trail, for the filters' choices. */
    z.object({ total: z.number().int(), items: z.array(auditEntrySchema), facets: z.object({ actions: z.array(z.string()), actors: z.array(z.string()) }) }),
  ),

  'vault:setSecret': channel(secretKeySchema.extend({ value: z.string().min(1).max(16384) }).strict(), z.object({ replaced: z.boolean() })),
  'vault:clearSecret': channel(secretKeySchema.strict(), z.object({ cleared: z.boolean() })),
  'vault:isSet': channel(secretKeySchema.strict(), z.object({ set: z.boolean() })),

  'profiles:list': channel(z.object({ extension: profileExtensionSchema.optional() }).strict(), z.object({ items: z.array(profileSchema) })),
  'profiles:save': channel(profileSaveSchema, profileSchema),
  'profiles:remove': channel(profileKeySchema, trashedSchema),
  'profiles:verify': channel(profileKeySchema, z.object({ ok: z.literal(true), detail: z.string() })),

  'sim:get': channel(simTargetSchema.extend({ refresh: z.boolean().default(false), readId: readIdSchema.optional() }).strict(), simViewSchema),
  'sim:changeStatus': channel(simTargetSchema.extend({ status: settableSimStateSchema, queue: z.boolean().default(false) }).strict(), actionOutcomeSchema),
  'sim:changeRatePlan': channel(simTargetSchema.extend({ ratePlan: z.string().trim().min(1).max(200), queue: z.boolean().default(false) }).strict(), actionOutcomeSchema),
  'sim:ratePlans': channel(simTargetSchema.strict(), z.object({ allowed: z.boolean(), plans: z.array(z.string()) })),
  'sim:usage': channel(
    simTargetSchema.extend({ cycleStartDate: cycleDateSchema, readId: readIdSchema.optional() }).strict(),
    z.object({ usage: cycleUsageSchema, fromCache: z.boolean(), offline: errorInfoSchema.nullable() }),
  ),
  /**
   * The cycles read so far; with `refresh`, the open cycle and the two before it are read from the carrier first (one
   * call each), which `readId` lets the caller cancel (`reads:cancel`: the calls left are not made).
   */
  'sim:usageHistory': channel(
    simTargetSchema.extend({ refresh: z.boolean().default(false), readId: readIdSchema.optional() }).strict(),
    z.object({ cycles: z.array(cycleUsageSchema), offline: errorInfoSchema.nullable() }),
  ),
  'sim:sendSms': channel(smsSendSchema, actionOutcomeSchema.extend({ smsMsgId: z.string().nullable() })),
  'sim:smsStatus': channel(simTargetSchema.extend({ smsMsgId: z.string().max(20).regex(SMS_MSG_ID_PATTERN) }).strict(), smsMessageSchema.extend({ final: z.boolean() })),

  /** The SIM of an Orange device: from the cache unless `refresh`; the cached copy with the reason when Orange cannot be reached. */
  'orange:get': channel(orangeTargetSchema.extend({ refresh: z.boolean().default(false), readId: readIdSchema.optional() }).strict(), orangeSimViewSchema),
  /**
   * Stops the carrier read named `readId` (`sim:get`, `sim:usage`, `sim:usageHistory`, `orange:get`) if it still waits: its HTTP request is abandoned,
   * which frees the carrier account, and the read fails with CANCELLED, leaving the cache as it was. A SIM inventory
   * sync (`sims:sync`) named so stops the same way, but keeps what it read: it answers `stopped` with its counts. `cancelled`
   * is false when no such read waits (it already ended).
   */
  'reads:cancel': channel(z.object({ readId: readIdSchema }).strict(), z.object({ cancelled: z.boolean() })),
  /** Submits a status change; the ticket is kept and followed until TERMINATED or ERROR (events `orange:ticket`). */
  'orange:changeStatus': channel(orangeChangeSchema, orangeSubmitOutcomeSchema),
  /** Asks Orange for the location status (DeviceInfo supervision and location), followed like a status change. */
  'orange:locate': channel(orangeTargetSchema.strict(), orangeSubmitOutcomeSchema),
  /** The device's SIM's tickets, newest first. */
  'orange:tickets': channel(orangeTargetSchema.extend({ limit: z.number().int().min(1).max(200).default(50) }).strict(), z.object({ items: z.array(orangeTicketSchema) })),
  'orange:ticket': channel(z.object({ id: z.string().min(1).max(200) }).strict(), orangeTicketSchema),
  /**
   * Looks a ticket up at Orange by number (after an UNKNOWN_OUTCOME, or one made elsewhere): the workspace then keeps
   * and follows it like one submitted here.
   */
  'orange:lookupTicket': channel(
    z.object({ profile: profileIdSchema.optional(), operation: z.enum(ORANGE_TICKET_OPERATIONS), ticketNumber: z.number().int().min(1).max(2_147_483_647) }).strict(),
    orangeTicketSchema,
  ),

  'outbox:list': channel(z.object({}).strict(), z.object({ items: z.array(outboxItemSchema) })),
  /**
   * `automatic`: the replay the core starts when a carrier answers again (outbox:replayed). It sends only changes that are safe to send
   * twice (a status or a rate plan: setting it again changes nothing); an SMS, and whatever was queued after it for the
   * same SIM, waits for the operator (`held`), since an SMS is sent at most once.
   */
  'outbox:replay': channel(
    z.object({ automatic: z.boolean().optional() }).strict(),
    z.object({ done: z.number().int(), failed: z.number().int(), unknown: z.number().int(), pending: z.number().int(), held: z.number().int() }),
  ),
  'outbox:discard': channel(z.object({ id: z.string().max(200) }).strict(), z.object({ discarded: z.boolean() })),

  'mail:getSettings': channel(z.object({}).strict(), mailSettingsViewSchema),
  'mail:saveSettings': channel(mailSaveSchema, mailSettingsViewSchema),
  'mail:clearSettings': channel(z.object({}).strict(), z.object({ cleared: z.boolean() })),
  /** Checks pasted SendGrid credentials (line and column of any problem); the password is never returned. */
  'mail:parseCredentials': channel(
    credentialsParseInputSchema,
    z.object({
      valid: z.boolean(),
      diagnostics: z.array(diagnosticSchema),
      hostname: z.string().nullable(),
      username: z.string().nullable(),
      name: z.string().nullable(),
      label: z.string().nullable(),
      passwordPresent: z.boolean(),
    }),
  ),
  'mail:verify': channel(mailVerifyInputSchema, mailVerifyOutputSchema),
  'mail:sendTest': channel(sendTestInputSchema, sendResultSchema),
  'team:invite': channel(inviteInputSchema, invitationSchema),
  'team:list': channel(invitationListInputSchema, z.object({ items: z.array(invitationSchema) })),
  'team:resend': channel(z.object({ id: invitationIdSchema }).strict(), invitationSchema),
  'team:revoke': channel(z.object({ id: invitationIdSchema }).strict(), invitationSchema),
  /** An invitation whose outcome is unknown taken as sent, without sending it again. Audited. */
  'team:dismiss': channel(z.object({ id: invitationIdSchema }).strict(), invitationSchema),
  /** Deletes an invitation into the trash (a revoked one, or one never sent); refused while it is being sent. */
  'team:remove': channel(z.object({ id: invitationIdSchema }).strict(), trashedSchema),
  /** Whether an invitation sent now would carry a code to join the team server (asks the server), and why not. */
  'team:inviteCheck': channel(z.object({}).strict(), inviteCheckSchema),

  'packages:validate': channel(z.object({ text: editorTextSchema }).strict(), z.object({ valid: z.boolean(), diagnostics: z.array(diagnosticSchema) })),
  'packages:list': channel(z.object({}).strict(), z.object({ items: z.array(packageSummarySchema) })),
  'packages:get': channel(z.object({ bundleId: dmIdentifierSchema }).strict(), packageDetailSchema),
  'packages:add': channel(z.object({ text: editorTextSchema, replace: z.boolean().default(false) }).strict(), packageSummarySchema),
  'packages:save': channel(z.object({ bundleId: dmIdentifierSchema, text: editorTextSchema }).strict(), packageSummarySchema),
  'packages:remove': channel(z.object({ bundleId: dmIdentifierSchema }).strict(), trashedSchema),
  'packages:invoke': channel(
    deviceKeySchema
      .extend({
        bundleId: dmIdentifierSchema,
        actionId: dmIdentifierSchema,
        parameters: safeRecordSchema(z.string().max(255), z.string().max(65_536), 256).default({}),
        timeoutSeconds: z.number().int().min(1).max(600).default(30),
        platformProfile: z.string().max(48).optional(),
        /** The caller's name for this run, echoed by `packages:invokeSent` once the request has left for the device. */
        runId: z.string().uuid().max(36).optional(),
      })
      .strict(),
    invocationResultSchema,
  ),
  /** What the platform's REST API holds (docs/wire/dm-packages.md §4 "REST"), through a platform profile (the default when omitted). */
  'packages:platformList': channel(z.object({ platformProfile: z.string().max(48).optional() }).strict(), platformListSchema),
  /** Whether the platform holds a kept package: absent, the same, or another one under its bundle id. */
  'packages:platformStatus': channel(z.object({ bundleId: dmIdentifierSchema, platformProfile: z.string().max(48).optional() }).strict(), platformStatusSchema),
  /** Uploads a kept package (POST); one the platform holds differently is replaced (PUT) only with `replace`. */
  'packages:upload': channel(z.object({ bundleId: dmIdentifierSchema, platformProfile: z.string().max(48).optional(), replace: z.boolean().default(false) }).strict(), uploadResultSchema),
  /** Removes a package from the platform (the library keeps it). */
  'packages:unpublish': channel(
    z.object({ bundleId: dmIdentifierSchema, platformProfile: z.string().max(48).optional() }).strict(),
    z.object({ profile: platformProfileRefSchema, removed: z.literal(true) }),
  ),
  'devices:setSupportedBundles': channel(deviceKeySchema.extend({ bundles: z.array(dmIdentifierSchema).max(100) }).strict(), deviceSchema),

  /** The operator places a device (audited); a managed device's own later report replaces it. */
  'devices:setLocation': channel(deviceKeySchema.extend(locationInputShape).strict(), deviceSchema),
  'devices:clearLocation': channel(deviceKeySchema.strict(), z.object({ cleared: z.boolean() })),
  /** Opens the platform link of a profile (the default one when omitted), on which managed devices report their location. */
  'devices:followLocations': channel(z.object({ platformProfile: profileIdSchema.optional() }).strict(), z.object({ profileId: z.string() })),

  'weather:getSettings': channel(z.object({}).strict(), weatherSettingsViewSchema),
  'weather:saveSettings': channel(weatherSaveSchema, weatherSettingsViewSchema),
  /** One real request with the settings in use. */
  'weather:verify': channel(z.object({}).strict(), z.object({ provider: weatherProviderSchema, detail: z.string() })),
  /** The weather at the device's location: cached until the provider's expiry unless `refresh`; the cached reading with the reason when the provider cannot be reached. */
  'weather:get': channel(deviceKeySchema.extend({ refresh: z.boolean().default(false), units: weatherUnitsSchema.optional() }).strict(), weatherViewSchema),

  ...mbedChannels,
  ...ledgerChannels,
  ...historianChannels,
  ...simInventoryChannels,
  ...simJobChannels,
  ...syncChannels,
  ...trashChannels,

  /** The state of every platform link the core has open (a link opens when something needs the broker). */
  'platform:status': channel(
    z.object({}).strict(),
    z.object({
      items: z.array(
        z.object({
          profileId: z.string(),
          state: z.enum(['idle', 'connecting', 'connected', 'reconnecting', 'stopped', 'failed']),
          reason: errorInfoSchema.nullable(),
          security: z.enum(['tls', 'loopback-plain', 'plain-remote']),
        }),
      ),
    }),
  ),

  'shell:openExternal': channel(z.object({ url: z.string().max(2048).url() }).strict(), z.object({ opened: z.boolean() })),
} as const

export const events = {
  'devices:changed': z.object({ reason: z.enum(['added', 'removed', 'updated', 'imported']) }),
  /** Devices whose location changed (set, cleared, or reported by the device), gathered to at most ten pushes a second. */
  'devices:location': z.object({ items: z.array(z.object({ typeId: z.string(), deviceId: z.string(), source: locationSourceSchema })).max(1000) }),
  'weather:changed': z.object({}),
  /** A fresh reading was cached for this device (the device list's weather columns change). */
  'weather:reading': z.object({ typeId: z.string(), deviceId: z.string() }),
  'audit:changed': z.object({}),
  'job:progress': z.object({
    jobId: z.string(),
    kind: z.literal('import'),
    rows: z.number().int(),
    added: z.number().int(),
    failed: z.number().int(),
    /** Of `failed`, the rows whose device was there already: not refusals, said apart. */
    existing: z.number().int(),
    done: z.boolean(),
  }),
  'settings:changed': settingsSchema,
  'profiles:changed': z.object({ extension: profileExtensionSchema }),
  'sim:changed': z.object({ carrier: controlCenterExtensionSchema, iccid: z.string() }),
  'sim:sms': smsMessageSchema.extend({ final: z.boolean() }),
  'outbox:changed': z.object({ pending: z.number().int() }),
  /**
   * The core sent queued changes by itself, their carrier answering again: `done` and `failed` of them; `held` wait for
   * the operator (an SMS, and what follows it for that SIM; see outbox:replay's `automatic`).
   */
  'outbox:replayed': z.object({ done: z.number().int(), failed: z.number().int(), held: z.number().int() }),
  /**
   * A carrier account answers again: a call through this profile succeeded after one could not reach the carrier (the
   * core sees it on any call, whatever the OS says of the network). `profileId` is the profile's id without its kind
   * ('' for Orange credentials given outside a profile); panels showing the cached copy for want of it read again.
   */
  'carriers:answering': z.object({ carrier: carrierSchema, profileId: z.string() }),
  /** An Orange SIM's cached copy changed (a read, a finished ticket). */
  'orange:changed': z.object({ serialNumber: z.string() }),
  /** A ticket moved (submitted, polled, finished). */
  'orange:ticket': orangeTicketSchema,
  ...mbedEvents,
  ...ledgerEvents,
  ...historianEvents,
  ...simInventoryEvents,
  ...simJobEvents,
  ...syncEvents,
  ...trashEvents,
  'mail:changed': z.object({}),
  'packages:changed': z.object({}),
  /**
   * A run of `packages:invoke` that named itself (`runId`) has published its request: until then it was only preparing
   * (the response subscription being set up), and the page must not say "sent".
   */
  'packages:invokeSent': z.object({ runId: z.string() }),
  'team:changed': z.object({}),
  'platform:state': z.object({
    profileId: z.string(),
    state: z.enum(['idle', 'connecting', 'connected', 'reconnecting', 'stopped', 'failed']),
    reason: errorInfoSchema.nullable(),
    security: z.enum(['tls', 'loopback-plain', 'plain-remote']),
  }),
} as const

export type Channels = typeof channels
export type ChannelName = keyof Channels
export type Input<C extends ChannelName> = z.input<Channels[C]['input']>
export type ParsedInput<C extends ChannelName> = z.output<Channels[C]['input']>
export type Output<C extends ChannelName> = z.output<Channels[C]['output']>
export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.output<Events[E]>

export const CHANNEL_NAMES = Object.keys(channels) as ChannelName[]
export const EVENT_NAMES = Object.keys(events) as EventName[]

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.hasOwn(channels, name)
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name)
}

/** What the preload exposes on `window.fieldline` and what the serve-mode client implements. */
export interface FieldlineApi {
  invoke<C extends ChannelName>(channel: C, input: Input<C>): Promise<Result<Output<C>>>
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
}
