/**
 * Orange rows in bulk jobs, against the Orange peer (and the Control Center peer for a job of both carriers): pre-flight
 * refusals, status tickets submitted once and followed to their end, an ambiguous submission left unknown, a job resumed
 * by a new core after a close with tickets in flight, a stopped job's cancel whose open tickets end later (in the same
 * core or the next one), and undo where Orange can set the previous state back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Job, JobRow } from '../../src-shared/models/sim-jobs'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { readJob, readRows, writeDocs } from '../../src-main/core/jobs/jobs.store'
import { listTickets } from '../../src-main/core/store/tickets.store'
import { startOrangePeer, type OrangePeer } from '../peers/orange/orange.peer'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { tempDir, testCore } from '../helpers/core'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'

type TestCore = Awaited<ReturnType<typeof testCore>>

const PASSWORD = 'orange-jobs-password-P2'
const API_KEY = 'orange-jobs-cc-key-T8'
const FAST = { minMs: 30, maxMs: 120 }
/** A Luhn-valid serial number the peer does not have. */
const UNKNOWN_SERIAL = '9999999999992'

describe('Orange rows in bulk jobs', () => {
  let peer: OrangePeer
  let cc: ControlCenterPeer
  let core: TestCore
  let dir: string
  let cleanup: () => Promise<void>
  const vault = createMemoryStore()

  beforeAll(async () => {
    peer = await startOrangePeer({ lines: 40, ticketTiming: { waitingMs: 40, workMs: 40 }, users: [{ username: 'ak-test', password: PASSWORD }] })
    cc = await startControlCenterPeer({ devices: 30, users: [{ username: 'ops', apiKey: API_KEY, password: 'pw', role: 'AccountAdmin' }] })
    ;({ dir, cleanup } = await tempDir())
    core = await testCore(dir, { orangePolling: FAST, vault })
    await core.call('profiles:save', { extension: 'orange', name: 'Peer', settings: { baseUrl: peer.url, username: 'ak-test', perSecond: 50 }, secrets: { password: PASSWORD } })
    await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: cc.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: API_KEY } })
  })
  afterAll(async () => {
    await core.close()
    await peer.close()
    await cc.close()
    await cleanup()
  })

  const rowsOf = async (c: TestCore, jobId: string): Promise<JobRow[]> => (await c.call('jobs:rows', { jobId, limit: 1000 })).items
  const settle = async (c: TestCore, jobId: string): Promise<Job> => {
    await expect.poll(async () => (await c.call('jobs:status', { jobId })).state, { timeout: 30_000, interval: 30 }).not.toBe('running')
    return (await c.call('jobs:status', { jobId })).job
  }
  const csv = (serials: string[]) => ['sim,carrier', ...serials.map((s) => `${s},orange`)].join('\n')
  const changesOf = (serial: string) => peer.stats().statusChanges.filter((c) => c.serialNumber === serial)

  it('pre-flight refuses what Orange would, runs the rest as tickets followed to their end, audits before → after, and undoes what can be set back', async () => {
    const s = peer.serials
    // The peer's first six lines: ACTIVATED, SUSPENDED, PRE_ACTIVATED, SLEEPING, ACTIVATED_FOR_TEST, CANCELLED.
    const text = [csv(s.slice(0, 6)), `${UNKNOWN_SERIAL},orange`, '123456789012,orange', `${s[0]!.slice(0, 12)}${(Number(s[0]![12]) + 1) % 10},orange`].join('\n')
    const submitsBefore = peer.stats().submissions.status
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text }, params: { status: 'sleeping' } })
    // Counted for the undo dialog, which warns about what Orange cannot set back only when the job has Orange SIMs.
    expect(job.orangeRows).toBe(9)
    const checked = await core.call('jobs:preflight', { jobId: job.id, refresh: true })
    const rows = await rowsOf(core, job.id)
    const codes = (i: number) => rows[i]!.issues.map((x) => x.code)
    expect(rows[0]).toMatchObject({ carrier: 'orange', state: 'pending', before: { status: 'activated' }, after: { status: 'sleeping' } })
    expect(rows[1]).toMatchObject({ state: 'pending', before: { status: 'suspended' } })
    expect(codes(2)).toEqual(['transition']) // never activated: cannot sleep
    expect(rows[3]).toMatchObject({ state: 'skipped', issues: [{ code: 'noChange' }] })
    expect(rows[4]).toMatchObject({ state: 'pending', before: { status: 'activatedForTest' } })
    expect(codes(5)).toEqual(['transition']) // cancelled
    expect(codes(6)).toEqual(['notFound'])
    expect(codes(7)).toEqual(['length'])
    expect(codes(8)).toEqual(['luhn', 'notFound'])
    expect(rows[8]!.issues[0]!.severity).toBe('warning')
    expect(checked.counts).toMatchObject({ pending: 3, skipped: 6 })
    expect(peer.stats().submissions.status).toBe(submitsBefore)

    await core.call('jobs:run', { jobId: job.id })
    expect(await settle(core, job.id)).toMatchObject({ state: 'done', counts: { done: 3, failed: 0, sending: 0 } })
    const ran = await rowsOf(core, job.id)
    for (const i of [0, 1, 4]) {
      expect(ran[i]!.ticketNumber).toBeGreaterThan(0)
      expect(changesOf(s[i]!)).toEqual([expect.objectContaining({ to: 'SLEEPING', ticketNumber: ran[i]!.ticketNumber })])
    }
    const trail = (await core.call('audit:list', { query: 'orange:', limit: 500 })).items.filter((e) => e.action === 'orange.changeStatus' && e.outcome === 'ok')
    for (const [i, before] of [
      [0, 'ACTIVATED'],
      [1, 'SUSPENDED'],
    ] as const)
      expect(trail.find((e) => e.target.includes(s[i]!))).toMatchObject({ before: { status: before }, after: { status: 'SLEEPING' } })

    // ACTIVATED and SUSPENDED can be asked for again; ACTIVATED_FOR_TEST only from PRE_ACTIVATED, so that row cannot be undone.
    const undo = await core.call('jobs:undo', { jobId: job.id })
    const undoRows = await rowsOf(core, undo.id)
    expect(undoRows.map((r) => [r.id, r.state])).toEqual([
      [s[0], 'pending'],
      [s[1], 'pending'],
      [s[4], 'skipped'],
    ])
    expect(undoRows[2]!.issues).toEqual([expect.objectContaining({ code: 'transition', detail: 'SLEEPING → ACTIVATED_FOR_TEST' })])
    await core.call('jobs:run', { jobId: undo.id })
    expect(await settle(core, undo.id)).toMatchObject({ state: 'done', counts: { done: 2 } })
    expect(peer.line(s[0]!).status).toBe('ACTIVATED')
    expect(peer.line(s[1]!).status).toBe('SUSPENDED')
  })

  it('refuses, per row and before anything is sent, what Orange does not offer: a rate plan, an SMS, a Control Center state', async () => {
    const serials = peer.serials.slice(10, 12)
    const submitsBefore = peer.stats().requests
    for (const [operation, params, detail] of [
      ['ratePlan', { ratePlan: 'Plan A' }, 'orange ratePlan'],
      ['sms', { text: 'hello' }, 'orange sms'],
      ['status', { status: 'deactivated' }, 'orange deactivated'],
    ] as const) {
      const job = await core.call('jobs:create', { operation, source: { kind: 'csv', text: csv(serials) }, params })
      const checked = await core.call('jobs:preflight', { jobId: job.id })
      expect(checked.counts).toMatchObject({ total: 2, skipped: 2, pending: 0 })
      for (const r of await rowsOf(core, job.id)) expect(r.issues).toEqual([{ code: 'unsupported', severity: 'error', detail }])
    }
    expect(peer.stats().requests).toBe(submitsBefore)
  })

  it('runs a job of both carriers: Control Center rows edited, Orange rows by ticket, each account under its own governor', async () => {
    const orange = peer.serials.slice(20, 24)
    for (const x of orange) peer.setStatus(x, 'SLEEPING')
    const text = ['sim,carrier', ...orange.map((x) => `${x},orange`), ...cc.iccids.slice(0, 10).map((x) => `${x},`)].join('\n')
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text }, params: { status: 'activated' } })
    await core.call('jobs:preflight', { jobId: job.id, refresh: true })
    await core.call('jobs:run', { jobId: job.id })
    const done = await settle(core, job.id)
    expect(done.state).toBe('done')
    const rows = await rowsOf(core, job.id)
    for (const r of rows.filter((x) => x.state === 'done')) {
      if (r.carrier === 'orange') expect(changesOf(r.id)).toHaveLength(1)
      else expect(cc.stats().statusChanges.filter((c) => c.iccid === r.id)).toHaveLength(1)
    }
    expect(rows.filter((r) => r.carrier === 'orange' && r.state === 'done').length).toBeGreaterThan(0)
    expect(rows.filter((r) => r.carrier === null && r.state === 'done').length).toBeGreaterThan(0)
  })

  it('leaves a submission whose answer was lost unknown, and submits it again only when the operator asks', async () => {
    const serial = peer.serials[30]!
    peer.setStatus(serial, 'ACTIVATED')
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: csv([serial]) }, params: { status: 'suspended' } })
    await core.call('jobs:preflight', { jobId: job.id, refresh: true })
    peer.faults.set({ kind: 'drop', afterRequest: true, operation: 'submitUpdateSimStatusRequest', times: 1 })
    await core.call('jobs:run', { jobId: job.id })
    expect(await settle(core, job.id)).toMatchObject({ state: 'done', counts: { unknown: 1 } })
    expect((await rowsOf(core, job.id))[0]).toMatchObject({ state: 'unknown', error: { code: 'UNKNOWN_OUTCOME' } })
    // Orange made the ticket: one submission reached it.
    expect(peer.stats().tickets.filter((t) => t.serials.includes(serial))).toHaveLength(1)

    // Running again sends nothing; only the operator's explicit choice submits it again.
    await core.call('jobs:run', { jobId: job.id })
    expect(peer.stats().tickets.filter((t) => t.serials.includes(serial))).toHaveLength(1)
    await expect.poll(() => peer.line(serial).status, { timeout: 5_000, interval: 30 }).toBe('SUSPENDED')
    await core.call('jobs:run', { jobId: job.id, resendUnknown: true })
    const again = await settle(core, job.id)
    // The SIM is read before a submission: it is already suspended, so the row fails without a second ticket.
    expect(again.counts).toMatchObject({ unknown: 0, failed: 1 })
    expect(peer.stats().tickets.filter((t) => t.serials.includes(serial))).toHaveLength(1)
    expect(changesOf(serial)).toHaveLength(1)
  })

  it.each([
    ['waits out a 429 under the governor: each submitted once', { status: 429, times: 3, from: 24, to: 28, counts: { done: 4, unknown: 0 } }],
    ['leaves a 503 on a submission unknown (Orange may have acted)', { status: 503, times: 1, from: 28, to: 30, counts: { done: 1, unknown: 1 } }],
  ] as const)('%s', async (_name, { status, times, from, to, counts }) => {
    const serials = peer.serials.slice(from, to)
    for (const x of serials) peer.setStatus(x, 'ACTIVATED')
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: csv(serials) }, params: { status: 'suspended' } })
    await core.call('jobs:preflight', { jobId: job.id, refresh: true })
    peer.faults.set({ kind: 'status', status, operation: 'submitUpdateSimStatusRequest', times })
    await core.call('jobs:run', { jobId: job.id })
    expect(await settle(core, job.id)).toMatchObject({ state: 'done', counts })
    for (const row of await rowsOf(core, job.id)) {
      if (row.state === 'done') expect(changesOf(row.id)).toHaveLength(1)
      else expect(row).toMatchObject({ state: 'unknown', error: { code: 'UNKNOWN_OUTCOME' } })
    }
  })

  it('resumes after a restart: tickets in flight are followed, never submitted again; a row with no trace of its submission, or whose ticket is gone, is unknown', async () => {
    const serials = peer.serials.slice(32, 38)
    for (const x of serials) peer.setStatus(x, 'ACTIVATED')
    peer.setTicketTiming({ waitingMs: 300, workMs: 300 })
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: csv(serials) }, params: { status: 'sleeping' } })
    await core.call('jobs:preflight', { jobId: job.id, refresh: true })
    await core.call('jobs:run', { jobId: job.id })
    await expect.poll(async () => (await rowsOf(core, job.id)).filter((r) => r.ticketNumber !== null).length, { timeout: 10_000, interval: 10 }).toBe(serials.length)
    await core.close()

    // What a kill between a row's journal and Orange's answer leaves: one row `sending` without its ticket, whose
    // submission the Orange service recorded, and one whose submission left no trace at all; and a row whose ticket the
    // workspace lost.
    peer.setTicketTiming({ waitingMs: 40, workMs: 40 })
    core = await reopen(job.id, async (rows, db) => {
      rows[0]!.ticketId = null
      rows[0]!.ticketNumber = null
      const fresh = rows[1]!
      fresh.ticketId = null
      fresh.ticketNumber = null
      fresh.at = new Date(Date.now() + 60_000).toISOString()
      const lost = await db.get(rows[2]!.ticketId!)
      await db.remove(lost._id, lost._rev)
      return [rows[0]!, fresh]
    })
    expect(await settle(core, job.id)).toMatchObject({ state: 'done', counts: { done: serials.length - 2, unknown: 2 } })
    const rows = await rowsOf(core, job.id)
    expect(rows[1]).toMatchObject({ state: 'unknown', error: { code: 'UNKNOWN_OUTCOME', details: { ref: { key: 'jobs.ticketUnknown' } } } })
    expect(rows[2]).toMatchObject({ state: 'unknown', error: { code: 'NOT_FOUND', details: { ref: { key: 'orange.ticketNotKept' } } } })
    for (const x of serials) expect(peer.stats().tickets.filter((t) => t.serials.includes(x))).toHaveLength(1)
    expect(rows[0]!.ticketNumber).toBeGreaterThan(0)
  })

  it("cancelling a stopped job gives its Orange rows their ticket's outcome once Orange ended it; unknown while Orange still works on it, or when the submission left no trace", async () => {
    const [ended, open] = [peer.serials.slice(12, 16), peer.serials.slice(16, 19)]
    for (const x of [...ended, ...open]) peer.setStatus(x, 'ACTIVATED')
    // Tickets Orange sits on: the jobs are left with every row `sending` with its ticket when the core closes.
    peer.setTicketTiming({ waitingMs: 60_000, workMs: 60_000 })
    const jobs: string[] = []
    for (const serials of [ended, open]) {
      const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: csv(serials) }, params: { status: 'sleeping' } })
      await core.call('jobs:preflight', { jobId: job.id, refresh: true })
      await core.call('jobs:run', { jobId: job.id })
      await expect.poll(async () => (await rowsOf(core, job.id)).filter((r) => r.ticketNumber !== null).length, { timeout: 10_000, interval: 10 }).toBe(serials.length)
      jobs.push(job.id)
    }
    const [endedJob, openJob] = jobs as [string, string]
    await core.close()
    // As a process killed and then paused from another leaves them (paused, so the next core does not resume them):
    // in the first job, a row whose ticket only the Orange service recorded, and one whose submission left no trace.
    const ws = await openWorkspace(dir)
    for (const jobId of jobs) {
      const job = (await readJob(ws.db, jobId))!
      job.state = 'paused'
      const rows = await readRows(ws.db, jobId)
      if (jobId === endedJob) {
        Object.assign(rows[0]!, { ticketId: null, ticketNumber: null })
        Object.assign(rows[1]!, { ticketId: null, ticketNumber: null, at: new Date(Date.now() + 60_000).toISOString() })
      }
      await writeDocs(ws.db, [job, ...rows])
    }
    await ws.close()
    core = await testCore(dir, { orangePolling: FAST, vault })

    // Orange still works on the second job's tickets: the rows are unknown, naming their tickets.
    expect(await core.call('jobs:cancel', { jobId: openJob })).toMatchObject({ state: 'cancelled', counts: { sending: 0, unknown: open.length } })
    for (const row of await rowsOf(core, openJob))
      expect(row).toMatchObject({ state: 'unknown', error: { code: 'UNKNOWN_OUTCOME', details: { ref: { key: 'jobs.ticketOpenAtCancel', params: { ticket: row.ticketNumber } } } } })

    // The first job's tickets end (the Orange service follows them whatever the job does) before it is cancelled.
    peer.setTicketTiming({ waitingMs: 40, workMs: 40 })
    const submitted = peer.stats().tickets.filter((t) => t.serials.some((x) => ended.includes(x))).length
    await expect.poll(async () => (await listTickets(core.workspace.db)).filter((t) => ended.includes(t.serialNumber) && t.final).length, { timeout: 10_000, interval: 20 }).toBe(submitted)
    expect(await core.call('jobs:cancel', { jobId: endedJob })).toMatchObject({ state: 'cancelled', counts: { sending: 0, done: ended.length - 1, unknown: 1 } })
    const rows = await rowsOf(core, endedJob)
    expect(rows[0]).toMatchObject({ state: 'done', ticketNumber: expect.any(Number) })
    expect(rows[1]).toMatchObject({ state: 'unknown', error: { code: 'UNKNOWN_OUTCOME', details: { ref: { key: 'jobs.ticketUnknown' } } } })
    for (const x of ended) expect(changesOf(x)).toHaveLength(1)
  })

  /**
   * A job of `serials` whose tickets Orange sits on, stopped as a killed process and then a pause from another leave it
   * (every row `sending` with its ticket, the job paused), then cancelled by a new core: every row unknown, naming its
   * open ticket. Orange's tickets end when the test sets a short timing.
   */
  async function cancelledWithTicketsOpen(serials: string[]): Promise<string> {
    for (const x of serials) peer.setStatus(x, 'ACTIVATED')
    peer.setTicketTiming({ waitingMs: 60_000, workMs: 60_000 })
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: csv(serials) }, params: { status: 'sleeping' } })
    await core.call('jobs:preflight', { jobId: job.id, refresh: true })
    await core.call('jobs:run', { jobId: job.id })
    await expect.poll(async () => (await rowsOf(core, job.id)).filter((r) => r.ticketNumber !== null).length, { timeout: 10_000, interval: 10 }).toBe(serials.length)
    await core.close()
    const ws = await openWorkspace(dir)
    const doc = (await readJob(ws.db, job.id))!
    doc.state = 'paused'
    await writeDocs(ws.db, [doc])
    await ws.close()
    core = await testCore(dir, { orangePolling: FAST, vault })
    expect(await core.call('jobs:cancel', { jobId: job.id })).toMatchObject({ state: 'cancelled', counts: { sending: 0, unknown: serials.length } })
    for (const row of await rowsOf(core, job.id)) expect(row).toMatchObject({ state: 'unknown', error: { details: { ref: { key: 'jobs.ticketOpenAtCancel' } } } })
    return job.id
  }

  it("a row a cancel left to its open ticket takes the ticket's outcome when Orange ends it: done, or failed with Orange's reason; counts pushed, undo takes the done one", async () => {
    const [toDone, toFail] = [peer.serials[6]!, peer.serials[7]!]
    const jobId = await cancelledWithTicketsOpen([toDone, toFail])
    const progress: unknown[] = []
    core.bus.subscribe((event, payload) => {
      if (event === 'jobs:progress' && (payload as { jobId: string }).jobId === jobId) progress.push(payload)
    })
    // Orange refuses the second change when it comes to it: the SIM was cancelled meanwhile.
    peer.setStatus(toFail, 'CANCELLED')
    peer.setTicketTiming({ waitingMs: 40, workMs: 40 })
    await expect.poll(async () => (await core.call('jobs:status', { jobId })).job.counts, { timeout: 10_000, interval: 20 }).toMatchObject({ done: 1, failed: 1, unknown: 0, sending: 0 })
    const job = (await core.call('jobs:status', { jobId })).job
    expect(job.state).toBe('cancelled')
    const [done, failed] = await rowsOf(core, jobId)
    expect(done).toMatchObject({ state: 'done', error: null, at: expect.any(String) })
    expect(failed).toMatchObject({
      state: 'failed',
      error: { code: 'CARRIER', details: { carrierCode: 'SIM_CANCELLED', ref: { key: 'orange.ticketFailed', params: { ticket: failed!.ticketNumber } } } },
    })
    expect(changesOf(toDone)).toEqual([expect.objectContaining({ to: 'SLEEPING', ticketNumber: done!.ticketNumber })])
    // The views heard of it as of any row's change: the job's counts, in a progress event.
    expect(progress.at(-1)).toMatchObject({ jobId, state: 'cancelled', counts: { done: 1, failed: 1, unknown: 0 } })
    // The counts are the rows' own (nothing counted twice when both tickets end together).
    expect(job.counts).toMatchObject({ total: 2, pending: 0, skipped: 0 })
    // The export says so too.
    expect((await core.call('jobs:export', { jobId, offset: 0 })).text).toMatch(new RegExp(`${toDone},done,`))

    // Undo sets back the change that was made, and only it.
    const undo = await core.call('jobs:undo', { jobId })
    expect((await rowsOf(core, undo.id)).map((r) => [r.id, r.state, r.after?.status])).toEqual([[toDone, 'pending', 'activated']])
  })

  it('a ticket still open when the core closes is followed into its row by the next core; one that ended before a crash left its row unknown is applied when the core opens; one the workspace lost stays unknown, saying so', async () => {
    const serials = [peer.serials[8]!, peer.serials[9]!, peer.serials[19]!]
    const jobId = await cancelledWithTicketsOpen(serials)
    await core.close()
    // What a crash between the follower's final write and the row's leaves: the second row's ticket ended in the
    // workspace (as the peer will end it), its row still unknown.
    peer.setTicketTiming({ waitingMs: 40, workMs: 40 })
    await expect.poll(() => peer.line(serials[1]!).status, { timeout: 5_000, interval: 20 }).toBe('SLEEPING')
    const ws = await openWorkspace(dir)
    const rows = await readRows(ws.db, jobId)
    const ended = (await listTickets(ws.db)).find((t) => t._id === rows[1]!.ticketId)!
    await writeDocs(ws.db, [{ ...ended, state: 'TERMINATED', final: true, nextPollAt: null }])
    // And a ticket the workspace lost: nothing will say how it ended.
    const lost = await ws.db.get(rows[2]!.ticketId!)
    await ws.db.remove(lost._id, lost._rev)
    await ws.close()
    core = await testCore(dir, { orangePolling: FAST, vault })
    // Written before the core is handed over: a CLI command that opens it reads the outcome at once.
    expect((await rowsOf(core, jobId))[1]).toMatchObject({ state: 'done', error: null })
    expect((await rowsOf(core, jobId))[2]).toMatchObject({ state: 'unknown', error: { code: 'NOT_FOUND', details: { ref: { key: 'orange.ticketNotKept' } } } })
    await expect.poll(async () => (await rowsOf(core, jobId)).map((r) => r.state), { timeout: 10_000, interval: 20 }).toEqual(['done', 'done', 'unknown'])
    expect((await core.call('jobs:status', { jobId })).job).toMatchObject({ state: 'cancelled', counts: { done: 2, unknown: 1, failed: 0 } })
    for (const x of serials) expect(changesOf(x)).toHaveLength(1)
  })

  /** Closes the core, edits the job's journal as a kill would have left it, and opens a core that resumes the job. */
  type Rows = Awaited<ReturnType<typeof readRows>>
  async function reopen(jobId: string, edit: (rows: Rows, db: Workspace['db']) => Promise<Rows>): Promise<TestCore> {
    const ws = await openWorkspace(dir)
    const rows = (await readRows(ws.db, jobId)).filter((r) => r.state === 'sending')
    await writeDocs(ws.db, await edit(rows, ws.db))
    await ws.close()
    return testCore(dir, { orangePolling: FAST, vault })
  }
})
