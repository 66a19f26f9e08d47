/**
 * Bulk SIM jobs (issue 14): one operation (status, rate plan, SMS, refresh) over many SIMs of one Control Center account
 * and of the Orange accounts that list the selection's Orange SIMs (their status change is an Orange status ticket),
 * checked before anything is sent (pre-flight), run under the account's rate governor, journalled so that a job
 * survives a restart, exported, and undone. The channels and events are spread into src-shared/contract.ts
 * (`...simJobChannels`, `...simJobEvents`).
 *
 * Rates: 'jobs:progress' at most a few times a second while a job runs (the event bus throttles it), and on each
 * state change; 'jobs:preflightProgress' once per batch of fifty SIMs a pre-flight reads.
 */
import { z } from 'zod'
import { errorInfoSchema } from './errors'
import { byteLimitedString } from './limits'
import { controlCenterExtensionSchema, profileIdSchema } from './profiles'
import { carrierSchema, simStatusSchema } from './sim'
import { deviceQuerySchema, MAX_SELECTION_KEYS } from './device-query'
import { deviceKeySchema } from './device-id'
import { simKeySchema, simQuerySchema } from './sim-inventory'

/** SIM states an operator can set from Fieldline (the platform's console offered exactly these). */
export const SETTABLE_SIM_STATES = ['inventory', 'activationReady', 'activated', 'deactivated', 'retired'] as const
export const settableSimStateSchema = z.enum(SETTABLE_SIM_STATES)

/**
 * States a job's status change may ask for: Control Center's settable states, and those an Orange status ticket may
 * request (docs/wire/orange.md §4.4: ACTIVATED, ACTIVATED_FOR_TEST, SLEEPING, SUSPENDED). Each row's carrier decides
 * which it accepts; pre-flight refuses the others per row.
 */
export const JOB_STATUS_TARGETS = [...SETTABLE_SIM_STATES, 'activatedForTest', 'sleeping', 'suspended'] as const
export const jobStatusTargetSchema = z.enum(JOB_STATUS_TARGETS)

/** `refresh`: read each SIM again from the carrier (status, rate plan) into the workspace; nothing changes at the carrier. */
export const JOB_OPERATIONS = ['status', 'ratePlan', 'sms', 'refresh'] as const
export const jobOperationSchema = z.enum(JOB_OPERATIONS)
export type JobOperation = z.infer<typeof jobOperationSchema>

/**
 * draft: created, not checked yet; ready: pre-flight done, nothing sent; running; paused (by the operator, or a
 * process that ended mid-way in the CLI); cancelled: the rest will not be sent; done: every row has an outcome.
 */
export const JOB_STATES = ['draft', 'ready', 'running', 'paused', 'cancelled', 'done'] as const
export const jobStateSchema = z.enum(JOB_STATES)
export type JobState = z.infer<typeof jobStateSchema>

/**
 * pending: to send; sending: journalled as about to be sent (a row left so by a crash is checked before anything
 * else happens to it); done; failed: the carrier said no, or it could not be reached after the retries; unknown: an
 * SMS that may or may not have been sent (never sent again without the operator's explicit choice); skipped: not
 * sent because pre-flight refused it, or because nothing would change.
 */
export const JOB_ROW_STATES = ['pending', 'sending', 'done', 'failed', 'unknown', 'skipped'] as const
export const jobRowStateSchema = z.enum(JOB_ROW_STATES)
export type JobRowState = z.infer<typeof jobRowStateSchema>

/**
 * A row's state as the views say it (the app's job page, the CLI), as its job's state makes it: a row `sending` in a
 * job that is not running is no longer on its way (its call was abandoned when the job paused, and the carrier is asked
 * when the job resumes whether the change was applied); a row still pending in a cancelled job will never be sent.
 */
export function shownRowState(state: JobRowState, jobState?: JobState): JobRowState | 'interrupted' | 'notSent' {
  if (state === 'sending' && jobState !== undefined && jobState !== 'running') return 'interrupted'
  if (state === 'pending' && jobState === 'cancelled') return 'notSent'
  return state
}

