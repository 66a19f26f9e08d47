/**
 * Runs a job's pending rows against Control Center, window by window, under the account's governor (the client's
 * http layer retries a refused call on its own; the account slows only when refusals are sustained). A window's rows
 * are journalled `sending` before their calls, and their outcomes after them — together with the job's counts, the
 * audit entries of the changes made, the SIMs' cached copies and the next window marked `sending`, in one bulkDocs.
 * A row found `sending` when a run starts is what a killed process left: a status or rate-plan change is read back from the carrier (done if the SIM already has it, sent again if
 * not: the change is idempotent); an SMS becomes `unknown` and is never sent again unless the operator asks.
 *
 * An Orange row's status change is a ticket (docs/wire/orange.md §4.4, §4.6): submitted through the Orange service
 * (which audits it and follows the ticket), its number journalled with the row still `sending`, and the row finished
 * when the ticket does — in the next window's journal write, and before the job stops (except when the core closes:
 * the next start follows the ticket again). A submission whose answer was lost is `unknown`, like an SMS: never
 * submitted again unless the operator asks.
 *
 * Pausing, cancelling or closing does not wait for the Control Center calls in flight (a hung carrier held a pause for
 * its timeouts and retries, about 90 s): they are abandoned. A call that never reached the carrier is pending again; a
 * status or rate-plan change that did may have been applied, so its row stays `sending` and is read back when the job
 * resumes, as after a kill (a cancelled job will not resume: its row is `unknown`). An SMS call is never abandoned once
 * started: a pause after it was sent would leave the SMS unknown, and it is not retried, so it ends within one timeout.
 * A status or rate-plan change runs under the SIM change deadline (read-deadline.ts): sent and unanswered by then (a
 * stalled link), its row is `unknown`, counted so and audited so, and the job goes on; not sent by then, it is pending
 * and the job pauses as for an unreachable carrier.
 */
import type { ErrorInfo } from '../../../src-shared/contract'
import type { OrangeTicket } from '../../../src-shared/models/orange'
import type { JobProgress } from '../../../src-shared/models/sim-jobs'
import type { OrangeAccount } from '../carriers/orange/accounts'
import type { ControlCenterClient, DeviceChanges, SmsDataCoding } from '../carriers/control-center/control-center.client'
import { editDeviceWithin, SIM_READ_DEADLINE_MS } from '../carriers/read-deadline'
import type { Sim } from '../carriers/sim-model'
import { AppError, isAppError } from '../common/errors'
import { RequestAbandoned } from '../http/http-client'
import { throttled, type EventBus } from '../common/events'
import { auditDoc, type AuditDoc } from '../store/audit.store'
import { readSimCache, writeSimCache, type SimCacheDoc } from '../store/cache.store'
import { sentSmsDoc, type SentSmsDoc } from '../store/sent-sms.store'
import type { BaseDoc, Db } from '../store/documents'
import { getTicket, listTickets, type TicketDoc } from '../store/tickets.store'
import { countRows, isOrangeRow, readRows, writeDocs, type JobDoc, type JobRowDoc } from './jobs.store'
import { endByTicket, orangeRequest, type OrangeJobPort } from './orange-rows'

/** The carrier could not be reached: the row was not sent, and the job pauses until the operator resumes it. */
const UNREACHABLE = new Set(['NETWORK', 'TIMEOUT', 'TLS'])
/** The client's retries ran out on a 429 or a 5xx: the row goes back in the queue, up to MAX_ROW_ATTEMPTS times. */
const TRANSIENT_KEYS = new Set(['carrier.rateLimited', 'carrier.unavailable', 'carrier.serverError'])
const MAX_ROW_ATTEMPTS = 5
/** Progress reaches the views at most five times a second (an SMS job finishes a row every few milliseconds). */
const PROGRESS_INTERVAL_MS = 200

