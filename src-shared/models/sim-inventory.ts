/**
 * The SIM inventory (every SIM of every carrier account and every device configuration, with its "as of"), its sync,
 * usage alerts and the notification inbox. Spread into the contract's channels (`...simInventoryChannels`).
 */
import { z } from 'zod'
import { deviceIdSchema, deviceKeySchema } from './device-id'
import { EXPORT_FORMATS, MAX_SELECTION_KEYS } from './device-query'
import { carrierSchema, readIdSchema, SIM_STATUSES, simStatusSchema } from './sim'
import { safeRecordSchema } from './json-value'
import { trashedSchema } from './trash'

/** An account is a carrier profile: `jasper:ops`, `orange:paris`. */
export const simAccountSchema = z
  .string()
  .max(60)
  .regex(/^(jasper|atnt|orange):[a-z0-9][a-z0-9-]{0,47}$/, { message: 'must be <jasper|atnt|orange>:<profile id>' })
export type SimAccount = z.infer<typeof simAccountSchema>

/** A SIM as the configuration names it: ICCID for Jasper and AT&T, serial number for Orange. */
export const simIdSchema = z.string().min(1).max(24).regex(/^\d+$/, { message: 'must be digits' })

/** A SIM the carrier has not listed yet (only a device names it): no status. */
export const SIM_NOT_LISTED = 'notListed'
export const inventoryStatusSchema = z.enum([...SIM_STATUSES, SIM_NOT_LISTED])

export const simRowSchema = z.object({
  carrier: carrierSchema,
  simId: simIdSchema,
  iccid: z.string().nullable(),
  /** The account that listed it; null for a SIM only a device names. */
  account: z.string().nullable(),
  status: inventoryStatusSchema,
  statusRaw: z.string().nullable(),
  ratePlan: z.string().nullable(),
  communicationPlan: z.string().nullable(),
  /** Data and SMS this cycle, as of `usageAsOf`; null until read. */
  dataBytes: z.number().int().nullable(),
  smsCount: z.number().int().nullable(),
  /** When the last data session ended (or began, for one still open); null when never seen. */
  lastSessionAt: z.string().nullable(),
  /** When the carrier last listed it (status, plan). */
  asOf: z.string().nullable(),
  usageAsOf: z.string().nullable(),
  /** Devices whose configuration names the SIM (`type/id`), at most ten. */
  devices: z.array(z.string()).max(10),
})
export type SimRow = z.infer<typeof simRowSchema>

export const SIM_SORT_FIELDS = ['simId', 'carrier', 'account', 'status', 'ratePlan', 'dataBytes', 'asOf'] as const
export const simSortSchema = z.enum(SIM_SORT_FIELDS)

const planNameSchema = z.string().min(1).max(200)

export const simFiltersSchema = z
  .object({
    carrier: z.array(carrierSchema).max(3).optional(),
    account: z.array(simAccountSchema).max(50).optional(),
    status: z
      .array(inventoryStatusSchema)
      .max(SIM_STATUSES.length + 1)
      .optional(),
    ratePlan: z.array(planNameSchema).max(50).optional(),
    /** Data this cycle at least / at most this many bytes (SIMs without a reading never match either). */
    dataAbove: z.number().int().min(0).optional(),
    dataBelow: z.number().int().min(0).optional(),
    attached: z.boolean().optional(),
    /** Listed by the carrier before this instant, or never. */
    refreshedBefore: z.iso.datetime().max(40).optional(),
    /** Words each found (any case) in the SIM id, ICCID, account, rate plan, communication plan or a device's name. */
    text: z.string().max(200).optional(),
  })
  .strict()
export type SimFilters = z.infer<typeof simFiltersSchema>

export const simQuerySchema = z
  .object({
    filters: simFiltersSchema.default({}),
    sort: simSortSchema.default('simId'),
    descending: z.boolean().default(false),
  })
  .strict()
export type SimQuery = z.infer<typeof simQuerySchema>

/** A SIM as a selection names it. */
export const simKeySchema = z.object({ carrier: carrierSchema, simId: simIdSchema }).strict()
export type SimKey = z.infer<typeof simKeySchema>

