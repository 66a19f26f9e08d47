import type { ErrorInfo, Input, Output, Result } from '../../../../src-shared/contract'
import { finishedRows, JOB_ID_PATTERN, jobWaitingSeconds, undoableRows, type Job, type JobProgress, type JobRow, type JobRowState } from '../../../../src-shared/models/sim-jobs'
import { api, type Api, type ConnectionStatus } from '../api'
import { coreOutOfReach } from '../ws-transport'
import { EventStore, itemsOf } from './event-store.svelte'
import { PagedRows, type Page } from './paged-rows.svelte'

/** A job's progress as its event carries it, applied to the job the store holds (state and counts). */
function withProgress(job: Job, progress: JobProgress): Job {
  return { ...job, state: progress.state, counts: progress.counts }
}

/**
 * The bulk jobs, newest first, while the Jobs page shows them. Progress events change a listed job in place (state,
 * counts), so a running job's numbers move without a read per event; a job the list does not hold yet (created by the
 * CLI or another window) makes it read again.
 */
export class JobsList extends EventStore<Job[]> {
  readonly #api: Api

  constructor(source: Api = api) {
    super(source, { refreshOn: [{ event: 'audit:changed' }], settleMs: 300, live: 'whileActive' })
    this.#api = source
    source.on('jobs:progress', (progress) => {
      const jobs = this.value
      if (!jobs) return
      const at = jobs.findIndex((j) => j.id === progress.jobId)
      if (at < 0) return this.refresh()
      this.value = jobs.map((j, i) => (i === at ? withProgress(j, progress) : j))
    })
  }

  get items(): Job[] {
    return this.value ?? []
  }