/**
 * The row states a job in `jobState` can have, for the views' filters (a draft's "Interrupted (0)" was offered): a draft
 * has only rows to send; pre-flight skips some (ready); nothing is on its way once a job is cancelled (the cancel settles
 * those rows) or done, where no row waits either.
 */
function possibleRowStates(jobState: JobState): readonly JobRowState[] {
  switch (jobState) {
    case 'draft':
      return ['pending']
    case 'ready':
      return ['pending', 'skipped']
    case 'running':
    case 'paused':
      return JOB_ROW_STATES
    case 'cancelled':
      return JOB_ROW_STATES.filter((s) => s !== 'sending')
    case 'done':
      return JOB_ROW_STATES.filter((s) => s !== 'sending' && s !== 'pending')
  }
}

/** The row states a job's rows filter offers: those its rows can be in (possibleRowStates), any that has rows, and the one chosen. */
export function offeredRowStates(job: { state: JobState; counts: Record<JobRowState, number> }, chosen: JobRowState | ''): JobRowState[] {
  const possible = possibleRowStates(job.state)
  return JOB_ROW_STATES.filter((s) => possible.includes(s) || job.counts[s] > 0 || s === chosen)
}

/**
 * The rows of a job an undo sets back (jobs:undo): a status or rate-plan job's rows done, and those whose outcome is
 * unknown (a change on its way when the job was cancelled, an Orange submission whose answer was lost) — the undo's
 * pre-flight reads each SIM from the carrier, so one the change never reached is skipped as "no change". Null for a
 * job that cannot be undone (an SMS, a refresh).
 */
export function undoableRows(job: { operation: JobOperation; counts: Pick<JobCounts, 'done' | 'unknown'> }): { done: number; unknown: number; total: number } | null {
  if (job.operation !== 'status' && job.operation !== 'ratePlan') return null
  return { done: job.counts.done, unknown: job.counts.unknown, total: job.counts.done + job.counts.unknown }
}

/** What pre-flight found on a row: errors keep it from being sent, warnings do not, `noChange` skips it. */
export const PREFLIGHT_CODES = [
  'empty',
  'notDigits',
  'mangled',
  'length',
  'luhn',
  'duplicate',
  'notFound',
  'unreadable',
  'transition',
  'noChange',
  'smsInactive',
  'smsTooLong',
  'smsCharacter',
  'badParam',
  'unknownPlan',
  'otherCarrier',
  'unsupported',
  'pendingChange',
  'noAccount',
  'otherAccount',
] as const
export const preflightCodeSchema = z.enum(PREFLIGHT_CODES)
export type PreflightCode = z.infer<typeof preflightCodeSchema>

export const preflightIssueSchema = z.object({ code: preflightCodeSchema, severity: z.enum(['error', 'warning', 'skip']), detail: z.string().optional() })
export type PreflightIssue = z.infer<typeof preflightIssueSchema>

const smsDataCodingSchema = z.union([z.literal(0), z.literal(1), z.literal(3), z.literal(4), z.literal(8)])

/** The job's parameters; a CSV row may give its own `status`, `ratePlan` or `text`. */
export const jobParamsSchema = z
  .object({
    status: jobStatusTargetSchema.optional(),
    ratePlan: z.string().trim().min(1).max(200).optional(),
    text: z.string().min(1).max(320).optional(),
    dataCoding: smsDataCodingSchema.optional(),
  })
  .strict()
export type JobParams = z.infer<typeof jobParamsSchema>

/** A job's CSV: a header naming `iccid` and optionally `status`, `ratePlan`, `text`; at most MAX_JOB_ROWS rows. */
export const MAX_JOB_CSV_BYTES = 4 * 1024 * 1024
export const MAX_JOB_ROWS = 100_000

