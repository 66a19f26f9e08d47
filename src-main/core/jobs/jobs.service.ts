/**
 * Bulk SIM jobs (issue 14) for Control Center accounts (Jasper, AT&T) and Orange SIMs (orange-rows.ts): create from a
 * CSV, a device query or a SIM inventory query,
 * pre-flight, run under the account's governor, pause / resume / cancel, per-row results, CSV export and undo. Every
 * changing call writes its audit entry in the same bulkDocs as the change; the rows' own changes are audited by the
 * runner (job-runner.ts). The journal (jobs.store.ts) lets a job resume after a restart or a kill.
 */
import { randomBytes } from 'node:crypto'
import type { Output, ParsedInput } from '../../../src-shared/contract'
import { JOB_EXPORT_PAGE, MAX_JOB_ROWS, type Job, type JobProgress } from '../../../src-shared/models/sim-jobs'
import type { CarrierClients } from '../carriers/carrier-clients'
import type { ControlCenterClient } from '../carriers/control-center/control-center.client'
import type { CallContext } from '../common/call-context'
import { AppError, isAppError } from '../common/errors'
import type { EventBus } from '../common/events'
import type { Logger } from '../log/logger'
import type { ProfilesService } from '../profiles/profiles.service'
import { auditDoc, type AuditDoc } from '../store/audit.store'
import { readSimCache, writeSimCache } from '../store/cache.store'
import type { BaseDoc, Db } from '../store/documents'
import type { ProfileDoc } from '../store/profiles.store'
import { jobCsvHeader, jobCsvLine } from './job-export'
import { parseJobCsv } from './job-csv'
import { cachedCopies, settleStoppedRows, startRun, type RunHandle } from './job-runner'
import { createCancelledTickets, ticketsLeftMarker } from './cancelled-tickets'
import { countRows, listJobs, newJobDoc, newRowDoc, readJob, readRows, toJob, toRow, writeDocs, writeInBatches, isOrangeRow, type JobDoc, type JobRowDoc } from './jobs.store'
import { preflightRows, type SimReading } from './preflight'
import type { OrangeJobPort } from './orange-rows'
import type { OrangeAccount } from '../carriers/orange/accounts'
import { cachedOrangeSim } from '../carriers/orange/sim-cache'

export interface JobsDeps {
  db: Db
  bus: EventBus
  profiles: ProfilesService
  clients: CarrierClients
  /** Pages of the device list for a job made from a query (the device index answers it). */
  queryDevices(input: ParsedInput<'devices:query'>): Promise<Output<'devices:query'>>
  /** Pages of the SIM inventory for a job made from the SIMs page's selection. */
  querySims(input: ParsedInput<'sims:query'>): Promise<Output<'sims:query'>>
  /** Orange rows go through the Orange service (its accounts, tickets and their follower); without it they are refused. */
  orange?: OrangeJobPort
  logger?: Logger
  now?: () => Date
  /** How long one row's status or rate-plan change may take before its outcome is unknown (job-runner.ts; tests shorten it). */
  changeDeadlineMs?: number
}

const QUERY_PAGE = 1000
const RESTART_ACTOR = 'fieldline:restart'

type Target = { source: string; id: string; rawParams: Record<string, string> }
type JobSourceOf<K extends ParsedInput<'jobs:create'>['source']['kind']> = ParsedInput<'jobs:create'>['source'] & { kind: K }

/** A job-level entry: Activity names the job by its operation and its number of SIMs (`after.operation`, `after.rows`), in the operator's words. */
function jobEntry(job: JobDoc, ctx: CallContext, { action, after }: { action: string; after: Record<string, unknown> }): AuditDoc {
  return auditDoc({ actor: ctx.actor, action, target: `job ${job.jobId}`, outcome: 'ok', after: { operation: job.operation, rows: job.counts.total, ...after } })
}

const profileIdOf = (doc: ProfileDoc): string => doc._id.split(':').slice(2).join(':')