/**
 * What the operator selected in the inventory: every SIM matching a query except some, or SIMs picked one by one
 * (in the order `sort` gives). "All 100,000 matching but one" is this small value, never 100,000 ids.
 */
export const simSelectionSchema = z.union([
  z.object({ query: simQuerySchema, except: z.array(simKeySchema).max(MAX_SELECTION_KEYS).default([]) }).strict(),
  z.object({ keys: z.array(simKeySchema).min(1).max(MAX_SELECTION_KEYS), sort: simSortSchema.default('simId'), descending: z.boolean().default(false) }).strict(),
])
export type SimSelection = z.output<typeof simSelectionSchema>

export const savedSearchInputSchema = z
  .object({
    id: z
      .string()
      .max(48)
      .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, { message: "must be 1–48 lower-case letters, digits or '-'" }),
    name: z.string().min(1).max(200),
    query: simQuerySchema,
  })
  .strict()
export type SavedSearchInput = z.infer<typeof savedSearchInputSchema>
export const savedSearchSchema = savedSearchInputSchema.extend({ savedAt: z.string() })
export type SavedSearch = z.infer<typeof savedSearchSchema>

export const SIM_EXPORT_COLUMNS = [
  'carrier',
  'simId',
  'iccid',
  'account',
  'status',
  'statusRaw',
  'ratePlan',
  'communicationPlan',
  'dataBytes',
  'smsCount',
  'lastSessionAt',
  'asOf',
  'usageAsOf',
  'devices',
] as const

export const syncProgressSchema = z.object({
  account: z.string(),
  /** `stopped`: the operator stopped it (`reads:cancel`, Ctrl+C in the CLI); what it read is kept and the next sync goes on from there. */
  phase: z.enum(['listing', 'usage', 'done', 'failed', 'stopped']),
  /**
   * SIMs so far in this run, apart by phase: listed while listing (and when done), whose usage was read while reading
   * usage (and when the run failed or was stopped there).
   */
  sims: z.number().int(),
  calls: z.number().int(),
  done: z.boolean(),
})
export type SyncProgress = z.infer<typeof syncProgressSchema>

export const syncEstimateSchema = z.object({
  account: z.string(),
  /** SIMs the account holds as far as known (the carrier's count for Orange, the inventory's for Control Center). */
  sims: z.number().int(),
  /** Listing calls of a full refresh, and of usage reads when asked for. */
  listingCalls: z.number().int(),
  usageCalls: z.number().int(),
  perSecond: z.number(),
  seconds: z.number(),
  /** False when the count is a lower bound (Control Center's search does not say how many SIMs match). */
  exact: z.boolean(),
  /** When the last incremental sync finished; null before the first. */
  lastSyncAt: z.string().nullable(),
  /**
   * A run a stopped process left unfinished, or that the operator stopped (`stoppedAt`, null otherwise): its options,
   * the phase it reached and what it wrote. A sync with the same `full` and `usage` goes on from there; another starts anew.
   */
  interrupted: z
    .object({ full: z.boolean(), usage: z.boolean(), phase: z.enum(['listing', 'usage']), listed: z.number().int(), usageRead: z.number().int(), stoppedAt: z.string().nullable() })
    .nullable(),
})
export type SyncEstimate = z.infer<typeof syncEstimateSchema>

export const syncResultSchema = z.object({
  account: z.string(),
  listed: z.number().int(),
  usageRead: z.number().int(),
  calls: z.number().int(),
  /** True when the run went on from a checkpoint an interrupted run left. */
  resumed: z.boolean(),
  full: z.boolean(),
  /**
   * The operator stopped the run before it finished: the counts are what it read until then, all of it kept; no alert
   * was evaluated (`fired` is 0) and the next sync goes on from where it stopped, as after an interrupted run.
   */
  stopped: z.boolean(),
  fired: z.number().int(),
})
export type SyncResult = z.infer<typeof syncResultSchema>

// Alerts -----------------------------------------------------------------------------------------------------------

export const ALERT_KINDS = ['dataAbove', 'dataShare', 'smsAbove', 'statusChanged', 'noSession', 'syncFailing', 'smsFailed', 'weather'] as const
export type AlertKind = (typeof ALERT_KINDS)[number]

