import { orangeIccidFromSerial } from '../../../src-shared/models/orange'
import type { SyncEstimate, SyncProgress } from '../../../src-shared/models/sim-inventory'
import type { Carrier, SimStatus } from '../../../src-shared/models/sim'
import type { ControlCenterClient, DeviceSearchPage } from '../carriers/control-center/control-center.client'
import type { OrangeClient, OrangeSearchRow } from '../carriers/orange/orange.client'
import { normaliseOrangeStatus } from '../carriers/sim-model'
import { AppError } from '../common/errors'
import type { SimCacheDoc } from '../store/cache.store'
import type { Db } from '../store/documents'
import { readCheckpoint, simDocId, SIM_DOC_PREFIX, writeCheckpoint, writeListed, writeUsage, type Listed, type SyncCheckpoint } from './inventory.store'

/**
 * docs/wire/control-center.md §1.9: the full-sync idiom. Incremental runs start from the previous run's `modifiedTill`
 * less a margin: the service's clock and ours may differ, and listing a SIM twice costs nothing ([I] one minute).
 */
const FIRST_SINCE = '2000-01-01T00:00:00.000Z'
const CLOCK_MARGIN_MS = 60_000
/** §1.2 / §1.4: page size ≤ 50. */
const CC_PAGE = 50
/** The Orange client's largest rangeSize (docs/wire/orange.md §4.3 leaves the cap undocumented; the client's is 100). */
const ORANGE_PAGE = 100
/** SIMs listed per write (one checkpoint each). */
export const FLUSH_SIMS = 500
/** Pages fetched ahead of the writes, at most. */
const MAX_AHEAD = 40
/** SIMs read per usage batch (one checkpoint each). */
const USAGE_BATCH = 50

export type AccountClient = { carrier: 'jasper' | 'atnt'; client: ControlCenterClient } | { carrier: 'orange'; client: OrangeClient }

export interface SyncRunOptions {
  db: Db
  account: string
  access: AccountClient
  full: boolean
  usage: boolean
  now: () => Date
  onProgress: (p: SyncProgress) => void
  /**
   * The operator stops the run: the call under way is abandoned, none follows, what was read is written and the
   * checkpoint says the run was stopped (`stoppedAt`), so that the next run goes on from there as after a killed process.
   */
  stop?: AbortSignal
}

export interface SyncOutcome {
  listed: number
  usageRead: number
  calls: number
  resumed: boolean
  full: boolean
  stopped: boolean
}

/**
 * One account's sync: the listing (what changed since the last finished run), then optionally the usage of its active
 * SIMs. Every page is written, then the checkpoint moved past it, so a run killed at any point goes on from the last
 * page written (a page written twice is harmless: the listing is idempotent).
 */