/** What a SIM was before a row ran, and what the row sets (status, rate plan) or sends (an SMS's length and coding). */
export const simSideSchema = z.object({
  status: simStatusSchema.nullable().optional(),
  ratePlan: z.string().nullable().optional(),
  smsLength: z.number().int().optional(),
  dataCoding: smsDataCodingSchema.optional(),
})
export type SimSide = z.infer<typeof simSideSchema>

export const jobRowSchema = z.object({
  seq: z.number().int(),
  /** The CSV line (1 = header) or the device (`type/id`) the row came from. */
  source: z.string(),
  /** The identifier as given (kept as typed, so a mangled one is shown as the spreadsheet wrote it). */
  id: z.string(),
  state: jobRowStateSchema,
  issues: z.array(preflightIssueSchema),
  before: simSideSchema.nullable(),
  after: simSideSchema.nullable(),
  error: errorInfoSchema.nullable(),
  smsMsgId: z.string().nullable(),
  /** The row's carrier when it is not the job's account's (an Orange SIM in a job made from a mixed selection). */
  carrier: carrierSchema.nullable(),
  /** The Orange ticket that carries the row's status change, once submitted. */
  ticketNumber: z.number().int().nullable(),
  attempts: z.number().int(),
  at: z.string().nullable(),
})
export type JobRow = z.infer<typeof jobRowSchema>

export const jobCountsSchema = z.object({
  total: z.number().int(),
  pending: z.number().int(),
  sending: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  unknown: z.number().int(),
  skipped: z.number().int(),
})
export type JobCounts = z.infer<typeof jobCountsSchema>

export const jobSchema = z.object({
  id: z.string(),
  operation: jobOperationSchema,
  carrier: controlCenterExtensionSchema,
  profileId: z.string(),
  params: jobParamsSchema,
  state: jobStateSchema,
  counts: jobCountsSchema,
  /** Pre-flight's totals by code (rows with that finding). */
  findings: z.record(z.string(), z.number().int()),
  /** Seconds the rows to send take at the account's rate limit (pre-flight's estimate). */
  estimateSeconds: z.number().nullable(),
  perSecond: z.number(),
  /** The job this one undoes. */
  undoOf: z.string().nullable(),
  /** Rows of Orange SIMs (absent in a job made before they were counted). */
  orangeRows: z.number().int().optional(),
  /** Why the job paused on its own: the carrier could not be reached (the failure of the call that found it); null or absent otherwise. */
  unreachable: errorInfoSchema.nullable().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
})
export type Job = z.infer<typeof jobSchema>

export const jobProgressSchema = z.object({
  jobId: z.string(),
  state: jobStateSchema,
  counts: jobCountsSchema,
  /** Rows finished per second over the last window; null before the first. */
  ratePerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
})
export type JobProgress = z.infer<typeof jobProgressSchema>

/**
 * A running job none of whose rows has finished for this long is waiting on its carrier (the account's rate gives rows
 * every second or so): the app and the CLI say so, in steps this long, instead of a rate and an ETA frozen at their last
 * values (a hung carrier takes about a minute and a half of timeouts to pause the job).
 */
export const JOB_WAITING_STEP_SECONDS = 15

/** How long a running job has waited for a row to finish, in whole steps of JOB_WAITING_STEP_SECONDS (0 under one). */
export const jobWaitingSeconds = (waitedMs: number): number => Math.floor(waitedMs / 1000 / JOB_WAITING_STEP_SECONDS) * JOB_WAITING_STEP_SECONDS

/** Rows a job's run is done with (the progress bar; a running job waits on its carrier while this stays put). */
export function finishedRows(job: { counts: JobCounts }): number {
  const c = job.counts
  return c.done + c.failed + c.unknown + c.skipped
}

/** A pre-flight's reads so far: of the rows it reads the SIM of (from the cache, or from the carrier), how many are read. */
/** `undoOf`: the job an undo job sets back (its pre-flight runs while the operator waits on that job's page). */
export const jobPreflightProgressSchema = z.object({ jobId: z.string(), undoOf: z.string().nullable(), read: z.number().int(), total: z.number().int() })
export type JobPreflightProgress = z.infer<typeof jobPreflightProgressSchema>

