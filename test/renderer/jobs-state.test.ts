import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { JOB_WAITING_STEP_SECONDS as WAITING_STEP_SECONDS, undoableRows, type Job, type JobProgress, type JobRow } from '../../src-shared/models/sim-jobs'
import { ok, refused, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { JobView, JobRowsList, JobsList, jobActions } = await import('../../src-renderer/src/lib/state/jobs.svelte')

const COUNTS = { total: 4, pending: 3, sending: 0, done: 0, failed: 0, unknown: 0, skipped: 1 }
function job(over: Partial<Job> = {}): Job {
  return {
    id: 'jabc123',
    operation: 'status',
    carrier: 'jasper',
    profileId: 'ops',
    params: { status: 'deactivated' },
    state: 'ready',
    counts: COUNTS,
    findings: { transition: 1 },
    estimateSeconds: 0.6,
    perSecond: 5,
    undoOf: null,
    createdAt: '2026-12-05T01:00:00.000Z',
    updatedAt: '2026-12-05T01:00:00.000Z',
    createdBy: 'operator',
    ...over,
  }
}
const progress = (over: Partial<JobProgress> = {}): JobProgress => ({ jobId: 'jabc123', state: 'running', counts: COUNTS, ratePerSecond: null, etaSeconds: null, ...over })
const row = (seq: number): JobRow => ({
  seq,
  source: `line ${seq + 1}`,
  id: `8988216700000000${seq}`,
  state: 'pending',
  issues: [],
  before: null,
  after: null,
  error: null,
  smsMsgId: null,
  carrier: null,
  ticketNumber: null,
  attempts: 0,
  at: null,
})

beforeEach(() => {
  fake.reset()
})

afterEach(() => {
  vi.useRealTimers()
})

function openView() {
  const view = new JobView('jabc123', fake, new JobRowsList(fake))
  const stop = view.activate()
  return { view, stop }
}

describe('a job page', () => {
  it('reads the job and its rows of the job it shows, and keeps the refusal of a job that does not exist', async () => {
    const { view, stop } = openView()
    expect(fake.pending('jobs:rows').map((c) => c.input)).toEqual([{ jobId: 'jabc123', offset: 0, limit: 200 }])
    fake.answer('jobs:status', refused('NOT_FOUND', 'Job jabc123 does not exist'))
    await settle()
    expect(view.job).toBeNull()
    expect(view.error?.code).toBe('NOT_FOUND')
    stop()
  })

  it('follows its own progress in place (counts, rate, ETA) and reads the job again when its state changes', async () => {
    const { view, stop } = openView()
    fake.answer('jobs:status', ok({ ...progress({ state: 'ready' }), job: job() }))
    await settle()
    expect(view.job?.state).toBe('ready')
    fake.emit('jobs:progress', progress({ state: 'running' }))
    expect(view.job?.state).toBe('running')
    // A change of state reads the job again: its findings and estimate come with it.
    expect(fake.pending('jobs:status')).toHaveLength(1)
    fake.answer('jobs:status', ok({ ...progress(), job: job({ state: 'running' }) }))
    await settle()
    const moving = { ...COUNTS, pending: 1, done: 2 }
    fake.emit('jobs:progress', progress({ counts: moving, ratePerSecond: 4.5, etaSeconds: 0.2 }))
    expect(view.job?.counts).toEqual(moving)
    expect([view.ratePerSecond, view.etaSeconds]).toEqual([4.5, 0.2])
    expect(fake.pending('jobs:status')).toHaveLength(0)
    // Another job's progress is not this page's.
    fake.emit('jobs:progress', progress({ jobId: 'jother99', counts: { ...COUNTS, done: 9 } }))
    expect(view.job?.counts.done).toBe(2)
    stop()
    expect(fake.listenerCount('jobs:progress')).toBe(0)
  })

  it('says a running job waits on its carrier once no row has finished for a while, instead of a frozen rate', async () => {
    vi.useFakeTimers()
    const { view, stop } = openView()
    fake.answer('jobs:status', ok({ ...progress(), job: job({ state: 'running' }) }))
    await settle()
    fake.emit('jobs:progress', progress({ counts: { ...COUNTS, pending: 2, done: 1 }, ratePerSecond: 4.5, etaSeconds: 1 }))
    await vi.advanceTimersByTimeAsync(14_000)
    expect(view.waitingSeconds).toBeNull()
    // Progress that finishes nothing (a row sent, not answered) is not a row finished.
    fake.emit('jobs:progress', progress({ counts: { ...COUNTS, pending: 1, sending: 1, done: 1 }, ratePerSecond: 4.5, etaSeconds: 1 }))
    await vi.advanceTimersByTimeAsync(2_000)
    expect(view.waitingSeconds).toBe(WAITING_STEP_SECONDS)
    await vi.advanceTimersByTimeAsync(15_000)
    expect(view.waitingSeconds).toBe(2 * WAITING_STEP_SECONDS)
    // A row finishes: the rate is back.
    fake.emit('jobs:progress', progress({ counts: { ...COUNTS, pending: 1, done: 2 }, ratePerSecond: 0.1, etaSeconds: 10 }))
    expect(view.waitingSeconds).toBeNull()
    // A paused job waits on nobody.
    fake.emit('jobs:progress', progress({ state: 'paused', counts: { ...COUNTS, pending: 1, done: 2 } }))
    await vi.advanceTimersByTimeAsync(31_000)
    expect(view.waitingSeconds).toBeNull()
    stop()
  })

  it('while the core is out of reach, says no carrier stall and offers nothing; once back, reads the job again', async () => {
    vi.useFakeTimers()
    const { view, stop } = openView()
    fake.answer('jobs:status', ok({ ...progress(), job: job({ state: 'running' }) }))
    await settle()
    expect(view.coreAway).toBe(false)
    // serve mode killed: no progress can arrive, which is no sign of a slow carrier.
    fake.setStatus('reconnecting')
    expect(view.coreAway).toBe(true)
    await vi.advanceTimersByTimeAsync(40_000)
    expect(view.waitingSeconds).toBeNull()
    fake.setStatus('restarted')
    expect(view.coreAway).toBe(true)
    // Back (a tab that reconnects to the same core): the job is read again, and the wait counts from now.
    fake.setStatus('open')
    fake.reconnect()
    expect(view.coreAway).toBe(false)
    expect(fake.pending('jobs:status')).toHaveLength(1)
    fake.answer('jobs:status', ok({ ...progress(), job: job({ state: 'running' }) }))
    await settle()
    await vi.advanceTimersByTimeAsync(2_000)
    expect(view.waitingSeconds).toBeNull()
    stop()
  })

  it('opened while the core is out of reach, knows it at once', () => {
    fake.status = 'reconnecting'
    const { view, stop } = openView()
    expect(view.coreAway).toBe(true)
    stop()
  })

  it('keeps the job and its rows shown, without an alert, when the core goes out of reach mid-read (the banner says so)', async () => {
    const lost = { ok: false as const, error: { code: 'NETWORK' as const, message: 'lost', details: { ref: { key: 'errors.coreLost' } } } }
    const { view, stop } = openView()
    fake.answer('jobs:status', ok({ ...progress(), job: job() }))
    fake.answer('jobs:rows', ok({ items: [row(1), row(2)], total: 2 }))
    await settle()
    expect(view.rows.loaded).toBe(true)
    void view.load()
    fake.answer('jobs:status', lost)
    await settle()
    expect(view.error).toBeNull()
    expect(view.job?.id).toBe('jabc123')
    // A refusal is still said; and a page that never read its job says why it shows nothing.
    void view.load()
    fake.answer('jobs:status', refused('NOT_FOUND'))
    await settle()
    expect(view.error?.code).toBe('NOT_FOUND')
    stop()
    const fresh = openView()
    fake.answer('jobs:status', lost)
    await settle()
    expect(fresh.view.error?.details?.ref?.key).toBe('errors.coreLost')
    fresh.stop()
  })

  it('counts the SIMs a pre-flight under way has read, its own only, and forgets the count once it is over', async () => {
    const { view, stop } = openView()
    fake.answer('jobs:status', ok({ ...progress({ state: 'draft' }), job: job({ state: 'draft' }) }))
    await settle()
    const checking = view.preflight(true)
    expect(view.busy).toBe('preflight')
    fake.emit('jobs:preflightProgress', { jobId: 'jabc123', undoOf: null, read: 50, total: 147 })
    fake.emit('jobs:preflightProgress', { jobId: 'jother99', undoOf: null, read: 100, total: 3000 })
    expect(view.preflightRead).toEqual({ read: 50, total: 147 })
    fake.answer('jobs:preflight', ok(job({ state: 'ready' })))
    await checking
    expect(view.preflightRead).toBeNull()
    stop()
    expect(fake.listenerCount('jobs:preflightProgress')).toBe(0)
  })

  it('opened again while its check runs, joins that check: busy with its count, not offering to start another', async () => {
    const { view, stop } = openView()
    fake.answer('jobs:status', ok({ ...progress({ state: 'draft' }), job: job({ state: 'draft' }) }))
    await settle()
    expect(view.busy).toBeNull()
    fake.emit('jobs:preflightProgress', { jobId: 'jother99', undoOf: null, read: 100, total: 3000 })
    expect(view.busy).toBeNull()
    fake.emit('jobs:preflightProgress', { jobId: 'jabc123', undoOf: null, read: 100, total: 2000 })
    expect(view.busy).toBe('preflight')
    expect(view.preflightRead).toEqual({ read: 100, total: 2000 })
    expect(fake.pending('jobs:preflight').map((c) => c.input)).toEqual([{ jobId: 'jabc123', refresh: false }])
    fake.emit('jobs:preflightProgress', { jobId: 'jabc123', undoOf: null, read: 150, total: 2000 })
    expect(fake.pending('jobs:preflight')).toHaveLength(1)
    fake.answer('jobs:preflight', ok(job({ state: 'ready' })))
    await settle()
    expect(view.busy).toBeNull()
    expect(view.job?.state).toBe('ready')
    // The last count of a check that is ending starts nothing.
    fake.emit('jobs:preflightProgress', { jobId: 'jabc123', undoOf: null, read: 2000, total: 2000 })
    expect(fake.pending('jobs:preflight')).toHaveLength(0)
    stop()
  })

  it('says the abandon under way until the core answers, even when the check it stops ends first', async () => {
    const { view, stop } = openView()
    fake.answer('jobs:status', ok({ ...progress({ state: 'draft' }), job: job({ state: 'draft' }) }))
    await settle()
    expect(view.cancelling).toBe(false)
    const checking = view.preflight(true)
    const cancelling = view.cancel()
    expect(view.cancelling).toBe(true)
    fake.answer('jobs:preflight', refused('CONFLICT', 'Job jabc123 is cancelled: it cannot be checked now'))
    await checking
    expect(view.job?.state).toBe('draft')
    expect(view.cancelling).toBe(true)
    fake.answer('jobs:cancel', ok(job({ state: 'cancelled' })))
    await cancelling
    expect(view.cancelling).toBe(false)
    expect(view.job?.state).toBe('cancelled')
    stop()
  })

  it('abandoned while it is checked: the check’s refusal is no error to show, and its last count starts no other check', async () => {
    const { view, stop } = openView()
    fake.answer('jobs:status', ok({ ...progress({ state: 'draft' }), job: job({ state: 'draft' }) }))
    await settle()
    const checking = view.preflight(true)
    const cancelling = view.cancel()
    fake.answer('jobs:cancel', ok(job({ state: 'cancelled' })))
    await cancelling
    expect(view.job?.state).toBe('cancelled')
    fake.emit('jobs:preflightProgress', { jobId: 'jabc123', undoOf: null, read: 50, total: 2000 })
    fake.answer('jobs:preflight', refused('CONFLICT', 'Job jabc123 is cancelled: it cannot be checked now'))
    await checking
    expect(view.error).toBeNull()
    expect(view.busy).toBeNull()
    fake.emit('jobs:preflightProgress', { jobId: 'jabc123', undoOf: null, read: 100, total: 2000 })
    expect(fake.pending('jobs:preflight')).toHaveLength(0)
    stop()
  })

  it('is busy abandoning a large draft until the core answers (the page says so), then shows it cancelled', async () => {
    const { view, stop } = openView()
    const draft = job({ state: 'draft', counts: { ...COUNTS, total: 75_300, pending: 75_300, skipped: 0 } })
    fake.answer('jobs:status', ok({ ...progress({ state: 'draft' }), job: draft }))
    await settle()
    const cancelling = view.cancel()
    expect(view.busy).toBe('cancel')
    expect(view.job?.state).toBe('draft')
    fake.answer('jobs:cancel', ok({ ...draft, state: 'cancelled' }))
    await cancelling
    expect(view.busy).toBeNull()
    expect(view.job?.state).toBe('cancelled')
    stop()
  })

  it('counts the SIMs the check of the undo job it is making has read (the dialog waits for it), and no other job’s', async () => {
    const { view, stop } = openView()
    fake.answer('jobs:status', ok({ ...progress({ state: 'done' }), job: job({ state: 'done' }) }))
    await settle()
    const undoing = view.undo()
    expect(view.busy).toBe('undo')
    fake.emit('jobs:preflightProgress', { jobId: 'jundo777', undoOf: 'jabc123', read: 50, total: 1520 })
    fake.emit('jobs:preflightProgress', { jobId: 'jother99', undoOf: 'jother00', read: 100, total: 3000 })
    expect(view.preflightRead).toEqual({ read: 50, total: 1520 })
    fake.answer('jobs:undo', ok(job({ id: 'jundo777', undoOf: 'jabc123', state: 'ready' })))
    await undoing
    expect(view.preflightRead).toBeNull()
    stop()
  })

  it('reads the rows on screen again at most once a second while the job runs, and never drops the last change', async () => {
    vi.useFakeTimers()
    const { view, stop } = openView()
    fake.answer('jobs:rows', ok({ total: 2, items: [row(1), row(2)] }))
    fake.answer('jobs:status', ok({ ...progress(), job: job({ state: 'running' }) }))
    await settle()
    expect(view.rows.total).toBe(2)
    let reads = 0
    const answerReads = async () => {
      while (fake.pending('jobs:rows').length > 0) {
        reads++
        fake.answer('jobs:rows', ok({ total: 2, items: [row(1), row(2)] }))
        await settle()
      }
    }
    // Ten progress events over one second: the rows are read at most twice in that second.
    for (let i = 0; i < 10; i++) {
      fake.emit('jobs:progress', progress({ counts: { ...COUNTS, done: i } }))
      await vi.advanceTimersByTimeAsync(100)
      await answerReads()
    }
    expect(reads).toBeGreaterThanOrEqual(1)
    expect(reads).toBeLessThanOrEqual(2)
    // The last event's change is read once the second has passed.
    const before = reads
    fake.emit('jobs:progress', progress({ counts: { ...COUNTS, done: 10 } }))
    await answerReads()
    await vi.advanceTimersByTimeAsync(1000)
    await answerReads()
    expect(reads).toBe(before + 1)
    stop()
  })

  it('filters rows by state through the core', async () => {
    const { view, stop } = openView()
    fake.answer('jobs:rows', ok({ total: 0, items: [] }))
    await settle()
    view.showRows('failed')
    expect(fake.pending('jobs:rows').at(-1)?.input).toEqual({ jobId: 'jabc123', offset: 0, limit: 200, state: 'failed' })
    stop()
  })

  it('takes an action’s answer as the job, and keeps a refusal beside the last good job', async () => {
    const { view, stop } = openView()
    fake.answer('jobs:status', ok({ ...progress({ state: 'ready' }), job: job() }))
    await settle()
    const running = view.run(false)
    expect(view.busy).toBe('run')
    expect(fake.pending('jobs:run')[0]?.input).toEqual({ jobId: 'jabc123', resendUnknown: false })
    fake.answer('jobs:run', ok(job({ state: 'running' })))
    await running
    expect(view.busy).toBeNull()
    expect(view.job?.state).toBe('running')
    const pausing = view.pause()
    fake.answer('jobs:pause', refused('VALIDATION', 'Job jabc123 is done: it cannot pause now'))
    expect((await pausing).ok).toBe(false)
    expect(view.error?.message).toContain('cannot pause')
    expect(view.job?.state).toBe('running')
    stop()
  })

  it('exports every page of the results as one CSV text, following nextOffset', async () => {
    const { view, stop } = openView()
    const exported = view.exportCsv()
    expect(fake.answer('jobs:export', ok({ text: 'line,iccid\r\nline 2,1\r\n', nextOffset: 10_000 }))).toEqual({ jobId: 'jabc123', offset: 0 })
    await settle()
    expect(fake.answer('jobs:export', ok({ text: 'line 10002,2\r\n', nextOffset: null }))).toEqual({ jobId: 'jabc123', offset: 10_000 })
    expect(await exported).toEqual({ ok: true, value: 'line,iccid\r\nline 2,1\r\nline 10002,2\r\n' })
    expect(view.busy).toBeNull()
    const failed = view.exportCsv()
    fake.answer('jobs:export', refused('NETWORK'))
    expect((await failed).ok).toBe(false)
    expect(view.error?.code).toBe('NETWORK')
    expect(view.busy).toBeNull()
    stop()
  })
})

describe('what a job allows', () => {
  it('offers pre-flight before a run, pause while running, resume when paused, and undo only for changes made', () => {
    expect(jobActions(job({ state: 'draft' }))).toMatchObject({ preflight: true, run: false, export: false, cancel: true, undo: false })
    expect(jobActions(job({ state: 'ready' }))).toMatchObject({ preflight: true, run: true, pause: false })
    expect(jobActions(job({ state: 'ready', counts: { ...COUNTS, pending: 0 } })).run).toBe(false)
    expect(jobActions(job({ state: 'running' }))).toMatchObject({ pause: true, resume: false, undo: false, preflight: false })
    expect(jobActions(job({ state: 'paused' }))).toMatchObject({ resume: true, pause: false, cancel: true })
    expect(jobActions(job({ state: 'done', counts: { ...COUNTS, done: 3 } }))).toMatchObject({ undo: true, cancel: false, export: true })
    expect(jobActions(job({ state: 'done', counts: { ...COUNTS, done: 0 } })).undo).toBe(false)
  })

  it('offers undo for a cancelled job whose only changes are of unknown outcome (its pre-flight reads each SIM from the carrier)', () => {
    const cancelled = job({ state: 'cancelled', counts: { ...COUNTS, pending: 2, done: 0, unknown: 1 } })
    expect(jobActions(cancelled)).toMatchObject({ undo: true, resendUnknown: false, cancel: false })
    expect(jobActions({ ...cancelled, counts: { ...cancelled.counts, unknown: 0 } }).undo).toBe(false)
    expect(jobActions({ ...cancelled, operation: 'refresh', params: {} }).undo).toBe(false)
    expect(jobActions({ ...cancelled, operation: 'sms', params: { text: 'hi' } }).undo).toBe(false)
    expect(undoableRows({ operation: 'ratePlan', counts: { done: 3, unknown: 2 } })).toEqual({ done: 3, unknown: 2, total: 5 })
  })

  it('never offers to send an SMS of unknown outcome again unless there is one, and never undoes an SMS', () => {
    const sms = job({ operation: 'sms', params: { text: 'hi' }, state: 'done', counts: { ...COUNTS, done: 2, unknown: 1 } })
    expect(jobActions(sms)).toMatchObject({ resendUnknown: true, undo: false })
    expect(jobActions({ ...sms, counts: { ...sms.counts, unknown: 0 } }).resendUnknown).toBe(false)
    expect(jobActions({ ...sms, state: 'running' }).resendUnknown).toBe(false)
    expect(jobActions(job({ operation: 'ratePlan', params: { ratePlan: 'A' }, state: 'done', counts: { ...COUNTS, unknown: 1 } })).resendUnknown).toBe(false)
  })

  it('offers to submit again the Orange status tickets whose answer was lost, only when the job has some', () => {
    const status = job({ operation: 'status', params: { status: 'sleeping' }, state: 'done', counts: { ...COUNTS, done: 2, unknown: 1 } })
    expect(jobActions(status)).toMatchObject({ resendUnknown: true, undo: true })
    expect(jobActions({ ...status, counts: { ...status.counts, unknown: 0 } }).resendUnknown).toBe(false)
  })
})

describe('the jobs list', () => {
  it('moves a listed job’s counts with its progress without a read, and reads again for a job it does not hold', async () => {
    const list = new JobsList(fake)
    const stop = list.activate()
    fake.answer('jobs:list', ok({ items: [job()] }))
    await settle()
    fake.emit('jobs:progress', progress({ counts: { ...COUNTS, done: 2 } }))
    expect(list.items[0]).toMatchObject({ state: 'running', counts: { done: 2 } })
    expect(fake.pending('jobs:list')).toHaveLength(0)
    fake.emit('jobs:progress', progress({ jobId: 'jnew0001' }))
    expect(fake.pending('jobs:list')).toHaveLength(1)
    stop()
  })
})