export interface RunnerDeps {
  db: Db
  bus: EventBus
  /** The job's Control Center client, built when a row first needs it. */
  client: () => Promise<ControlCenterClient>
  /** Orange rows: the service, and the account each row goes through. */
  orange?: { port: OrangeJobPort; account(row: JobRowDoc): Promise<OrangeAccount> }
  actor: string
  now?: () => Date
  /**
   * Requests the job's Control Center account runs at once (its profile's concurrency, 1 by default): the job starts
   * no more calls than that, so a call that has not started yet can still be kept back when the job stops.
   */
  concurrency?: () => Promise<number>
  /** How long one row's status or rate-plan change may take before its outcome is unknown: SIM_READ_DEADLINE_MS unless given. */
  changeDeadlineMs?: number
}

/** The audit entry of the operator's pause or cancel, written with the job's final state. */
type StopAudit = (job: JobDoc) => AuditDoc

export interface RunHandle {
  /** Stops after the calls in flight; the job is then paused. */
  pause(audit: StopAudit): void
  /** Stops after the window in flight and leaves the job running: the next start resumes it (the core is closing). */
  halt(): void
  cancel(audit: StopAudit): void
  /** Settles once the job is journalled as running (with the audit entry of the call that started it). */
  readonly started: Promise<JobDoc>
  readonly done: Promise<JobDoc>
}

/**
 * `notSent`: the row's call was never started (the job was stopping, or the carrier had just proved unreachable).
 * `interrupted`: the call was abandoned after it reached the carrier (see the module comment).
 */
type Outcome =
  { state: 'done'; smsMsgId?: string } | { state: 'failed' | 'unknown' | 'pending'; error: ErrorInfo } | { state: 'sending'; ticket: OrangeTicket } | { state: 'notSent' } | { state: 'interrupted' }

/**
 * At most `limit()` calls at once, the others waiting their turn here rather than in the account's governor: a call
 * still waiting when the job stops is never started. Without it every row of the windows in flight (up to a hundred)
 * was already queued in the governor, and a carrier that hangs kept the job running, pause or not, for as many
 * timeouts in a row (half a minute and its retries each) before the job could pause.
 */
function createGate(limit: () => Promise<number>): <T>(task: () => Promise<T>) => Promise<T> {
  let size: Promise<number> | undefined
  let running = 0
  const waiting: (() => void)[] = []
  return async (task) => {
    const max = Math.max(1, await (size ??= limit().catch(() => 1)))
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve))
    running++
    try {
      return await task()
    } finally {
      running--
      waiting.shift()?.()
    }
  }
}

function errorInfo(e: unknown): ErrorInfo {
  return isAppError(e) ? e.toInfo() : { code: 'INTERNAL', message: 'Unexpected failure' }
}

/** One window's size: an SMS is journalled alone (a kill leaves at most one unknown); a change, about a second of calls. */
export function windowSize(job: JobDoc): number {
  return job.operation === 'sms' ? 1 : Math.max(1, Math.min(50, Math.round(job.perSecond)))
}

/**
 * Windows in flight at once. A change or a refresh is idempotent: two windows keep the account's governor busy while
 * one is journalled, and a kill leaves at most two windows `sending`, each read back on resume. An SMS is never
 * pipelined, so a kill leaves at most one `unknown`.
 */
export function pipelineDepth(job: JobDoc): number {
  return job.operation === 'sms' ? 1 : 2
}

/** A refresh only reads: it changes nothing an audit entry would record (the job's own run is audited). */
const AUDIT_ACTION = { status: 'sim.changeStatus', ratePlan: 'sim.changeRatePlan', sms: 'sim.sendSms', refresh: null } as const

/** A row's outcome as its audit entry records it. */
type RowOutcome = 'ok' | 'failed' | 'unknown'

/** The audit entry of what a row did at the carrier (none for a refresh, which changes nothing). */
export function rowAudit(job: JobDoc, actor: string, row: JobRowDoc, outcome: RowOutcome, more: { error?: ErrorInfo; detail?: string } = {}): AuditDoc[] {
  const action = AUDIT_ACTION[job.operation]
  if (action === null) return []
  return [
    auditDoc({
      actor,
      action,
      target: `${job.carrier}:${row.iccid ?? row.id} (job ${job.jobId})`,
      outcome,
      ...(row.before && job.operation !== 'sms' ? { before: row.before } : {}),
      after: job.operation === 'sms' ? { ...row.after, ...(row.smsMsgId ? { smsMsgId: row.smsMsgId } : {}) } : row.after,
      ...more,
    }),
  ]
}