export async function runAccountSync(o: SyncRunOptions): Promise<SyncOutcome> {
  // Stopped before it began: a run another sync left is kept as it is, whatever its options.
  if (o.stop?.aborted) return { listed: 0, usageRead: 0, calls: 0, resumed: false, full: o.full, stopped: true }
  let cp = await readCheckpoint(o.db, o.account)
  const resumed = cp.run !== null && cp.run.full === o.full && cp.run.usage === o.usage
  if (resumed && cp.run!.stoppedAt) cp = await writeCheckpoint(o.db, o.account, { ...cp, run: { ...cp.run!, stoppedAt: null } })
  if (!resumed) {
    const since = o.full ? null : cp.since
    cp = await writeCheckpoint(o.db, o.account, {
      ...cp,
      // Control Center's date-times are whole seconds (§1.4): the end of the run is rounded up, so a change made in
      // the second the run starts is listed now (and again by the next run, which starts a margin earlier).
      run: {
        since,
        till: new Date(Math.ceil(o.now().getTime() / 1000) * 1000).toISOString(),
        full: o.full,
        usage: o.usage,
        phase: 'listing',
        position: 0,
        windowSince: since,
        windowLast: null,
        usageAfter: '',
        listed: 0,
        usageRead: 0,
        calls: 0,
        stoppedAt: null,
      },
    })
  }
  const progress: Progress = (phase, run) => {
    o.onProgress({ account: o.account, phase, sims: simsOf(phase, run), calls: run.calls, done: phase === 'failed' || phase === 'stopped' })
  }
  try {
    if (cp.run!.phase === 'listing') {
      cp = o.access.carrier === 'orange' ? await listOrange(o, o.access.client, cp, progress) : await listControlCenter(o, o.access.client, o.access.carrier, cp, progress)
      cp = await writeCheckpoint(o.db, o.account, { ...cp, run: { ...cp.run!, phase: 'usage' } })
    }
    if (o.usage && o.access.carrier !== 'orange') cp = await readUsage(o, o.access.client, o.access.carrier, cp, progress)
  } catch (e) {
    if (o.stop?.aborted) {
      // Stopped, not failed: no failure is counted (a "sync failing" rule is about the carrier, not the operator).
      const latest = await readCheckpoint(o.db, o.account)
      const run = { ...(latest.run ?? cp.run!), stoppedAt: o.now().toISOString() }
      await writeCheckpoint(o.db, o.account, { ...latest, run })
      progress('stopped', run)
      return { listed: run.listed, usageRead: run.usageRead, calls: run.calls, resumed, full: run.full, stopped: true }
    }
    // The listing moved the checkpoint on page by page: read its latest revision before counting the failure.
    const latest = await readCheckpoint(o.db, o.account)
    await writeCheckpoint(o.db, o.account, { ...latest, failures: latest.failures + 1, lastError: e instanceof Error ? e.message.slice(0, 500) : 'failed' })
    progress('failed', latest.run ?? cp.run!)
    throw e
  }
  const run = cp.run!
  // The next run lists what changed after this one began (less the margin).
  const next = new Date(Date.parse(run.till) - CLOCK_MARGIN_MS).toISOString()
  cp = await writeCheckpoint(o.db, o.account, { ...cp, since: next, lastSyncAt: o.now().toISOString(), run: null, failures: 0, lastError: null })
  o.onProgress({ account: o.account, phase: 'done', sims: simsOf('done', run), calls: run.calls, done: true })
  return { listed: run.listed, usageRead: run.usageRead, calls: run.calls, resumed, full: run.full, stopped: false }
}

type Cp = SyncCheckpoint & { _rev?: string }
type Run = NonNullable<SyncCheckpoint['run']>
type Progress = (phase: SyncProgress['phase'], run: Run) => void

/**
 * The SIMs a progress event counts: those listed while listing (and when done), those whose usage was read while
 * reading usage (and when that failed). The usage reads go over SIMs already listed: adding both counted them twice
 * (cold trial: "usage 4,384 SIMs" for an account of 3,000).
 */
function simsOf(phase: SyncProgress['phase'], run: Run): number {
  const reading = phase === 'usage' || ((phase === 'failed' || phase === 'stopped') && run.usage && run.phase === 'usage')
  return reading ? run.usageRead : run.listed
}

async function listControlCenter(o: SyncRunOptions, client: ControlCenterClient, carrier: Carrier, cp: Cp, progress: Progress): Promise<Cp> {
  const run = cp.run!
  const pages = client.searchDevices({ modifiedSince: run.since ?? FIRST_SINCE, modifiedTill: run.till, pageSize: CC_PAGE, startPage: Math.max(1, run.position) }, { signal: o.stop })
  // Pages are fetched by one loop and written by another, FLUSH_SIMS at a time (each write is synced to disk): the
  // account's rate, not the disk, sets the pace, and at most MAX_AHEAD pages wait in memory. Pages fetched and not yet
  // written when the process dies are fetched again from the checkpoint.
  const queue: DeviceSearchPage[] = []
  let finished = false
  let stopped = false
  let failure: unknown = null
  let wake: (() => void) | undefined
  let room: (() => void) | undefined
  const signal = () => {
    wake?.()
    wake = undefined
  }
  const freeRoom = () => {
    room?.()
    room = undefined
  }
  const producer = (async () => {
    try {
      for await (const page of pages) {
        queue.push(page)
        signal()
        while (queue.length >= MAX_AHEAD && !stopped) await new Promise<void>((resolve) => (room = resolve))
        if (stopped) return
      }
    } catch (e) {
      failure = e
    } finally {
      finished = true
      signal()
    }
  })()
  let buffer: Listed[] = []
  let bufferedPages = 0
  let lastPage = 0
  const flush = async () => {
    if (bufferedPages === 0) return
    await writeListed(o.db, o.account, buffer, o.now().toISOString())
    const r = cp.run!
    cp = await writeCheckpoint(o.db, o.account, { ...cp, run: { ...r, position: lastPage + 1, listed: r.listed + buffer.length, calls: r.calls + bufferedPages } })
    progress('listing', cp.run!)
    buffer = []
    bufferedPages = 0
  }
  try {
    for (;;) {
      const page = queue.shift()
      if (!page) {
        if (finished) break
        await new Promise<void>((resolve) => (wake = resolve))
        continue
      }
      freeRoom()
      for (const d of page.devices) {
        buffer.push({
          carrier,
          simId: d.iccid,
          fields: () => ({ iccid: d.iccid, status: d.status, statusRaw: d.statusRaw, ratePlan: d.ratePlan, communicationPlan: d.communicationPlan }),
        })
      }
      bufferedPages++
      lastPage = page.pageNumber
      if (buffer.length >= FLUSH_SIMS) await flush()
    }
    // What was fetched before a failure is written: the next run goes on after it.
    await flush()
  } finally {
    stopped = true
    freeRoom()
    await producer
  }
  if (failure !== null) throw failure
  return cp
}

