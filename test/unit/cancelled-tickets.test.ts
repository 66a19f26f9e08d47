/**
 * The rows a stopped job's cancel left to open Orange tickets, on a workspace on disk with the Orange service's
 * `waitFor` played by hand: tickets ending together are counted once each, and a ticket the workspace lost leaves its
 * row unknown, saying so.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { OrangeTicket } from '../../src-shared/models/orange'
import { AppError } from '../../src-main/core/common/errors'
import { createCancelledTickets } from '../../src-main/core/jobs/cancelled-tickets'
import { newJobDoc, newRowDoc, readJob, readRows, writeDocs, countRows, type JobDoc, type JobRowDoc } from '../../src-main/core/jobs/jobs.store'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { tempDir } from '../helpers/core'

type Waiter = { resolve: (t: OrangeTicket) => void; reject: (e: Error) => void }

describe('rows left to open Orange tickets by a cancel', () => {
  let ws: Workspace
  let cleanup: () => Promise<void>
  const waiters = new Map<string, Waiter>()
  const port = {
    waitFor: (id: string) => new Promise<OrangeTicket>((resolve, reject) => void waiters.set(id, { resolve, reject })),
  }

  beforeEach(async () => {
    let dir: string
    ;({ dir, cleanup } = await tempDir())
    ws = await openWorkspace(dir)
    waiters.clear()
  })
  afterEach(async () => {
    await ws.close()
    await cleanup()
  })

  /** A cancelled job of `n` Orange rows, each unknown with its ticket `t<seq>` open. */
  async function cancelledJob(n: number): Promise<{ job: JobDoc; rows: JobRowDoc[] }> {
    const job = newJobDoc({
      jobId: 'j1',
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
      const row = newRowDoc('j1', i + 1, { source: `line ${i + 2}`, id: `100000000000${i}`, rawParams: { carrier: 'orange' }, before: { status: 'activated' } })
      return Object.assign(row, {
        iccid: row.id,
        after: { status: 'sleeping' as const },
        state: 'unknown' as const,
        ticketId: `t${i + 1}`,
        ticketNumber: i + 1,
        error: AppError.withRef('UNKNOWN_OUTCOME', 'open', { key: 'jobs.ticketOpenAtCancel', params: { ticket: i + 1 } }).toInfo(),
      })
    })
    job.state = 'cancelled'
    job.counts = countRows(rows)
    await writeDocs(ws.db, [job, ...rows])
    return { job, rows }
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