/**
 * Plans a data-share rule names an allowance for: more than an account's plan list holds. Its keys are plan names, so
 * a `__proto__` is refused rather than dropped by zod without a word (safeRecordSchema).
 */
const MAX_PLAN_ALLOWANCES = 1000

/** What a weather rule watches in the cached reading at a device's location, and the units its threshold may be in. */
export const WEATHER_RULE_MEASURES = ['temperature', 'windSpeed'] as const
export const WEATHER_RULE_UNITS = { temperature: ['°C', '°F'], windSpeed: ['km/h', 'mph', 'm/s', 'kn'] } as const
export const WEATHER_RULE_COMPARISONS = ['above', 'below'] as const
export const alertConditionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dataAbove'), bytes: z.number().int().min(1).max(1e15) }).strict(),
  /** A share of the plan's allowance; the carriers' plan lists give no allowance (docs/wire/control-center.md §1.5), so it is entered per plan. */
  z.object({ kind: z.literal('dataShare'), percent: z.number().min(1).max(1000), allowances: safeRecordSchema(planNameSchema, z.number().int().min(1).max(1e15), MAX_PLAN_ALLOWANCES) }).strict(),
  z.object({ kind: z.literal('smsAbove'), count: z.number().int().min(1).max(1e9) }).strict(),
  /** Any change, or only to these statuses. */
  z.object({ kind: z.literal('statusChanged'), to: z.array(simStatusSchema).max(SIM_STATUSES.length).default([]) }).strict(),
  z.object({ kind: z.literal('noSession'), days: z.number().int().min(1).max(3650) }).strict(),
  z.object({ kind: z.literal('syncFailing'), failures: z.number().int().min(1).max(1000) }).strict(),
  /** An SMS the app sent (SIM panel, outbox, bulk job) that Control Center reports Failed: once per message. */
  z.object({ kind: z.literal('smsFailed') }).strict(),
  /**
   * The weather cached at a device's location (devices with a location only): a temperature or wind speed above or
   * below the threshold. `unit`: the threshold's unit (one of WEATHER_RULE_UNITS[measure]); left out, the workspace's
   * weather units when the rule is added, which the rule then keeps.
   */
  z
    .object({
      kind: z.literal('weather'),
      measure: z.enum(WEATHER_RULE_MEASURES),
      comparison: z.enum(WEATHER_RULE_COMPARISONS),
      threshold: z.number().min(-1000).max(1000),
      unit: z.enum([...WEATHER_RULE_UNITS.temperature, ...WEATHER_RULE_UNITS.windSpeed]).optional(),
    })
    .strict(),
])
export type AlertCondition = z.infer<typeof alertConditionSchema>

export const alertRuleIdSchema = z
  .string()
  .max(48)
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, { message: "must be 1–48 lower-case letters, digits or '-'" })

export const alertRuleInputSchema = z
  .object({
    id: alertRuleIdSchema,
    name: z.string().min(1).max(200),
    condition: alertConditionSchema,
    carriers: z.array(carrierSchema).max(3).default([]),
    accounts: z.array(simAccountSchema).max(50).default([]),
    /** Team members (email addresses) told by email as well as in the inbox. */
    emails: z.array(z.email().max(254)).max(20).default([]),
  })
  .strict()
export type AlertRuleInput = z.infer<typeof alertRuleInputSchema>
export const alertRuleSchema = alertRuleInputSchema.extend({ createdAt: z.string() })
export type AlertRule = z.infer<typeof alertRuleSchema>

export const notificationSchema = z.object({
  id: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  kind: z.enum(ALERT_KINDS),
  /** The SIM concerned (null for an account-level alert). */
  sim: z.object({ carrier: carrierSchema, simId: z.string() }).nullable(),
  /** The device concerned (a weather alert); absent or null for the others. */
  device: z.object({ typeId: z.string(), deviceId: z.string() }).nullable().optional(),
  account: z.string().nullable(),
  /** What was found: bytes, a count, a status, days, failures, a failed SMS's id, a weather value with its unit ("63.2 km/h"). */
  value: z.union([z.number(), z.string()]),
  firedAt: z.string(),
  read: z.boolean(),
  /** The devices whose configuration names the SIM now (`type/id`, at most ten): where the notification links to. */
  devices: z.array(z.string()).max(10),
})
export type Notification = z.infer<typeof notificationSchema>