export const JOB_ID_PATTERN = /^j[0-9a-z]{6,30}$/
export const jobIdSchema = z.string().max(32).regex(JOB_ID_PATTERN, { message: 'must be a job id (j followed by letters and digits)' })

const jobInput = z.object({ jobId: jobIdSchema }).strict()

/**
 * Where a job's targets come from: a CSV, the devices a device query matches except some (each device's SIM: the
 * device list's "all matching" selection), or the SIMs a SIM inventory query matches except some (the SIMs page's
 * selection).
 */
export const jobSourceSchema = z.discriminatedUnion('kind', [
  /** `carrier: 'orange'`: rows without a carrier column are Orange SIMs named by their serial numbers. */
  z.object({ kind: z.literal('csv'), text: byteLimitedString(MAX_JOB_CSV_BYTES), carrier: z.literal('orange').optional() }).strict(),
  z.object({ kind: z.literal('query'), query: deviceQuerySchema, except: z.array(deviceKeySchema.strict()).max(MAX_SELECTION_KEYS).default([]) }).strict(),
  z.object({ kind: z.literal('sims'), query: simQuerySchema, except: z.array(simKeySchema).max(MAX_SELECTION_KEYS).default([]) }).strict(),
])
export type JobSource = z.input<typeof jobSourceSchema>

export const JOB_EXPORT_PAGE = 10_000

export const simJobChannels = {
  /** A new job (state draft) from a CSV, a device query or a SIM inventory query: its rows are written, nothing is sent. Audited. */
  'jobs:create': {
    input: z
      .object({
        operation: jobOperationSchema,
        carrier: controlCenterExtensionSchema.default('jasper'),
        profileId: profileIdSchema.optional(),
        /** The Orange account of Orange rows whose source names none (a CSV, a device query); the default Orange profile otherwise. */
        orangeProfileId: profileIdSchema.optional(),
        source: jobSourceSchema,
        params: jobParamsSchema.default({}),
      })
      .strict(),
    output: jobSchema,
  },
  /** Checks every row (identifiers, the SIM's current status from the cache or a read, SMS length); nothing is sent. Audited. */
  'jobs:preflight': { input: z.object({ jobId: jobIdSchema, refresh: z.boolean().default(false) }).strict(), output: jobSchema },
  /** Starts (or continues) sending; `resendUnknown` sends SMS rows whose outcome is unknown again. Audited. */
  'jobs:run': { input: z.object({ jobId: jobIdSchema, resendUnknown: z.boolean().default(false) }).strict(), output: jobSchema },
  'jobs:pause': { input: jobInput, output: jobSchema },
  'jobs:resume': { input: jobInput, output: jobSchema },
  'jobs:cancel': { input: jobInput, output: jobSchema },
  'jobs:status': { input: jobInput, output: jobProgressSchema.extend({ job: jobSchema }) },
  'jobs:list': { input: z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict(), output: z.object({ items: z.array(jobSchema) }) },
  'jobs:rows': {
    input: z.object({ jobId: jobIdSchema, offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1000).default(100), state: jobRowStateSchema.optional() }).strict(),
    output: z.object({ total: z.number().int(), items: z.array(jobRowSchema) }),
  },
  /** A page of the per-row outcomes as CSV (spreadsheet-safe cells); the header comes with offset 0. */
  'jobs:export': {
    input: z.object({ jobId: jobIdSchema, offset: z.number().int().min(0).default(0) }).strict(),
    output: z.object({ text: z.string(), nextOffset: z.number().int().nullable() }),
  },
  /** A new job that sets back the status or rate plan of the rows this one changed (pre-flight done). Audited. */
  'jobs:undo': { input: jobInput, output: jobSchema },
} as const

export const simJobEvents = {
  'jobs:progress': jobProgressSchema,
  'jobs:preflightProgress': jobPreflightProgressSchema,
} as const
