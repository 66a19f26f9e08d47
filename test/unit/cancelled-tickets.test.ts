/**
 * The rows a stopped job's cancel left to open Orange tickets, on a workspace on disk with the Orange service's
 * `waitFor` played by hand: tickets ending together are counted once each, and a ticket the workspace lost leaves its
 * row unknown, saying so. A core opening looks only at the jobs marked as still waiting (every CLI command opens one),
 * and a restart at any point follows every ticket still open.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { OrangeTicket } from '../../src-shared/models/orange'
import { AppError } from '../../src-main/core/common/errors'
import { createCancelledTickets, ticketsLeftMarker } from '../../src-main/core/jobs/cancelled-tickets'
import { newJobDoc, newRowDoc, readJob, readRows, readTicketsLeft, writeDocs, countRows, type JobDoc, type JobRowDoc } from '../../src-main/core/jobs/jobs.store'
import type { BaseDoc, Db } from '../../src-main/core/store/documents'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { tempDir } from '../helpers/core'

type Waiter = { resolve: (t: OrangeTicket) => void; reject: (e: Error) => void }

describe('rows left to open Orange tickets by a cancel', () => {
  let ws: Workspace
  let cleanup: () => Promise<void>
  const waiters = new Map<string, Waiter>()
  /** As the Orange service answers for a ticket that ended, or that the workspace lost, before anyone waited. */
  const ended = new Map<string, OrangeTicket>()
  const lost = new Set<string>()
  const port = {
    waitFor: (id: string) => {
      if (ended.has(id)) return Promise.resolve(ended.get(id)!)
      if (lost.has(id)) return Promise.reject(AppError.withRef('NOT_FOUND', 'gone', { key: 'orange.ticketNotKept', params: { id } }))
      return new Promise<OrangeTicket>((resolve, reject) => void waiters.set(id, { resolve, reject }))
    },
  }

  beforeEach(async () => {
    let dir: string
    ;({ dir, cleanup } = await tempDir())
    ws = await openWorkspace(dir)
    waiters.clear()
    ended.clear()
    lost.clear()
  })
  afterEach(async () => {
    await ws.close()
    await cleanup()
  })

  /**
   * A cancelled job of `n` Orange rows, each unknown with its ticket (`t<seq>` by default) open, written as the cancel
   * writes it: with its marker (`marked: false`: as a release that wrote none left it).
   */
  async function cancelledJob(n: number, { jobId = 'j1', ticketId = (seq: number) => `t${seq}`, marked = true } = {}): Promise<{ job: JobDoc; rows: JobRowDoc[] }> {
    const job = newJobDoc({
      jobId,
      operation: 'status',
      carrier: 'jasper',
      profileId: '',
      orangeProfileId: 'o',
      params: {},
      perSecond: 5,
      undoOf: null,
      createdBy: 't',
      total: n,
      orangeRows: n,
      now: new Date().toISOString(),
    })
    const rows = Array.from({ length: n }, (_, i) => {
      const row = newRowDoc(jobId, i + 1, { source: `line ${i + 2}`, id: `100000000000${i}`, rawParams: { carrier: 'orange' }, before: { status: 'activated' } })
      return Object.assign(row, {
        iccid: row.id,
        after: { status: 'sleeping' as const },
        state: 'unknown' as const,
        ticketId: ticketId(i + 1),
        ticketNumber: i + 1,
        error: AppError.withRef('UNKNOWN_OUTCOME', 'open', { key: 'jobs.ticketOpenAtCancel', params: { ticket: i + 1 } }).toInfo(),
      })
    })
    job.state = 'cancelled'
    job.counts = countRows(rows)
    await writeDocs(ws.db, [job, ...rows], marked ? await ticketsLeftMarker(ws.db, jobId, rows) : [])
    return { job, rows }
  }

  /** `count` jobs as a long-used workspace holds them: done, or cancelled with every row settled (no marker). */
  async function finishedJobs(count: number): Promise<void> {
    const docs: BaseDoc[] = []
    for (let j = 0; j < count; j++) {
      const jobId = `old${String(j).padStart(4, '0')}`
      const job = newJobDoc({
        jobId,
        operation: 'status',
        carrier: 'jasper',
        profileId: 'p',
        orangeProfileId: 'o',
        params: {},
        perSecond: 5,
        undoOf: null,
        createdBy: 't',
        total: 2,
        orangeRows: 1,
        now: new Date().toISOString(),
      })
      const rows = [1, 2].map((seq) =>
        Object.assign(newRowDoc(jobId, seq, { source: `line ${seq + 1}`, id: `20000000000${seq}`, rawParams: seq === 1 ? { carrier: 'orange' } : {} }), { state: 'done' as const }),
      )
      // Half were cancelled: one row an SMS-like unknown, not one awaiting a ticket.
      if (j % 2) Object.assign(rows[1]!, { state: 'unknown' as const, error: AppError.withRef('UNKNOWN_OUTCOME', 'in flight', { key: 'jobs.cancelledInFlight' }).toInfo() })
      job.state = j % 2 ? 'cancelled' : 'done'
      job.counts = countRows(rows)
      docs.push(job, ...rows)
    }
    await writeDocs(ws.db, docs)
  }

  /** The note saying the jobs were looked through once for cancels without a marker (cancelled-tickets.ts). */
  const BACKFILLED = '_local/simjob-ticketsleft-backfilled'

  /** The workspace as the core under test sees it, every document or key it reads listed by id. */
  function countingReads(db: Db): { db: Db; read: string[] } {
    const read: string[] = []
    const counted = new Proxy(db, {
      get(target, prop) {
        if (prop === 'allDocs') {
          return async (options: PouchDB.AllDocsOptions) => {
            const res = await target.allDocs(options)
            read.push(...res.rows.map((r) => r.id))
            return res
          }
        }
        if (prop === 'get') {
          return (id: string, options?: { conflicts?: boolean; rev?: string }) => {
            read.push(id)
            return options ? target.get(id, options) : target.get(id)
          }
        }
        const value: unknown = Reflect.get(target, prop, target)
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    })
    return { db: counted, read }
  }

  /** An Orange ticket document as the workspace keeps it: open, or ended. */
  async function ticketDoc(id: string, final: boolean): Promise<void> {
    await writeDocs(ws.db, [{ _id: id, kind: 'ticket', schemaVersion: 1, final } as BaseDoc])
  }

  const ticket = (n: number, state: 'TERMINATED' | 'ERROR'): OrangeTicket =>
    ({
      id: `t${n}`,
      ticketNumber: n,
      state,
      errorCode: state === 'ERROR' ? 'LINES_IN_ERROR' : null,
      errorMessage: null,
      lines: [{ serialNumber: `x${n}`, processingStatus: state, errorCode: state === 'ERROR' ? 'SIM_CANCELLED' : null, errorMessage: state === 'ERROR' ? 'cancelled SIM' : null }],
    }) as unknown as OrangeTicket

  it('writes each ended ticket to its row and the job counts them once, even when they end together', async () => {
    const { rows } = await cancelledJob(3)
    const told: JobDoc[] = []
    const left = createCancelledTickets({ db: ws.db, port, changed: (job) => told.push(structuredClone(job)), now: () => new Date() })
    left.follow(rows)
    expect([...waiters.keys()]).toEqual(['t1', 't2', 't3'])
    waiters.get('t1')!.resolve(ticket(1, 'TERMINATED'))
    waiters.get('t2')!.resolve(ticket(2, 'ERROR'))
    waiters.get('t3')!.reject(AppError.withRef('NOT_FOUND', 'gone', { key: 'orange.ticketNotKept', params: { id: 't3' } }))
    await expect.poll(async () => (await readRows(ws.db, 'j1')).map((r) => r.error?.details?.ref?.key ?? r.state), { interval: 10 }).toEqual(['done', 'orange.ticketFailed', 'orange.ticketNotKept'])
    const after = await readRows(ws.db, 'j1')
    expect(after.map((r) => r.state)).toEqual(['done', 'failed', 'unknown'])
    expect(after[1]!.error).toMatchObject({ code: 'CARRIER', details: { carrierCode: 'SIM_CANCELLED', carrierMessage: 'cancelled SIM' } })
    expect((await readJob(ws.db, 'j1'))!.counts).toMatchObject({ total: 3, done: 1, failed: 1, unknown: 1 })
    expect(told.at(-1)!.counts).toMatchObject({ done: 1, failed: 1, unknown: 1 })
    await left.close()
  })

  it('opens without reading the jobs of a workspace that has many finished ones and no open ticket; with one left waiting, reads its rows alone', async () => {
    await finishedJobs(300)
    // The first open since markers are written looks through the jobs once (see the test after this one).
    const first = createCancelledTickets({ db: ws.db, port, changed: () => undefined, now: () => new Date() })
    await first.resume()
    await first.close()
    const quiet = countingReads(ws.db)
    const left = createCancelledTickets({ db: quiet.db, port, changed: () => undefined, now: () => new Date() })
    await left.resume()
    expect(quiet.read).toEqual([BACKFILLED])
    await left.close()

    await cancelledJob(2, { jobId: 'j9', ticketId: (seq) => `ticket:j9:${seq}` })
    for (const seq of [1, 2]) await ticketDoc(`ticket:j9:${seq}`, false)
    const one = countingReads(ws.db)
    const again = createCancelledTickets({ db: one.db, port, changed: () => undefined, now: () => new Date() })
    await again.resume()
    // Its marker's key, its two rows, and their tickets (both open: followed in the background).
    expect(one.read).toEqual([BACKFILLED, 'simjobticketsleft:j9', 'simjobrow:j9:0000001', 'simjobrow:j9:0000002', 'ticket:j9:1', 'ticket:j9:2'])
    expect([...waiters.keys()]).toEqual(['ticket:j9:1', 'ticket:j9:2'])
    await again.close()
  })

  it('in a workspace an earlier release cancelled in (no marker), follows the waiting rows and marks their job, looking through the jobs once', async () => {
    await finishedJobs(20)
    await cancelledJob(2, { jobId: 'j7', ticketId: (seq) => `ticket:j7:${seq}`, marked: false })
    for (const seq of [1, 2]) await ticketDoc(`ticket:j7:${seq}`, false)
    const first = countingReads(ws.db)
    const left = createCancelledTickets({ db: first.db, port, changed: () => undefined, now: () => new Date() })
    await left.resume()
    expect(first.read).toEqual(expect.arrayContaining([BACKFILLED, 'simjob:j7', 'simjobrow:j7:0000001', 'ticket:j7:1', 'ticket:j7:2']))
    expect([...waiters.keys()]).toEqual(['ticket:j7:1', 'ticket:j7:2'])
    expect(await readTicketsLeft(ws.db, 'j7')).not.toBeNull()
    await left.close()
    waiters.clear()
    // From now on, its marker finds it: the jobs are not read again.
    const next = countingReads(ws.db)
    const again = createCancelledTickets({ db: next.db, port, changed: () => undefined, now: () => new Date() })
    await again.resume()
    expect(next.read).toEqual([BACKFILLED, 'simjobticketsleft:j7', 'simjobrow:j7:0000001', 'simjobrow:j7:0000002', 'ticket:j7:1', 'ticket:j7:2'])
    expect([...waiters.keys()]).toEqual(['ticket:j7:1', 'ticket:j7:2'])
    await again.close()
  })

  it('after a restart at any point follows every ticket the cancel left open, and forgets the job once the last has ended', async () => {
    const ids = (seq: number) => `ticket:j2:${seq}`
    await cancelledJob(3, { jobId: 'j2', ticketId: ids })
    // Killed right after the cancel: the first ticket still open, the second ended while no core waited, the third lost.
    await ticketDoc(ids(1), false)
    await ticketDoc(ids(2), true)
    ended.set(ids(2), ticket(2, 'TERMINATED'))
    lost.add(ids(3))
    const first = createCancelledTickets({ db: ws.db, port, changed: () => undefined, now: () => new Date() })
    await first.resume()
    // Written before the core is handed over (a CLI command reads them at once); the open one is waited for.
    expect((await readRows(ws.db, 'j2')).map((r) => r.error?.details?.ref?.key ?? r.state)).toEqual(['jobs.ticketOpenAtCancel', 'done', 'orange.ticketNotKept'])
    expect(await readTicketsLeft(ws.db, 'j2')).not.toBeNull()
    expect([...waiters.keys()]).toEqual([ids(1)])
    // Killed again while that ticket is open: its waiter dies with the process; the next core follows it anew.
    await first.close()
    waiters.clear()
    const second = createCancelledTickets({ db: ws.db, port, changed: () => undefined, now: () => new Date() })
    await second.resume()
    expect([...waiters.keys()]).toEqual([ids(1)])
    waiters.get(ids(1))!.resolve(ticket(1, 'TERMINATED'))
    await expect.poll(async () => (await readRows(ws.db, 'j2')).map((r) => r.state), { interval: 10 }).toEqual(['done', 'done', 'unknown'])
    expect((await readJob(ws.db, 'j2'))!.counts).toMatchObject({ total: 3, done: 2, unknown: 1 })
    // The last waiting row and the marker went in one write: a core opening now reads nothing.
    expect(await readTicketsLeft(ws.db, 'j2')).toBeNull()
    await second.close()
    const third = countingReads(ws.db)
    await createCancelledTickets({ db: third.db, port, changed: () => undefined, now: () => new Date() }).resume()
    expect(third.read).toEqual([BACKFILLED])
  })

  it('removes, when the core opens, a marker that outlived its rows (its removal lost a conflict), making the counts whole', async () => {
    const { job, rows } = await cancelledJob(2, { jobId: 'j3' })
    for (const row of rows) Object.assign(row, { state: 'done', error: null })
    // The rows written, the job's counts and the marker not: as a write that lost to a replica's leaves them.
    await writeDocs(ws.db, rows)
    expect((await readJob(ws.db, 'j3'))!.counts).toMatchObject({ unknown: 2, done: 0 })
    const told: JobDoc[] = []
    const left = createCancelledTickets({ db: ws.db, port, changed: (j) => told.push(structuredClone(j)), now: () => new Date() })
    await left.resume()
    expect(await readTicketsLeft(ws.db, job.jobId)).toBeNull()
    expect((await readJob(ws.db, 'j3'))!.counts).toMatchObject({ unknown: 0, done: 2 })
    expect(told.map((j) => j.jobId)).toEqual(['j3'])
    expect(waiters.size).toBe(0)
    await left.close()
  })

  it('keeps the outcomes the disk refuses and writes them, counted once, as soon as the disk takes writes again', async () => {
    const { rows } = await cancelledJob(2)
    const logged: { level: string; msg: string }[] = []
    const log = (level: string) => (_: unknown, msg: string) => void logged.push({ level, msg })
    const write = ws.db.bulkDocs.bind(ws.db)
    let refused = 0
    // A full disk: LevelDB refuses every write.
    ws.db.bulkDocs = (() => {
      refused += 1
      return Promise.reject(Object.assign(new Error('IO error: No space left on device'), { code: 'ENOSPC' }))
    }) as never
    const told: JobDoc[] = []
    const logger = { info: log('info'), warn: log('warn'), error: log('error'), debug: () => undefined } as never
    const left = createCancelledTickets({ db: ws.db, port, changed: (job) => told.push(structuredClone(job)), now: () => new Date(), logger, retry: { minMs: 5, maxMs: 20 } })
    try {
      left.follow(rows)
      waiters.get('t1')!.resolve(ticket(1, 'TERMINATED'))
      await expect.poll(() => refused, { interval: 5 }).toBeGreaterThanOrEqual(3)
      // A second ticket ends while the disk still refuses: its outcome joins the one kept.
      waiters.get('t2')!.resolve(ticket(2, 'ERROR'))
      const atSecond = refused
      await expect.poll(() => refused, { interval: 5 }).toBeGreaterThanOrEqual(atSecond + 3)
      expect((await readRows(ws.db, 'j1')).map((r) => r.state)).toEqual(['unknown', 'unknown'])
      expect(told).toEqual([])
      expect(logged.filter((l) => l.level === 'warn')).toHaveLength(1)

      ws.db.bulkDocs = write
      await expect.poll(async () => (await readRows(ws.db, 'j1')).map((r) => r.state), { interval: 5 }).toEqual(['done', 'failed'])
      await left.close()
      expect((await readJob(ws.db, 'j1'))!.counts).toMatchObject({ total: 2, done: 1, failed: 1, unknown: 0 })
      // Both outcomes went in the one write that the disk took.
      expect(told.map((j) => j.counts)).toEqual([expect.objectContaining({ done: 1, failed: 1, unknown: 0 })])
      expect(logged.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual([expect.stringContaining('the disk takes writes again')])
      expect(logged.filter((l) => l.level === 'error')).toEqual([])
    } finally {
      ws.db.bulkDocs = write
      await left.close()
    }
  })
})