/**
 * The cached copies of the SIMs a window changed, updated to what the carrier accepted. A change abandoned on the wire
 * (its row still `sending`, or unknown after a cancel) may have been applied: its SIM's copy is marked in doubt, so
 * that a pre-flight reads the SIM again rather than take the old status from it and send the change a second time.
 */
export async function cachedCopies(db: Db, job: JobDoc, rows: JobRowDoc[], at: string): Promise<SimCacheDoc[]> {
  // An SMS changes no SIM; a refresh wrote the copy it read.
  if (job.operation === 'sms' || job.operation === 'refresh') return []
  // An Orange ticket's follower reads the SIM again when the ticket ends.
  const changed = rows.filter((r) => !isOrangeRow(r) && (r.state === 'done' || r.state === 'sending' || r.state === 'unknown'))
  const docs = await Promise.all(changed.map((r) => readSimCache(db, job.carrier, r.iccid!)))
  return docs.flatMap((doc, i) => {
    if (!doc) return []
    const row = changed[i]!
    if (row.state !== 'done') return [{ ...doc, changeInDoubt: job.jobId }]
    const { changeInDoubt: _settled, ...kept } = doc
    const sim: Sim = { ...doc.sim, ...(row.after?.status ? { status: row.after.status, statusRaw: null } : {}), ...(row.after?.ratePlan ? { ratePlan: row.after.ratePlan } : {}), fetchedAt: at }
    return [{ ...kept, sim, fetchedAt: at }]
  })
}

/**
 * A change abandoned on its way to the carrier, in a job cancelled: it may have been applied, and a cancelled job is
 * never resumed to read it back, so its outcome is unknown. Returns its audit entry.
 */
export function cancelledInFlight(job: JobDoc, actor: string, row: JobRowDoc, at: string): AuditDoc[] {
  row.state = 'unknown'
  row.at = at
  row.error = AppError.withRef('UNKNOWN_OUTCOME', 'The job was cancelled while this change was on its way to the carrier: it may have been applied', {
    key: 'jobs.cancelledInFlight',
  }).toInfo()
  return rowAudit(job, actor, row, 'unknown', { error: row.error })
}

/**
 * The ticket of an Orange row left `sending`: the one the journal names, else the one the Orange service recorded for
 * its submission (same SIM and status, submitted after the row was journalled); null when the submission left no trace.
 */
export async function ticketOfRow(row: JobRowDoc, tickets: () => Promise<TicketDoc[]>): Promise<{ id: string; ticketNumber: number } | null> {
  if (row.ticketId) return { id: row.ticketId, ticketNumber: row.ticketNumber! }
  const wanted = orangeRequest(row.after?.status)
  const ticket = (await tickets()).find((t) => t.operation === 'status' && t.serialNumber === row.iccid && t.requestedStatus === wanted && row.at !== null && t.submittedAt >= row.at)
  return ticket ? { id: ticket._id, ticketNumber: ticket.ticketNumber } : null
}

const ticketUnknown = (): ErrorInfo =>
  AppError.withRef('UNKNOWN_OUTCOME', 'The process ended while this status ticket was being submitted: Orange may have received it', { key: 'jobs.ticketUnknown' }).toInfo()

/**
 * What a cancel makes of the rows a stopped job (paused, or left running by a process that ended) has `sending`, as a
 * running job's cancel would have made of them, since a cancelled job never resumes to settle them: a Control Center
 * change may have been applied, so it is unknown (cancelledInFlight); an SMS may have been sent, so it is unknown too,
 * never "not sent"; a refresh only reads, so it is simply not done (pending, which a cancelled job shows as not sent);
 * an Orange row takes the outcome of its ticket when Orange has ended it, and is unknown otherwise — its ticket still
 * open (the Orange service follows it, and audits how it ends, whatever the job does; the row takes that outcome then:
 * cancelled-tickets.ts) or its submission without a trace. Changes the rows in place, and returns the audit entries of their outcomes.
 */