const notificationIdSchema = z
  .string()
  .max(120)
  .regex(/^inbox:[\w:.-]+$/, { message: 'must be a notification id' })
const nothing = z.object({}).strict()

export const simInventoryChannels = {
  /** A page of the inventory. */
  'sims:query': {
    input: z
      .object({ query: simQuerySchema.default({ filters: {}, sort: 'simId', descending: false }), offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1000).default(100) })
      .strict(),
    output: z.object({ total: z.number().int(), items: z.array(simRowSchema) }),
  },
  'sims:count': { input: z.object({ filters: simFiltersSchema.default({}) }).strict(), output: z.object({ total: z.number().int() }) },
  'sims:searches': { input: nothing, output: z.object({ items: z.array(savedSearchSchema) }) },
  /** Saves a named query (replacing one of the same id). */
  'sims:saveSearch': { input: savedSearchInputSchema, output: savedSearchSchema },
  'sims:removeSearch': { input: z.object({ id: savedSearchInputSchema.shape.id }).strict(), output: z.object({ removed: z.literal(true) }) },
  /** How long a full refresh of the account takes at its rate limit, before starting one. */
  'sims:estimate': { input: z.object({ account: simAccountSchema, usage: z.boolean().default(false) }).strict(), output: syncEstimateSchema },
  /**
   * Syncs one account: what changed since the last sync (or everything with `full`), then evaluates the alerts.
   * `readId` lets the caller stop it (`reads:cancel`): the call under way is abandoned and none follows.
   */
  'sims:sync': {
    input: z.object({ account: simAccountSchema, full: z.boolean().default(false), usage: z.boolean().default(false), readId: readIdSchema.optional() }).strict(),
    output: syncResultSchema,
  },
  /** Names a SIM the carrier listed in a device's extension configuration. */
  'sims:attach': {
    input: deviceKeySchema.extend({ carrier: carrierSchema, simId: simIdSchema }).strict(),
    output: z.object({ typeId: z.string(), deviceId: z.string() }),
  },
  /** Creates one device per SIM, its configuration naming the SIM (the device ID is the SIM id). */
  'sims:importAsDevices': {
    input: z.object({ typeId: deviceIdSchema, carrier: carrierSchema, simIds: z.array(simIdSchema).min(1).max(1000) }).strict(),
    output: z.object({ added: z.number().int(), existing: z.number().int() }),
  },
  /** Starts an export of a selection of the inventory; the file is then read with `export:next` until `done`. */
  'sims:export': {
    input: z.object({ selection: simSelectionSchema, format: z.enum(EXPORT_FORMATS) }).strict(),
    output: z.object({ jobId: z.string(), total: z.number().int() }),
  },
  'alerts:list': { input: nothing, output: z.object({ items: z.array(alertRuleSchema) }) },
  'alerts:add': { input: alertRuleInputSchema, output: alertRuleSchema },
  /** Moves the rule to the trash (its Undo restores it, with what it had already notified). */
  'alerts:remove': { input: z.object({ id: alertRuleIdSchema }).strict(), output: trashedSchema },
  /** Evaluates every rule over the cached inventory now. */
  'alerts:check': { input: nothing, output: z.object({ fired: z.number().int() }) },
  'inbox:list': {
    input: z.object({ unreadOnly: z.boolean().default(false), offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    output: z.object({ total: z.number().int(), unread: z.number().int(), items: z.array(notificationSchema) }),
  },
  'inbox:markRead': {
    input: z.object({ ids: z.array(notificationIdSchema).min(1).max(500), read: z.boolean().default(true) }).strict(),
    output: z.object({ changed: z.number().int() }),
  },
} as const

export const simInventoryEvents = {
  'sims:progress': syncProgressSchema,
  'inbox:changed': z.object({ unread: z.number().int() }),
  /** A rule was added, removed or restored from the trash (here or from the CLI on the same core). */
  'alerts:changed': z.object({}),
} as const