/**
 * Orange lists a search's lines up to a cap and then says `resultsNumberExceeded` (docs/wire/orange.md §4.3). Lines are
 * asked for by status-change date, oldest first: when the cap is reached, a new window starts at the last line's
 * date, so every line is reached whatever the cap (lines at the boundary date are listed twice, which is harmless).
 */
async function listOrange(o: SyncRunOptions, client: OrangeClient, cp: Cp, progress: Progress): Promise<Cp> {
  for (;;) {
    const run = cp.run!
    const query = {
      ...(run.windowSince ? { statusChangedSince: run.windowSince } : {}),
      statusChangedUntil: run.till,
      sort: [
        { attribute: 'STATUS_CHANGE_DATE', order: 'ASC' },
        { attribute: 'SIM_SSN', order: 'ASC' },
      ] as const,
      rangeSize: ORANGE_PAGE,
    }
    const page = await client.searchPage({ ...query, sort: [...query.sort] }, run.position, { signal: o.stop })
    const rows = page.rows.filter((r): r is OrangeSearchRow & { serialNumber: string } => r.serialNumber !== null)
    await writeListed(o.db, o.account, rows.map(orangeListed), o.now().toISOString())
    const windowLast = rows[rows.length - 1]?.lastStatusChangeDate ?? run.windowLast
    let next = { ...run, position: run.position + page.rows.length, listed: run.listed + rows.length, calls: run.calls + 1, windowLast }
    const windowEnd = page.rows.length < ORANGE_PAGE || next.position >= page.totalResultsNumber
    if (windowEnd && page.resultsNumberExceeded) {
      const last = windowLast
      if (last === null || last === run.windowSince) {
        throw AppError.withRef('CARRIER', 'Orange lists more lines changed at the same instant than one search can give', { key: 'sims.orangeWindowFull' })
      }
      next = { ...next, windowSince: last, windowLast: null, position: 0 }
    }
    cp = await writeCheckpoint(o.db, o.account, { ...cp, run: next })
    progress('listing', next)
    if (windowEnd && !page.resultsNumberExceeded) return cp
  }
}

function orangeListed(r: OrangeSearchRow & { serialNumber: string }): Listed {
  return {
    carrier: 'orange',
    simId: r.serialNumber,
    fields: (cached) => ({
      iccid: r.iccid ?? cached?.iccid ?? orangeIccidFromSerial(r.serialNumber),
      status: normaliseOrangeStatus(r.statusRaw),
      statusRaw: r.statusRaw,
      imsi: r.imsi ?? cached?.imsi ?? null,
      orange: {
        iccidReported: r.iccid !== null,
        suspensionReason: null,
        statusChangeRequestDate: null,
        customerEnvironment: null,
        position: null,
        location: null,
        ...cached?.orange,
        serialNumber: r.serialNumber,
        lastStatusChangeDate: r.lastStatusChangeDate,
        lastStatusRefreshDate: r.lastStatusRefreshDate,
        requestedStatus: r.requestedStatus,
        subscription: r.subscription,
      },
    }),
  }
}

/** Statuses whose SIMs use data; the others are not read (their usage cannot grow). */
const USING: ReadonlySet<SimStatus> = new Set(['activated', 'testReady', 'trial', 'activatedForTest'])