const TICKET_OPEN_AT_CANCEL = 'jobs.ticketOpenAtCancel'

/** An Orange row a stopped job's cancel left unknown while its ticket was still open: it takes the ticket's outcome later. */
export const awaitsTicket = (row: JobRowDoc): boolean => row.state === 'unknown' && Boolean(row.ticketId) && row.error?.details?.ref?.key === TICKET_OPEN_AT_CANCEL

export async function settleStoppedRows(db: Db, job: JobDoc, actor: string, rows: JobRowDoc[], at: string): Promise<AuditDoc[]> {
  let tickets: Promise<TicketDoc[]> | undefined
  const ticketsKept = () => (tickets ??= listTickets(db))
  const audits: AuditDoc[] = []
  for (const row of rows.filter((r) => r.state === 'sending')) {
    if (job.operation === 'refresh') {
      row.state = 'pending'
      continue
    }
    if (job.operation === 'sms') {
      row.at = at
      row.state = 'unknown'
      row.error = AppError.withRef('UNKNOWN_OUTCOME', 'The job stopped while this SMS was being sent: it may have been sent', { key: 'jobs.smsInFlight' }).toInfo()
      audits.push(...rowAudit(job, actor, row, 'unknown', { error: row.error }))
      continue
    }
    if (!isOrangeRow(row)) {
      audits.push(...cancelledInFlight(job, actor, row, at))
      continue
    }
    // Its journal time finds the submission the Orange service recorded after it: changed only once it is found.
    const ticket = await ticketOfRow(row, ticketsKept)
    const doc = ticket ? await getTicket(db, ticket.id) : null
    row.at = at
    if (ticket) {
      row.ticketId = ticket.id
      row.ticketNumber = ticket.ticketNumber
    }
    if (doc?.final) {
      // The Orange service audited the ticket's outcome when it ended.
      endByTicket(row, doc, at)
      continue
    }
    row.state = 'unknown'
    if (doc) {
      // Until it ends: the jobs service then gives the row the ticket's outcome (cancelled-tickets.ts).
      row.error = AppError.withRef('UNKNOWN_OUTCOME', `The job was cancelled while Orange was processing ticket ${doc.ticketNumber}: this row takes the ticket's outcome when Orange ends it`, {
        key: TICKET_OPEN_AT_CANCEL,
        params: { ticket: doc.ticketNumber },
      }).toInfo()
      continue
    }
    row.error = ticket ? AppError.withRef('NOT_FOUND', `No ticket ${ticket.id} in this workspace`, { key: 'orange.ticketNotKept', params: { id: ticket.id.slice(0, 120) } }).toInfo() : ticketUnknown()
    audits.push(...rowAudit(job, actor, row, 'unknown', { error: row.error }))
  }
  return audits
}