export function createJobsService({ db, bus, profiles, clients, queryDevices, querySims, orange, logger, now = () => new Date(), changeDeadlineMs }: JobsDeps) {
  const runs = new Map<string, RunHandle>()
  const checks = new Map<string, { done: Promise<JobDoc>; stop: () => void }>()
  /** Rows a stopped job's cancel left to tickets Orange had not ended: they take the outcome when the ticket ends. */
  const ticketsLeft = orange ? createCancelledTickets({ db, port: orange, changed: (job) => bus.emit('jobs:progress', progressOf(job)), now, ...(logger ? { logger } : {}) }) : null

  async function mustGet(jobId: string): Promise<JobDoc> {
    const job = await readJob(db, jobId)
    if (!job) throw AppError.withRef('NOT_FOUND', `Job ${jobId} does not exist`, { key: 'jobs.notFound', params: { id: jobId } })
    return job
  }

  async function clientOf(job: JobDoc): Promise<ControlCenterClient> {
    return clients.forProfile(await profiles.resolve(job.carrier, job.profileId))
  }

  /**
   * The Orange account of each row: the one that listed the SIM (`orange:<profile>`), else the job's Orange profile;
   * each profile read once per pre-flight or run.
   */
  function orangeAccountsOf(job: JobDoc): (row: JobRowDoc) => Promise<OrangeAccount> {
    const known = new Map<string, Promise<OrangeAccount>>()
    return (row) => {
      if (!orange) return Promise.reject(AppError.withRef('NOT_FOUND', 'Orange SIMs cannot be reached from here', { key: 'profiles.noneForCarrier', params: { carrier: 'orange' } }))
      const listed = row.rawParams.account?.startsWith('orange:') ? row.rawParams.account.slice('orange:'.length) : undefined
      const id = listed ?? job.orangeProfileId ?? undefined
      let account = known.get(id ?? '')
      if (!account) known.set(id ?? '', (account = orange.accounts.profile(id)))
      return account
    }
  }

  function refuse(job: JobDoc, allowed: readonly JobDoc['state'][], action: string): void {
    if (!allowed.includes(job.state)) {
      throw AppError.withRef('CONFLICT', `Job ${job.jobId} is ${job.state}: it cannot ${action} now`, { key: 'jobs.wrongState', params: { id: job.jobId, state: job.state, action } })
    }
  }

  function progressOf(job: JobDoc): JobProgress {
    return { jobId: job.jobId, state: job.state, counts: job.counts, ratePerSecond: null, etaSeconds: job.state === 'ready' || job.state === 'paused' ? job.estimateSeconds : null }
  }

  /** Saves a job's new state with its audit entry (and the rows it changed, with theirs), when no run owns the document. */
  async function saveState(job: JobDoc, { state, action }: { state: JobDoc['state']; action: string }, ctx: CallContext, rows: JobRowDoc[] = [], extra: BaseDoc[] = []): Promise<Job> {
    job.state = state
    job.updatedAt = now().toISOString()
    await writeDocs(db, [job, ...rows], [jobEntry(job, ctx, { action, after: { state } }), ...extra])
    bus.emit('audit:changed', {})
    bus.emit('jobs:progress', progressOf(job))
    return toJob(job)
  }

  /** Every target a paged query yields, refused as a whole once it passes MAX_JOB_ROWS. */
  async function pagedTargets<T>(read: (offset: number) => Promise<{ total: number; items: T[] }>, target: (item: T) => Target | null): Promise<Target[]> {
    const targets: Target[] = []
    for (let offset = 0; ; offset += QUERY_PAGE) {
      const page = await read(offset)
      for (const item of page.items) {
        const t = target(item)
        if (t) targets.push(t)
      }
      if (targets.length > MAX_JOB_ROWS) {
        throw AppError.withRef('TOO_LARGE', `A job has at most ${MAX_JOB_ROWS} rows; this selection has more`, { key: 'jobs.tooManyRows', params: { max: MAX_JOB_ROWS, rows: page.total } })
      }
      if (page.items.length < QUERY_PAGE) return targets
    }
  }

  /** Targets of a device query, except the devices taken out of it: each device's SIM as its configuration names it. */
  function queryTargets(source: JobSourceOf<'query'>): Promise<Target[]> {
    const except = new Set(source.except.map((k) => `${k.typeId}/${k.deviceId}`))
    return pagedTargets(
      (offset) => queryDevices({ query: source.query, offset, limit: QUERY_PAGE, metadataFields: [] }),
      (d) => {
        const key = `${d.typeId}/${d.deviceId}`
        return d.simId && d.carrier && !except.has(key) ? { source: key, id: d.simId, rawParams: { carrier: d.carrier } } : null
      },
    )
  }

  /**
   * Targets of a SIM inventory query, except the SIMs taken out of it: each SIM by its ICCID (its id at the carrier
   * when the inventory has no ICCID; an Orange SIM by its serial number, which Orange's calls take), named by its first
   * device or the account that listed it. A SIM of another Control Center carrier is kept as a row, which pre-flight
   * refuses (otherCarrier), so the operator sees why it is left out.
   */
  function simTargets(source: JobSourceOf<'sims'>): Promise<Target[]> {
    const except = new Set(source.except.map((k) => `${k.carrier}:${k.simId}`))
    return pagedTargets(
      (offset) => querySims({ query: source.query, offset, limit: QUERY_PAGE }),
      (s) => {
        if (except.has(`${s.carrier}:${s.simId}`)) return null
        const source = s.devices[0] ?? s.account ?? s.carrier
        if (s.carrier === 'orange') return { source, id: s.simId, rawParams: { carrier: s.carrier, ...(s.account ? { account: s.account } : {}) } }
        return { source, id: s.iccid ?? s.simId, rawParams: { carrier: s.carrier } }
      },
    )
  }

  async function targetsOf(source: ParsedInput<'jobs:create'>['source']): Promise<Target[]> {
    if (source.kind === 'query') return queryTargets(source)
    if (source.kind === 'sims') return simTargets(source)
    return parseJobCsv(source.text).map((t) => {
      const rawParams: Record<string, string> = {}
      if (t.status !== undefined) rawParams.status = t.status
      if (t.ratePlan !== undefined) rawParams.ratePlan = t.ratePlan
      if (t.text !== undefined) rawParams.text = t.text
      const carrier = t.carrier ?? source.carrier
      if (carrier !== undefined) rawParams.carrier = carrier.toLowerCase()
      return { source: `line ${t.line}`, id: t.id, rawParams }
    })
  }

  /**
   * The Orange profile of Orange rows that name none; null when no row needs one or none exists (pre-flight then
   * refuses those rows: noAccount).
   */
  async function orangeProfileOf(id: string | undefined, targets: Target[]): Promise<string | null> {
    if (!orange || !targets.some((t) => t.rawParams.carrier === 'orange' && !t.rawParams.account)) return null
    try {
      return (await orange.accounts.profile(id)).profileId
    } catch (e) {
      if (isAppError(e) && e.code === 'NOT_FOUND' && id === undefined) return null
      throw e
    }
  }

  async function create(input: Omit<ParsedInput<'jobs:create'>, 'source'>, targets: Target[], ctx: CallContext, undoOf: string | null = null): Promise<JobDoc> {
    const jobId = `j${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
    if (targets.length === 0) throw AppError.withRef('VALIDATION', 'The job has no targets', { key: 'jobs.noTargets' })
    // A job of Orange SIMs only needs no Control Center account.
    const onlyOrange = targets.every((t) => t.rawParams.carrier === 'orange')
    const profile = onlyOrange && input.profileId === undefined ? null : await profiles.resolve(input.carrier, input.profileId)
    const settings = (profile?.settings ?? {}) as { perSecond?: number }
    const job = newJobDoc({
      jobId,
      operation: input.operation,
      carrier: input.carrier,
      profileId: profile ? profileIdOf(profile) : '',
      orangeProfileId: await orangeProfileOf(input.orangeProfileId, targets),
      params: input.params,
      perSecond: settings.perSecond ?? 5,
      undoOf,
      createdBy: ctx.actor,
      total: targets.length,
      orangeRows: targets.filter((t) => t.rawParams.carrier === 'orange').length,
      now: now().toISOString(),
    })
    const rows = targets.map((t, i) => newRowDoc(jobId, i + 1, t))
    const entry = jobEntry(job, ctx, { action: undoOf ? 'jobs.undo' : 'jobs.create', after: { carrier: input.carrier, profile: job.profileId, ...(undoOf ? { undoOf } : {}) } })
    await writeInBatches(db, rows, [job, entry])
    bus.emit('audit:changed', {})
    return (await readJob(db, jobId))!
  }

  async function readOrangeSim(accountOf: (row: JobRowDoc) => Promise<OrangeAccount>, row: JobRowDoc, refresh: boolean): Promise<SimReading> {
    const serial = row.iccid!
    let account: OrangeAccount
    try {
      account = await accountOf(row)
    } catch (e) {
      if (isAppError(e) && e.code === 'NOT_FOUND') return { noAccount: row.rawParams.account ?? 'orange' }
      throw e
    }
    const cached = refresh ? null : await cachedOrangeSim(db, serial)
    try {
      const sim = cached?.sim ?? (await orange!.bySerial.readSim(account, serial))
      return { found: true, status: sim.status, ratePlan: sim.ratePlan, pending: sim.orange?.requestedStatus ?? null }
    } catch (e) {
      if (isAppError(e) && e.code === 'NOT_FOUND') return { found: false }
      if (isAppError(e) && e.code === 'VALIDATION') return { error: e.message }
      throw e
    }
  }

  async function readSim(job: JobDoc, client: () => Promise<ControlCenterClient>, orangeAccount: (row: JobRowDoc) => Promise<OrangeAccount>, row: JobRowDoc, refresh: boolean): Promise<SimReading> {
    if (isOrangeRow(row)) return readOrangeSim(orangeAccount, row, refresh)
    const iccid = row.iccid!
    const known = await readSimCache(db, job.carrier, iccid)
    // The job's account would answer "not found", or act on a SIM another team runs: refused, naming the account.
    const other = await otherAccount(job, known?.inventory?.account)
    if (other !== null) return { otherAccount: other }
    // A copy a job's abandoned change left in doubt is read again: its old status would send the change a second time.
    if (known && !refresh && !known.changeInDoubt) return { found: true, status: known.sim.status, ratePlan: known.sim.ratePlan }
    try {
      const sim = await (await client()).getDevice(iccid, { usage: false })
      await writeSimCache(db, sim)
      return { found: true, status: sim.status, ratePlan: sim.ratePlan }
    } catch (e) {
      if (isAppError(e) && e.code === 'NOT_FOUND') return { found: false }
      if (isAppError(e) && e.code === 'VALIDATION') return { error: e.message }
      throw e
    }
  }

  const accountChecks = new WeakMap<JobDoc, Map<string, Promise<string | null>>>()

  /**
   * The name of the account the SIM inventory lists a SIM under (`jasper:<profile id>`) when it is not the job's: a
   * profile of the same server and user is the same account; a profile since removed is named by its id.
   */
  function otherAccount(job: JobDoc, listedUnder: string | undefined): Promise<string | null> {
    if (!listedUnder || listedUnder === `${job.carrier}:${job.profileId}`) return Promise.resolve(null)
    // Once per account and check, not once per row: a job of thousands of SIMs of one other account reads two profiles.
    let known = accountChecks.get(job)
    if (!known) accountChecks.set(job, (known = new Map()))
    let name = known.get(listedUnder)
    if (!name) known.set(listedUnder, (name = nameOfOtherAccount(job, listedUnder)))
    return name
  }

  async function nameOfOtherAccount(job: JobDoc, listedUnder: string): Promise<string | null> {
    const id = listedUnder.slice(job.carrier.length + 1)
    let theirs: ProfileDoc
    try {
      theirs = await profiles.get(job.carrier, id)
    } catch (e) {
      if (isAppError(e) && e.code === 'NOT_FOUND') return id
      throw e
    }
    const ours = await profiles.get(job.carrier, job.profileId)
    const login = (doc: ProfileDoc) => {
      const s = doc.settings as { baseUrl?: string; username?: string }
      return `${s.baseUrl ?? ''}\n${s.username ?? ''}`
    }
    return login(theirs) === login(ours) ? null : theirs.name
  }

  async function ratePlansOf(job: JobDoc, rows: JobRowDoc[], client: () => Promise<ControlCenterClient>): Promise<string[] | null> {
    if (job.operation !== 'ratePlan' || rows.every(isOrangeRow)) return null
    try {
      return (await (await client()).ratePlans()).map((p) => p.name)
    } catch (e) {
      // A role without access to the plan list (10000030) can still name a plan; the carrier then checks it.
      if (isAppError(e) && e.details?.carrierCode === '10000030') return null
      throw e
    }
  }

  /**
   * A pre-flight reads every SIM at the account's rate (minutes for thousands): a second ask for the same job (its
   * page opened again, another window) joins the one under way instead of reading each SIM twice and racing it to
   * the job's document; a cancel stops it (`stop`, read between batches of reads).
   */
  function preflight(jobId: string, refresh: boolean, ctx: CallContext): Promise<JobDoc> {
    const running = checks.get(jobId)
    if (running) return running.done
    let stopped = false
    const done = check(jobId, refresh, ctx, () => stopped).finally(() => checks.delete(jobId))
    checks.set(jobId, { done, stop: () => (stopped = true) })
    return done
  }

  async function check(jobId: string, refresh: boolean, ctx: CallContext, stopped: () => boolean): Promise<JobDoc> {
    const job = await mustGet(jobId)
    refuse(job, ['draft', 'ready'], 'be checked')
    const client = lazyClient(job)
    const orangeAccount = orangeAccountsOf(job)
    const rows = await readRows(db, jobId)
    const findings = await preflightRows(job, rows, {
      readSim: (row) => readSim(job, client, orangeAccount, row, refresh),
      ratePlans: await ratePlansOf(job, rows, client),
      progress: (read, total) => bus.emit('jobs:preflightProgress', { jobId, undoOf: job.undoOf, read, total }),
      stopped,
    })
    // The job as it is now: one abandoned while its SIMs were read stays so, its rows untouched.
    const current = await mustGet(jobId)
    refuse(current, ['draft', 'ready'], 'be checked')
    current.findings = findings
    current.counts = countRows(rows)
    current.estimateSeconds = await estimate(current, rows, orangeAccount)
    current.state = 'ready'
    current.updatedAt = now().toISOString()
    const entry = jobEntry(current, ctx, { action: 'jobs.preflight', after: { counts: current.counts, findings } })
    await writeInBatches(db, rows, [current, entry])
    bus.emit('audit:changed', {})
    return (await readJob(db, jobId))!
  }

  /** The Control Center client, built once and only when a row needs it (a job of Orange SIMs has none). */
  function lazyClient(job: JobDoc): () => Promise<ControlCenterClient> {
    let client: Promise<ControlCenterClient> | undefined
    return () => (client ??= clientOf(job))
  }

  /**
   * Seconds the pending rows take, each account at its own rate and the accounts side by side. An Orange row costs a
   * read and a submission (orange.service.ts reads the SIM first), its ticket's polls not counted.
   */
  async function estimate(job: JobDoc, rows: JobRowDoc[], orangeAccount: (row: JobRowDoc) => Promise<OrangeAccount>): Promise<number> {
    const pending = rows.filter((r) => r.state === 'pending')
    const orangeRows = pending.filter(isOrangeRow)
    const byAccount = new Map<string, { calls: number; perSecond: number }>()
    for (const row of orangeRows) {
      const account = await orangeAccount(row)
      const key = account.profileId ?? ''
      const entry = byAccount.get(key) ?? { calls: 0, perSecond: ((await profiles.resolve('orange', account.profileId ?? undefined)).settings as { perSecond?: number }).perSecond ?? 5 }
      entry.calls += 2
      byAccount.set(key, entry)
    }
    const seconds = [...byAccount.values()].map((a) => a.calls / a.perSecond)
    return Math.max((pending.length - orangeRows.length) / job.perSecond, ...seconds)
  }

  function launch(job: JobDoc, actor: string, resendUnknown: boolean, audit?: AuditDoc): RunHandle {
    const orangeRows = orange ? { port: orange, account: orangeAccountsOf(job) } : undefined
    const concurrency = async () => ((await profiles.resolve(job.carrier, job.profileId)).settings as { concurrency?: number }).concurrency ?? 1
    const handle = startRun(
      job,
      { db, bus, client: lazyClient(job), concurrency, ...(orangeRows ? { orange: orangeRows } : {}), ...(changeDeadlineMs ? { changeDeadlineMs } : {}), actor, now },
      { resendUnknown, ...(audit ? { audit } : {}) },
    )
    runs.set(job.jobId, handle)
    handle.done.catch((e: unknown) => logger?.error({ err: e, jobId: job.jobId }, 'a job stopped on an unexpected failure; it resumes from its journal')).finally(() => runs.delete(job.jobId))
    return handle
  }

  async function run(jobId: string, { resendUnknown, action }: { resendUnknown: boolean; action: string }, ctx: CallContext): Promise<Job> {
    const job = await mustGet(jobId)
    if (runs.has(jobId)) return toJob(job)
    refuse(job, ['ready', 'paused', 'running', 'done'], 'run')
    if (job.state === 'done' && !(resendUnknown && job.counts.unknown > 0)) return toJob(job)
    const audit = jobEntry(job, ctx, { action, after: { resendUnknown } })
    return toJob(await launch(job, ctx.actor, resendUnknown, audit).started)
  }

  return {
    async create(input: ParsedInput<'jobs:create'>, ctx: CallContext): Promise<Job> {
      return toJob(await create(input, await targetsOf(input.source), ctx))
    },

    async preflight(input: ParsedInput<'jobs:preflight'>, ctx: CallContext): Promise<Job> {
      return toJob(await preflight(input.jobId, input.refresh, ctx))
    },

    run: (input: ParsedInput<'jobs:run'>, ctx: CallContext) => run(input.jobId, { resendUnknown: input.resendUnknown, action: 'jobs.run' }, ctx),
    resume: (input: ParsedInput<'jobs:resume'>, ctx: CallContext) => run(input.jobId, { resendUnknown: false, action: 'jobs.resume' }, ctx),

    async pause(input: ParsedInput<'jobs:pause'>, ctx: CallContext): Promise<Job> {
      const handle = runs.get(input.jobId)
      if (handle) {
        handle.pause((job) => jobEntry(job, ctx, { action: 'jobs.pause', after: { state: job.state, counts: job.counts } }))
        return toJob(await handle.done)
      }
      const job = await mustGet(input.jobId)
      refuse(job, ['running', 'paused'], 'pause')
      return saveState(job, { state: 'paused', action: 'jobs.pause' }, ctx)
    },

    async cancel(input: ParsedInput<'jobs:cancel'>, ctx: CallContext): Promise<Job> {
      checks.get(input.jobId)?.stop()
      const handle = runs.get(input.jobId)
      if (handle) {
        handle.cancel((job) => jobEntry(job, ctx, { action: 'jobs.cancel', after: { state: job.state, counts: job.counts } }))
        return toJob(await handle.done)
      }
      const job = await mustGet(input.jobId)
      refuse(job, ['draft', 'ready', 'running', 'paused'], 'be cancelled')
      // Rows a pause left on the wire, or a killed process: a cancelled job never resumes to settle them, so they get
      // the end a running job's cancel gives them (settleStoppedRows), and changed SIMs' copies are in doubt.
      // Only a job that ran can have a row on the wire. A draft or checked job's rows are left as they are, unread: the
      // 75,300 rows of a draft took seconds to read for none (cold trial), while its page still said "Draft".
      const rows = job.state === 'running' || job.state === 'paused' ? await readRows(db, job.jobId) : []
      const open = rows.filter((r) => r.state === 'sending')
      const at = now().toISOString()
      const audits = await settleStoppedRows(db, job, ctx.actor, open, at)
      if (open.length > 0) job.counts = countRows(rows)
      // With the marker the next core opening looks for, when a row is left to its ticket (cancelled-tickets.ts).
      const extra = [...audits, ...(await cachedCopies(db, job, open, at)), ...(await ticketsLeftMarker(db, job.jobId, open))]
      const cancelled = await saveState(job, { state: 'cancelled', action: 'jobs.cancel' }, ctx, open, extra)
      ticketsLeft?.follow(open)
      return cancelled
    },

    async status(input: ParsedInput<'jobs:status'>): Promise<Output<'jobs:status'>> {
      const job = await mustGet(input.jobId)
      return { ...progressOf(job), job: toJob(job) }
    },

    async list(input: ParsedInput<'jobs:list'>): Promise<Output<'jobs:list'>> {
      return { items: (await listJobs(db, input.limit)).map(toJob) }
    },

    async rows(input: ParsedInput<'jobs:rows'>): Promise<Output<'jobs:rows'>> {
      await mustGet(input.jobId)
      const rows = (await readRows(db, input.jobId)).filter((r) => !input.state || r.state === input.state)
      return { total: rows.length, items: rows.slice(input.offset, input.offset + input.limit).map(toRow) }
    },

    async export(input: ParsedInput<'jobs:export'>): Promise<Output<'jobs:export'>> {
      const job = await mustGet(input.jobId)
      const rows = await readRows(db, input.jobId)
      const page = rows.slice(input.offset, input.offset + JOB_EXPORT_PAGE)
      const lines = page.map((row) => jobCsvLine(row, job.state))
      if (input.offset === 0) lines.unshift(jobCsvHeader())
      const next = input.offset + JOB_EXPORT_PAGE
      return { text: lines.length > 0 ? `${lines.join('\r\n')}\r\n` : '', nextOffset: next < rows.length ? next : null }
    },

    /**
     * A new job, checked, that sets back what this one changed: the rows done, and those whose outcome is unknown (a
     * change the carrier may have applied: the undo's pre-flight reads each SIM from the carrier, and skips one the
     * change never reached as "no change"), each to what pre-flight read before.
     */
    async undo(input: ParsedInput<'jobs:undo'>, ctx: CallContext): Promise<Job> {
      const job = await mustGet(input.jobId)
      if (job.operation === 'sms') throw AppError.withRef('VALIDATION', 'A sent SMS cannot be undone', { key: 'jobs.smsUndo' })
      if (job.operation === 'refresh') throw AppError.withRef('VALIDATION', 'A refresh changed nothing at the carrier: there is nothing to undo', { key: 'jobs.refreshUndo' })
      refuse(job, ['done', 'paused', 'cancelled'], 'be undone')
      const changed = (await readRows(db, input.jobId)).filter((r) => (r.state === 'done' || r.state === 'unknown') && r.before && (job.operation === 'status' ? r.before.status : r.before.ratePlan))
      if (changed.length === 0) throw AppError.withRef('VALIDATION', `Job ${job.jobId} changed no SIM: there is nothing to undo`, { key: 'jobs.nothingToUndo', params: { id: job.jobId } })
      const targets: Target[] = changed.map((r) => ({
        source: r.source,
        id: r.iccid ?? r.id,
        rawParams: {
          [job.operation]: String(job.operation === 'status' ? r.before!.status : r.before!.ratePlan),
          ...(r.rawParams.carrier ? { carrier: r.rawParams.carrier } : {}),
          ...(r.rawParams.account ? { account: r.rawParams.account } : {}),
        },
      }))
      const undo = await create(
        {
          operation: job.operation,
          carrier: job.carrier,
          ...(job.profileId ? { profileId: job.profileId } : {}),
          ...(job.orangeProfileId ? { orangeProfileId: job.orangeProfileId } : {}),
          params: {},
        },
        targets,
        ctx,
        job.jobId,
      )
      // The rows' current state is what this job left: read it again rather than trust a cache written before.
      return toJob(await preflight(undo.jobId, true, ctx))
    },

    /** Jobs a stopped process left running continue where their journal says (desktop and serve; the CLI runs them on demand). */
    async resumeInterrupted(): Promise<void> {
      for (const job of await listJobs(db, 500)) {
        if (job.state !== 'running' || runs.has(job.jobId)) continue
        try {
          // A Control Center account this core cannot reach yet (its key not in the keychain) leaves the job as it is.
          if (job.profileId) await clientOf(job)
          launch(job, RESTART_ACTOR, false)
        } catch (e) {
          logger?.warn({ err: e, jobId: job.jobId }, 'an interrupted job could not be resumed yet')
        }
      }
    },

    /**
     * Rows of cancelled jobs still awaiting their Orange tickets take the outcome of those that ended while no core
     * waited for them, and the others are followed again (every mode: the CLI's `job status` reads them too).
     */
    async resumeTicketsLeft(): Promise<void> {
      await ticketsLeft?.resume()
    },

    /** Waits for a running job to stop (the CLI's `job run` follows it until then). */
    async settled(jobId: string): Promise<void> {
      await runs.get(jobId)?.done.catch(() => undefined)
    },

    async close(): Promise<void> {
      const handles = [...runs.values()]
      for (const h of handles) h.halt()
      await Promise.all(handles.map((h) => h.done.catch(() => undefined)))
      await ticketsLeft?.close()
    },
  }
}

export type JobsService = ReturnType<typeof createJobsService>