/** Cycle-to-date usage and the last session of the account's active SIMs, in SIM id order from the checkpoint. */
async function readUsage(o: SyncRunOptions, client: ControlCenterClient, carrier: Carrier, cp: Cp, progress: Progress): Promise<Cp> {
  const prefix = `${SIM_DOC_PREFIX}${carrier}:`
  for (;;) {
    o.stop?.throwIfAborted()
    const run = cp.run!
    const start = run.usageAfter === '' ? prefix : simDocId(carrier, run.usageAfter)
    const page = await o.db.allDocs({ include_docs: true, startkey: start, endkey: `${prefix}\ufff0`, limit: USAGE_BATCH, skip: run.usageAfter === '' ? 0 : 1 })
    if (page.rows.length === 0) return cp
    const docs = page.rows.map((r) => r.doc as unknown as SimCacheDoc)
    // The first read that fails (or that the operator's stop abandons) abandons the batch's reads still waiting for the
    // account: no call is made for a batch that will be read again.
    const batch = new AbortController()
    const signal = o.stop ? AbortSignal.any([o.stop, batch.signal]) : batch.signal
    const reads = new Map(
      docs
        .filter((d) => d.inventory?.account === o.account && USING.has(d.sim.status))
        .map((d) => {
          const read = (async () => {
            const [usage, session] = await Promise.all([client.ctdUsage(d.sim.iccid, { signal }), client.sessionInfo(d.sim.iccid, { signal })])
            return {
              carrier,
              simId: d.sim.iccid,
              ...usage.monthToDate,
              lastSessionAt: session.dateSessionStarted === null ? null : (session.dateSessionEnded ?? o.now().toISOString()),
            }
          })()
          read.catch(() => batch.abort())
          return [d._id, read] as const
        }),
    )
    const results = await Promise.allSettled(reads.values())
    const settled = new Map([...reads.keys()].map((id, i) => [id, results[i]!]))
    // Every usage read is written; the checkpoint moves past the SIMs read without a gap, so the next run reads from
    // the first SIM whose read failed or was abandoned (a SIM read twice costs two calls, nothing else).
    await writeUsage(
      o.db,
      [...settled.values()].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
      o.now().toISOString(),
    )
    let done = 0
    let read = 0
    let failure: { reason: unknown } | null = null
    for (const d of docs) {
      const r = settled.get(d._id)
      if (r?.status === 'rejected') {
        failure = { reason: r.reason }
        break
      }
      done++
      if (r) read++
    }
    if (done > 0) {
      const lastId = page.rows[done - 1]!.id.slice(prefix.length)
      cp = await writeCheckpoint(o.db, o.account, { ...cp, run: { ...run, phase: 'usage', usageAfter: lastId, usageRead: run.usageRead + read, calls: run.calls + 2 * read } })
      progress('usage', cp.run!)
    }
    if (failure) throw failure.reason
  }
}

/**
 * How many calls a full refresh takes, and how long at the account's rate. Orange says how many lines it has (one
 * one-line search); Control Center's search does not, so its count is what the inventory and the devices know (a
 * lower bound, `exact: false`).
 */
export async function estimateFull(db: Db, account: string, access: AccountClient, perSecond: number, usage: boolean, knownSims: { total: number; using: number }): Promise<SyncEstimate> {
  const cp = await readCheckpoint(db, account)
  let sims = knownSims.total
  let listingCalls: number
  let exact = false
  if (access.carrier === 'orange') {
    const probe = await access.client.searchPage({ rangeSize: 1 }, 0)
    sims = probe.totalResultsNumber
    // One call per page; each window the result cap forces adds about one more, which cannot be known in advance
    // (docs/wire/orange.md §4.3: the cap is not documented).
    listingCalls = Math.max(1, Math.ceil(sims / ORANGE_PAGE))
    exact = true
  } else {
    listingCalls = Math.max(1, Math.ceil(sims / CC_PAGE))
  }
  const usageCalls = usage && access.carrier !== 'orange' ? 2 * knownSims.using : 0
  const run = cp.run
  const interrupted = run && { full: run.full, usage: run.usage, phase: run.phase, listed: run.listed, usageRead: run.usageRead, stoppedAt: run.stoppedAt ?? null }
  return { account, sims, listingCalls, usageCalls, perSecond, seconds: Math.ceil((listingCalls + usageCalls) / perSecond), exact, lastSyncAt: cp.lastSyncAt, interrupted }
}

export { USING as USAGE_STATUSES }