export function startRun(job: JobDoc, deps: RunnerDeps, options: { resendUnknown: boolean; audit?: AuditDoc }): RunHandle {
  const { db, bus, actor } = deps
  const now = deps.now ?? (() => new Date())
  let stop: 'pause' | 'cancel' | 'halt' | null = null
  /** Aborted when the job stops: the Control Center calls in flight are abandoned rather than waited for. */
  const abandon = new AbortController()
  /** A call found the carrier unreachable: the calls that have not started are kept back, and the job pauses. */
  let unreachable: ErrorInfo | null = null
  const gate = createGate(deps.concurrency ?? (() => Promise.resolve(1)))
  let stopAudit: StopAudit | null = null
  const progressEvents = throttled(bus, 'jobs:progress', PROGRESS_INTERVAL_MS)

  const audit = (row: JobRowDoc, outcome: RowOutcome, more: { error?: ErrorInfo; detail?: string } = {}): AuditDoc[] => rowAudit(job, actor, row, outcome, more)

  function progress(startedAt: number, doneAtStart: number): JobProgress {
    const finished = job.counts.done + job.counts.failed + job.counts.unknown - doneAtStart
    const seconds = (Date.now() - startedAt) / 1000
    const rate = seconds > 0 && finished > 0 ? finished / seconds : null
    return { jobId: job.jobId, state: job.state, counts: { ...job.counts }, ratePerSecond: rate, etaSeconds: rate ? job.counts.pending / rate : null }
  }

  function orangeOf(): NonNullable<RunnerDeps['orange']> {
    if (!deps.orange) throw AppError.withRef('NOT_FOUND', 'Orange SIMs cannot be reached from here', { key: 'profiles.noneForCarrier', params: { carrier: 'orange' } })
    return deps.orange
  }

  /** An Orange row: a status ticket submitted (the service reads the SIM first and audits), or the SIM read again. */
  async function orangeCall(row: JobRowDoc): Promise<Outcome> {
    const orange = orangeOf()
    const account = await orange.account(row)
    if (job.operation === 'refresh') {
      const sim = await orange.port.bySerial.readSim(account, row.iccid!)
      row.after = { status: sim.status, ratePlan: sim.ratePlan }
      return { state: 'done' }
    }
    const ticket = await orange.port.bySerial.submitStatus(account, row.iccid!, orangeRequest(row.after?.status)!, undefined, { actor })
    return { state: 'sending', ticket }
  }

  function call(row: JobRowDoc): Promise<Outcome> {
    // An Orange row goes through its own account's governor, not this one's.
    return isOrangeRow(row) ? send(row) : gate(() => (stop || unreachable ? Promise.resolve<Outcome>({ state: 'notSent' }) : send(row)))
  }

  async function send(row: JobRowDoc): Promise<Outcome> {
    const iccid = row.iccid!
    try {
      if (isOrangeRow(row)) return await orangeCall(row)
      const client = await deps.client()
      const { signal } = abandon
      // Under the SIM change deadline, as from the panel: on a stalled link a change sent whose answer never comes is
      // unknown after it rather than failed after the HTTP timeouts (withChangeDeadline); a stop still abandons it.
      const edit = (changes: DeviceChanges) => editDeviceWithin(client, iccid, changes, deps.changeDeadlineMs ?? SIM_READ_DEADLINE_MS, signal)
      if (job.operation === 'status') await edit({ status: row.after!.status! })
      else if (job.operation === 'ratePlan') await edit({ ratePlan: row.after!.ratePlan! })
      else if (job.operation === 'refresh') {
        const sim = await client.getDevice(iccid, { usage: true, signal })
        await writeSimCache(db, sim)
        row.after = { status: sim.status, ratePlan: sim.ratePlan }
      } else {
        const text = row.rawParams.text ?? job.params.text ?? ''
        return { state: 'done', smsMsgId: (await client.sendSms(iccid, text, { dataCoding: row.after!.dataCoding as SmsDataCoding })).smsMsgId }
      }
      return { state: 'done' }
    } catch (e) {
      // A read abandoned changed nothing, whether it reached the carrier or not.
      if (e instanceof RequestAbandoned) return e.sent && job.operation !== 'refresh' ? { state: 'interrupted' } : { state: 'notSent' }
      const error = errorInfo(e)
      if (UNREACHABLE.has(error.code)) {
        unreachable ??= error
        return { state: 'pending', error }
      }
      if (error.code === 'RATE_LIMITED' || TRANSIENT_KEYS.has(error.details?.ref?.key ?? '')) return row.attempts >= MAX_ROW_ATTEMPTS ? { state: 'failed', error } : { state: 'pending', error }
      if (error.code === 'UNKNOWN_OUTCOME') return { state: 'unknown', error }
      return { state: 'failed', error }
    }
  }

  /** Orange tickets submitted by this run or an earlier one, whose outcome the job has not written yet. */
  const landed: ({ row: JobRowDoc; ticket: OrangeTicket } | { row: JobRowDoc; lost: ErrorInfo })[] = []
  const following = new Set<Promise<void>>()

  function follow(row: JobRowDoc): void {
    const waiting: Promise<void> = orangeOf()
      .port.waitFor(row.ticketId!)
      .then(
        (ticket) => void landed.push({ row, ticket }),
        (e: unknown) => {
          // A ticket the workspace no longer holds cannot say how it ended; otherwise the core is closing, and the row
          // stays `sending` with its ticket, followed at the next start.
          if (isAppError(e) && e.code === 'NOT_FOUND') landed.push({ row, lost: e.toInfo() })
        },
      )
      .finally(() => following.delete(waiting))
    following.add(waiting)
  }

  /**
   * A row left `sending`: its ticket, if the journal or the Orange service's own record of the submission has one, is
   * followed; otherwise the submission may or may not have reached Orange, and the row's outcome is unknown.
   */
  async function recoverOrange(row: JobRowDoc, tickets: () => Promise<TicketDoc[]>): Promise<void> {
    const ticket = await ticketOfRow(row, tickets)
    if (ticket) {
      row.ticketId = ticket.id
      row.ticketNumber = ticket.ticketNumber
      return follow(row)
    }
    row.state = 'unknown'
    row.error = ticketUnknown()
  }

  /**
   * Applies the outcomes of the tickets that ended since the last journal write to their rows; returns those rows, for
   * the next write to carry (the next window's journal, or the job's last write).
   */
  function takeLanded(): JobRowDoc[] {
    const at = now().toISOString()
    return landed.splice(0).map((outcome) => {
      const { row } = outcome
      row.at = at
      if ('lost' in outcome) {
        row.state = 'unknown'
        row.error = outcome.lost
        return row
      }
      endByTicket(row, outcome.ticket, at)
      return row
    })
  }

  /** Writes the landed outcomes on their own, with the job's counts: only when no window is left to carry them. */
  async function writeLanded(rows: JobRowDoc[]): Promise<void> {
    const changed = takeLanded()
    if (changed.length === 0) return
    job.counts = countRows(rows)
    job.updatedAt = now().toISOString()
    await writeDocs(db, [job, ...changed])
    progressEvents.push(progressNow())
  }

  /** The SMS a window sent, recorded for the account's syncs to read their delivery back (sent-sms.store.ts). */
  function sentRecords(rows: JobRowDoc[]): SentSmsDoc[] {
    if (job.operation !== 'sms') return []
    const account = `${job.carrier}:${job.profileId}`
    return rows.flatMap((r) =>
      r.state === 'done' && r.smsMsgId ? [sentSmsDoc({ carrier: job.carrier, account, iccid: r.iccid!, smsMsgId: r.smsMsgId, sentAt: r.at ?? now().toISOString(), jobId: job.jobId })] : [],
    )
  }

  /**
   * Rows a killed or stopped run left `sending` (see the module comment), and the unknown ones the operator asked to
   * send again. A Control Center status or rate-plan row left unknown (sent, unanswered within the deadline) is sent
   * again only when asked, which is harmless: setting a status or a plan twice changes nothing; an Orange submission is read first by the Orange service, which
   * refuses a SIM already in the wanted status.
   */
  async function recover(rows: JobRowDoc[]): Promise<{ audits: AuditDoc[]; changed: JobRowDoc[] }> {
    const audits: AuditDoc[] = []
    const changed = rows.filter((r) => r.state === 'sending' || (options.resendUnknown && r.state === 'unknown'))
    let tickets: Promise<TicketDoc[]> | undefined
    const ticketsKept = () => (tickets ??= listTickets(db))
    for (const row of rows.filter((r) => r.state === 'sending')) {
      if (job.operation === 'sms') {
        row.state = 'unknown'
        row.error = new AppError('UNKNOWN_OUTCOME', 'The process ended while this SMS was being sent: it may have been sent').toInfo()
        continue
      }
      if (job.operation === 'refresh') {
        row.state = 'pending'
        continue
      }
      if (isOrangeRow(row)) {
        await recoverOrange(row, ticketsKept)
        continue
      }
      // Read back: done if the SIM has the change, pending (sent again) if not. The SIM as read replaces its cached
      // copy, which the abandoned change had left in doubt.
      const sim = await (await deps.client()).getDevice(row.iccid!, { usage: false }).catch(() => null)
      if (sim) await writeSimCache(db, sim)
      const reached = sim !== null && (job.operation === 'status' ? sim.status === row.after?.status : sim.ratePlan === row.after?.ratePlan)
      row.state = reached ? 'done' : 'pending'
      if (reached) audits.push(...audit(row, 'ok', { detail: 'confirmed after a restart' }))
    }
    if (options.resendUnknown) {
      for (const row of rows.filter((r) => r.state === 'unknown')) {
        row.state = 'pending'
        row.error = null
      }
    }
    return { audits, changed }
  }

  async function run(): Promise<JobDoc> {
    const rows = await readRows(db, job.jobId)
    const { audits, changed } = await recover(rows)
    job.state = 'running'
    job.unreachable = null
    job.counts = countRows(rows)
    job.updatedAt = now().toISOString()
    await writeDocs(db, [job, ...changed], options.audit ? [options.audit, ...audits] : audits)
    if (options.audit || audits.length > 0) bus.emit('audit:changed', {})
    markStarted({ ...job })
    const startedAt = Date.now()
    const doneAtStart = job.counts.done + job.counts.failed + job.counts.unknown
    progressNow = () => progress(startedAt, doneAtStart)
    progressEvents.push(progress(startedAt, doneAtStart))

    const size = windowSize(job)
    const depth = pipelineDepth(job)
    let queue = rows.filter((r) => r.state === 'pending')
    let halted = false
    const flights: { window: JobRowDoc[]; outcomes: Promise<Outcome[]> }[] = []

    /**
     * Journals what a finished window came to and the tickets that ended since the last write, together with the next
     * window marked `sending` (one bulkDocs, one sync to disk), then starts that window's calls: the next window is
     * always journalled before any of its calls. A ticket's outcome may wait for this write: until then its row is
     * `sending` with its ticket, which a restart follows again (recover), so a kill loses nothing.
     */
    async function launch(finished: JobRowDoc[], extra: BaseDoc[]): Promise<void> {
      const window = stop || halted ? [] : queue.slice(0, size)
      queue = queue.slice(window.length)
      const ended = takeLanded()
      const at = now().toISOString()
      for (const row of window) {
        row.state = 'sending'
        row.attempts += 1
        row.at = at
      }
      job.counts = countRows(rows)
      if (halted) {
        job.state = 'paused'
        job.unreachable = unreachable
      }
      job.updatedAt = at
      // A row retried at once is in both: its `sending` state is the one to keep. A ticket that ended before its
      // window's outcome was journalled is in both too: written once, ended.
      const settled = new Set([...finished, ...ended].filter((r) => !window.includes(r)))
      await writeDocs(db, [job, ...settled, ...window], extra)
      if (window.length > 0) flights.push({ window, outcomes: Promise.all(window.map(call)) })
      // The window journalled `sending` is told too: a page that counted it as still to send offered a cancel that
      // said nothing of the changes already on their way to the carrier.
      if (window.length > 0 || ended.length > 0) progressEvents.push(progressNow())
    }

    /** Applies a window's outcomes to its rows; returns the audit entries of what they did. */
    function settle(window: JobRowDoc[], outcomes: Outcome[]): AuditDoc[] {
      const windowAudits: AuditDoc[] = []
      window.forEach((row, i) => {
        const outcome = outcomes[i]!
        if (outcome.state === 'notSent') {
          // Journalled `sending` but never sent: pending again, without the attempt. The job is stopping, or pauses
          // (`unreachable`), so the row waits for the next run.
          row.state = 'pending'
          row.attempts -= 1
          if (unreachable) halted = true
          return
        }
        if (outcome.state === 'interrupted') {
          // Journalled `sending` already: so it stays, read back when the job resumes; a cancelled job never does.
          if (stop !== 'cancel') return
          windowAudits.push(...cancelledInFlight(job, actor, row, now().toISOString()))
          return
        }
        row.state = outcome.state
        if (outcome.state === 'sending') {
          // `at` stays the journal's time, before the submission: a restart finds the ticket submitted after it.
          row.error = null
          row.ticketId = outcome.ticket.id
          row.ticketNumber = outcome.ticket.ticketNumber
          follow(row)
          return
        }
        row.at = now().toISOString()
        if (outcome.state === 'done') {
          row.error = null
          if (outcome.smsMsgId) row.smsMsgId = outcome.smsMsgId
          windowAudits.push(...audit(row, 'ok'))
          return
        }
        row.error = outcome.error
        if (outcome.state === 'pending') {
          if (UNREACHABLE.has(outcome.error.code)) halted = true
          else queue.push(row)
          return
        }
        windowAudits.push(...audit(row, outcome.state, { error: outcome.error }))
      })
      return windowAudits
    }

    if (queue.length > 0) await launch([], [])
    while (flights.length > 0) {
      // Keep the account's governor fed: the next window's calls queue behind this one's while it is journalled.
      if (flights.length < depth && queue.length > 0 && !stop && !halted) {
        await launch([], [])
        continue
      }
      const flight = flights.shift()!
      const windowAudits = settle(flight.window, await flight.outcomes)
      const caches: BaseDoc[] = await cachedCopies(db, job, flight.window, now().toISOString())
      await launch(flight.window, [...windowAudits, ...caches, ...sentRecords(flight.window)])
      if (windowAudits.length > 0) bus.emit('audit:changed', {})
      for (const row of flight.window) if (row.state === 'done' && job.operation !== 'sms' && !isOrangeRow(row)) bus.emit('sim:changed', { carrier: job.carrier, iccid: row.iccid! })
      progressEvents.push(progress(startedAt, doneAtStart))
    }
    // Tickets in flight end before the job stops, paused or cancelled too: Orange acts on them whatever the job does.
    // No window is left to carry their outcomes, so each wait's are written on their own.
    while (!haltRequested && following.size > 0) {
      await Promise.race([...following, haltSignal])
      await writeLanded(rows)
    }
    if (stop === 'halt' && !halted) {
      await writeLanded(rows)
      job.counts = countRows(rows)
      progressEvents.flush()
      return job
    }
    const ended = takeLanded()
    job.counts = countRows(rows)
    job.state = halted || stop === 'pause' ? 'paused' : stop === 'cancel' ? 'cancelled' : job.counts.pending > 0 ? 'paused' : 'done'
    job.unreachable = halted ? unreachable : null
    job.updatedAt = now().toISOString()
    await writeDocs(db, [job, ...ended], stopAudit ? [stopAudit(job)] : [])
    if (stopAudit) bus.emit('audit:changed', {})
    progressEvents.push(progress(startedAt, doneAtStart))
    progressEvents.flush()
    return job
  }

  let progressNow: () => JobProgress = () => progress(Date.now(), 0)
  // A closing core does not wait for tickets in flight: their rows stay `sending` with their ticket, followed at the next start.
  let haltRequested = false
  let signalHalt: () => void = () => undefined
  const haltSignal = new Promise<void>((resolve) => (signalHalt = resolve))
  let markStarted: (job: JobDoc) => void = () => undefined
  const started = new Promise<JobDoc>((resolve) => (markStarted = resolve))
  const done = run()
  const startedOrDone = Promise.race([started, done])
  // A caller that does not wait for the start (a resume at start-up) hears of a failure through `done`.
  startedOrDone.catch(() => undefined)
  return {
    started: startedOrDone,
    done,
    pause: (audit) => {
      if (stop === 'cancel') return
      stop = 'pause'
      stopAudit = audit
      abandon.abort()
    },
    cancel: (audit) => {
      stop = 'cancel'
      stopAudit = audit
      abandon.abort()
    },
    halt: () => {
      stop ??= 'halt'
      haltRequested = true
      signalHalt()
      abandon.abort()
    },
  }
}