  protected fetch(): Promise<Result<Job[]>> {
    return itemsOf(this.#api.invoke('jobs:list', { limit: 200 }))
  }

  create(input: Input<'jobs:create'>): Promise<Result<Job>> {
    return this.write(this.#api.invoke('jobs:create', input))
  }
}

const rowsQuery = (jobId: string, state: JobRowState | null): string => `${jobId}|${state ?? ''}`

/** A job's rows, optionally of one state, for the virtual table on the job's page. The query is `<jobId>|<state>`. */
export class JobRowsList extends PagedRows<JobRow> {
  readonly #api: Api

  constructor(source: Api = api) {
    super(source, { refreshOn: [], pageSize: 200, maxPages: 25 })
    this.#api = source
  }

  /** Shows the rows of `jobId`, of one state or all of them. */
  show(jobId: string, state: JobRowState | null): void {
    this.search(rowsQuery(jobId, state))
  }

  /** A page shows the rows of `jobId`: one read, of that job (a read without a job would be refused). */
  activateFor(jobId: string, state: JobRowState | null): () => void {
    this.query = rowsQuery(jobId, state)
    return this.activate()
  }

  protected fetchPage(query: string, offset: number, limit: number): Promise<Result<Page<JobRow>>> {
    const [jobId = '', state = ''] = query.split('|')
    return this.#api.invoke('jobs:rows', { jobId, offset, limit, ...(state ? { state: state as JobRowState } : {}) })
  }
}

/** What the operator can do with a job in a state (the core refuses the rest: jobs.service.ts). */
export interface JobActions {
  preflight: boolean
  run: boolean
  pause: boolean
  resume: boolean
  cancel: boolean
  /** Send again the SMS rows whose outcome is unknown (after the operator's explicit confirmation). */
  resendUnknown: boolean
  undo: boolean
  export: boolean
}

export function jobActions(job: Job): JobActions {
  const s = job.state
  return {
    preflight: s === 'draft' || s === 'ready',
    run: s === 'ready' && job.counts.pending > 0,
    pause: s === 'running',
    resume: s === 'paused',
    cancel: s === 'draft' || s === 'ready' || s === 'running' || s === 'paused',
    // An SMS, or an Orange status ticket, whose answer was lost.
    resendUnknown: (job.operation === 'sms' || job.operation === 'status') && job.counts.unknown > 0 && (s === 'paused' || s === 'done'),
    undo: (undoableRows(job)?.total ?? 0) > 0 && (s === 'done' || s === 'paused' || s === 'cancelled'),
    export: s !== 'draft',
  }
}

/**
 * Whether the transport has lost the core (serve mode killed or restarted, a tab without its token): nothing the page
 * shows can move then, and no action can reach the core. `connecting` is the first connection, whose calls wait for it.
 */
function coreAway(status: ConnectionStatus): boolean {
  return status === 'reconnecting' || status === 'restarted' || status === 'unauthorised'
}

/** The refusal of an address whose id has not the form of a job's (sim-jobs.ts JOB_ID_PATTERN). */
function notAJobId(jobId: string): ErrorInfo {
  return { code: 'VALIDATION', message: `"${jobId}" is not a job id`, details: { ref: { key: 'jobs.ui.notAJobId', params: { id: jobId } } } }
}

/** Whether a job's page could not show its job because there is none by that id: the page then offers the list. */
export function isNoSuchJob(error: ErrorInfo | null): boolean {
  return error?.details?.ref?.key === 'jobs.ui.notAJobId' || (error?.code === 'NOT_FOUND' && error.details?.ref?.key === 'jobs.notFound')
}

/** How often the rows on screen are read again while a job runs (its progress arrives up to five times a second). */
const ROWS_REFRESH_MS = 1000

type Action = 'preflight' | 'run' | 'pause' | 'resume' | 'cancel' | 'undo' | 'export'

/**
 * One job on its page: the job, its live progress (rate, ETA), the action under way and its refusal, and its rows.
 * Progress events of this job update it in place; a change of state reads the job again (pre-flight's findings and
 * estimate come with it), and the rows on screen are read again at most once a second while it runs.
 */
export class JobView {
  readonly jobId: string
  job = $state.raw<Job | null>(null)
  ratePerSecond = $state<number | null>(null)
  etaSeconds = $state<number | null>(null)
  error = $state.raw<ErrorInfo | null>(null)
  busy = $state<Action | null>(null)
  /**
   * Whether the operator's abandon is under way: the job's state is said so until the core answers (a large draft
   * takes seconds), apart from `busy`, which a check stopped by the abandon clears before the abandon's answer.
   */
  cancelling = $state(false)
  /** The SIMs the pre-flight under way has read, of those it reads; null when none runs. */
  preflightRead = $state<{ read: number; total: number } | null>(null)
  /** How long the running job has waited for a row to finish, in steps (jobWaitingSeconds); null while rows finish. */
  waitingSeconds = $state<number | null>(null)
  /**
   * Whether the core is out of reach: the page then says it waits for Fieldline rather than that the carrier is slow
   * (no progress can arrive), and offers no action until the core is back and the job read again (cold trial).
   */
  coreAway = $state(false)
  readonly rows: JobRowsList
  filter = $state<JobRowState | null>(null)
  readonly #api: Api
  #stops: (() => void)[] = []
  #lastRowsRead = 0
  #rowsTimer: ReturnType<typeof setTimeout> | undefined
  #seq = 0
  /** When a row last finished (or the page first saw the job), for `waitingSeconds`. */
  #moved = Date.now()

  /** `rows`: the list is kept between pages (a list follows the transport for good), so one serves every job page. */
  constructor(jobId: string, source: Api = api, rows: JobRowsList = jobRows) {
    this.jobId = jobId
    this.#api = source
    this.rows = rows
  }

  get actions(): JobActions | null {
    return this.job ? jobActions(this.job) : null
  }

  /**
   * The page shows the job: read it and follow its progress until the returned function is called. An address whose id
   * could not be a job's (typed or cut short) is said as such here: the core would refuse it as an invalid request,
   * which reads as if the operator had done something wrong; a well-formed id of no job the core says does not exist.
   */
  activate(): () => void {
    if (!JOB_ID_PATTERN.test(this.jobId)) {
      this.error = notAJobId(this.jobId)
      return () => {}
    }
    this.#stops.push(
      this.#api.on('jobs:progress', (p) => this.#onProgress(p)),
      this.#api.on('jobs:preflightProgress', (p) => {
        // A check of this job under way that this page did not start (started before the page was opened again, or
        // in another window): the page joins it (the core answers both with the one check) and shows how far it is.
        if (p.jobId === this.jobId && this.busy === null && p.read < p.total && this.actions?.preflight) void this.preflight(false)
        // Its own check, or the check of the undo job it is making (which reads every SIM again, minutes for thousands).
        const mine = (p.jobId === this.jobId && this.busy === 'preflight') || (p.undoOf === this.jobId && this.busy === 'undo')
        if (mine) this.preflightRead = { read: p.read, total: p.total }
      }),
      this.#api.onStatus((status) => {
        this.coreAway = coreAway(status)
        this.#checkWaiting()
      }),
      // Back: the job is read again, and the wait for a row counts from now (the time away was no carrier's doing).
      this.#api.onReconnect(() => {
        this.#moving()
        void this.load()
      }),
      this.rows.activateFor(this.jobId, this.filter),
    )
    this.coreAway = coreAway(this.#api.status)
    const waiting = setInterval(() => this.#checkWaiting(), 1000)
    this.#stops.push(() => clearInterval(waiting))
    this.#moved = Date.now()
    void this.load()
    return () => {
      for (const stop of this.#stops.splice(0)) stop()
      clearTimeout(this.#rowsTimer)
    }
  }

  async load(): Promise<void> {
    const seq = ++this.#seq
    const result = await this.#api.invoke('jobs:status', { jobId: this.jobId })
    if (seq !== this.#seq) return
    if (!result.ok) {
      // Read again on reconnection (activate); meanwhile the job shown stays, without an alert.
      if (!(this.job && coreOutOfReach(result.error))) this.error = result.error
      return
    }
    this.job = result.value.job
    this.ratePerSecond = result.value.ratePerSecond
    this.etaSeconds = result.value.etaSeconds
  }

  showRows(state: JobRowState | null): void {
    this.filter = state
    this.rows.show(this.jobId, state)
  }

  #onProgress(progress: JobProgress): void {
    if (progress.jobId !== this.jobId) return
    const before = this.job
    if (!before || before.state !== progress.state || finishedRows(before) !== finishedRows(progress)) this.#moving()
    if (before) this.job = withProgress(before, progress)
    this.ratePerSecond = progress.ratePerSecond
    this.etaSeconds = progress.etaSeconds
    if (!before || before.state !== progress.state) {
      void this.load()
      this.#readRows(true)
    } else {
      this.#readRows(false)
    }
  }

  #moving(): void {
    this.#moved = Date.now()
    this.waitingSeconds = null
  }

  #checkWaiting(): void {
    const waited = jobWaitingSeconds(Date.now() - this.#moved)
    this.waitingSeconds = this.job?.state === 'running' && !this.coreAway && waited > 0 ? waited : null
  }

  /** Reads the rows on screen again: now when `now`, else at most once per ROWS_REFRESH_MS, the last event never lost. */
  #readRows(now: boolean): void {
    clearTimeout(this.#rowsTimer)
    const wait = now ? 0 : ROWS_REFRESH_MS - (Date.now() - this.#lastRowsRead)
    if (wait <= 0) {
      this.#lastRowsRead = Date.now()
      this.rows.refresh()
      return
    }
    this.#rowsTimer = setTimeout(() => this.#readRows(true), wait)
  }

  /** Runs an action on the job; its answer replaces the job, its refusal stays in `error`. */
  async #act(action: Action, call: () => Promise<Result<Job>>): Promise<Result<Job>> {
    this.busy = action
    this.error = null
    const result = await call()
    this.busy = null
    if (!result.ok) {
      this.error = result.error
      return result
    }
    if (result.value.id === this.jobId) {
      this.#seq++
      this.job = result.value
      this.#readRows(true)
    }
    return result
  }

  async preflight(refresh: boolean): Promise<Result<Job>> {
    this.preflightRead = null
    const result = await this.#act('preflight', () => this.#api.invoke('jobs:preflight', { jobId: this.jobId, refresh })).finally(() => (this.preflightRead = null))
    // Abandoned while it was checked: the check stopped as the operator asked, which is no failure to report.
    if (!result.ok && result.error.code === 'CONFLICT' && this.job?.state === 'cancelled') this.error = null
    return result
  }

  run(resendUnknown: boolean): Promise<Result<Job>> {
    return this.#act('run', () => this.#api.invoke('jobs:run', { jobId: this.jobId, resendUnknown }))
  }

  pause(): Promise<Result<Job>> {
    return this.#act('pause', () => this.#api.invoke('jobs:pause', { jobId: this.jobId }))
  }

  resume(): Promise<Result<Job>> {
    return this.#act('resume', () => this.#api.invoke('jobs:resume', { jobId: this.jobId }))
  }

  cancel(): Promise<Result<Job>> {
    this.cancelling = true
    return this.#act('cancel', () => this.#api.invoke('jobs:cancel', { jobId: this.jobId })).finally(() => (this.cancelling = false))
  }

  /** A new job that sets back what this one changed; the page then shows that one. */
  undo(): Promise<Result<Job>> {
    this.preflightRead = null
    return this.#act('undo', () => this.#api.invoke('jobs:undo', { jobId: this.jobId })).finally(() => (this.preflightRead = null))
  }

  /** The rows' outcomes as one CSV text, read page by page (the core sends at most JOB_EXPORT_PAGE rows a call). */
  async exportCsv(): Promise<Result<string>> {
    this.busy = 'export'
    this.error = null
    const parts: string[] = []
    let offset: number | null = 0
    try {
      while (offset !== null) {
        const page: Result<Output<'jobs:export'>> = await this.#api.invoke('jobs:export', { jobId: this.jobId, offset })
        if (!page.ok) {
          this.error = page.error
          return page
        }
        parts.push(page.value.text)
        offset = page.value.nextOffset
      }
      return { ok: true, value: parts.join('') }
    } finally {
      this.busy = null
    }
  }
}

export const jobs = new JobsList()
export const jobRows = new JobRowsList()
