/**
 * Orange rows a stopped job's cancel left unknown while their tickets were still open (settleStoppedRows): the Orange
 * service follows those tickets whatever the job does, and when one ends its row takes the outcome — done, or failed
 * with Orange's reason — and the job's counts and progress follow, as a running job's rows would. The tickets are kept
 * and followed again after a restart (ticket-follower.ts), so the core looks for such rows when it opens
 * (`resume`); a ticket that ended while no core was waiting for it (a crash before the row was written, a teammate's
 * replica) is applied then. It finds them by the jobs' markers (TicketsLeftDoc, written with the cancel, removed with
 * the last such row's outcome), not by reading every job: each CLI command opens a core.
 *
 * Outcomes the disk refuses (full, read-only) are kept and written again on a back-off within the session
 * (refused-writes.ts), so a row takes its outcome as soon as the disk takes writes again, not at the next start.
 *
 * No audit entry is written here: the Orange service audited the ticket's outcome when it ended, as it does for the
 * tickets of a running job.
 */
import type { ErrorInfo } from '../../../src-shared/contract'
import { JOB_ROW_STATES } from '../../../src-shared/models/sim-jobs'
import { isAppError } from '../common/errors'
import { storageProblem } from '../common/storage-errors'
import type { Logger } from '../log/logger'
import { createRefusedWrites } from '../log/refused-writes'
import { isConflict, isNotFound, type Db } from '../store/documents'
import { getTicket } from '../store/tickets.store'
import { awaitsTicket } from './job-runner'
import { countRows, listJobs, listTicketsLeft, newTicketsLeftDoc, readJob, readRows, readTicketsLeft, writeDocs, type JobDoc, type JobRowDoc, type TicketsLeftDoc } from './jobs.store'
import { endByTicket, type OrangeJobPort } from './orange-rows'

type Ended = { ticket: Parameters<typeof endByTicket>[1] } | { lost: ErrorInfo }

export interface CancelledTicketsDeps {
  db: Db
  port: Pick<OrangeJobPort, 'waitFor'>
  /** Tells the views of a job whose rows changed (its counts and state, as a running job's progress does). */
  changed(job: JobDoc): void
  now: () => Date
  logger?: Logger
  /** The back-off between two writes the disk refused. */
  retry?: { minMs: number; maxMs: number }
}

export const DEFAULT_REFUSED_RETRY = { minMs: 2_000, maxMs: 30_000 }

/** A write that lost to a replica's is tried again from the documents as they now stand. */
const CONFLICT_RETRIES = 3

/**
 * The marker a cancel writes with its rows when it leaves one awaiting its ticket (none otherwise). One a cancel that
 * lost a conflict left already is written over, not refused as a conflict.
 */
export async function ticketsLeftMarker(db: Db, jobId: string, rows: readonly JobRowDoc[]): Promise<TicketsLeftDoc[]> {
  if (!rows.some(awaitsTicket)) return []
  const kept = await readTicketsLeft(db, jobId)
  return [{ ...newTicketsLeftDoc(jobId), ...(kept ? { _rev: kept._rev } : {}) }]
}

/** Says that this workspace's jobs were looked through once for cancels made before markers were written. */
const MARKERS_BACKFILLED = '_local/simjob-ticketsleft-backfilled'
/** Every job is read by that one look (listJobs reads them all before its limit applies). */
const ALL_JOBS = 10_000

/**
 * A workspace whose jobs were cancelled by a release that wrote no marker: its jobs are read once, and each cancelled
 * one with rows still awaiting tickets gets its marker. Returns those jobs, so that they are followed even when the
 * disk refuses the markers (then the look is made again at the next open). The note is `_local`: a teammate's replica
 * looks through its own jobs once.
 */
async function backfillMarkers(db: Db, logger?: Logger): Promise<string[]> {
  try {
    await db.get(MARKERS_BACKFILLED)
    return []
  } catch (e) {
    if (!isNotFound(e)) throw e
  }
  const found: string[] = []
  const markers: TicketsLeftDoc[] = []
  for (const job of await listJobs(db, ALL_JOBS)) {
    if (job.state !== 'cancelled' || job.counts.unknown === 0 || job.orangeRows === 0) continue
    const marker = await ticketsLeftMarker(db, job.jobId, await readRows(db, job.jobId))
    if (marker.length === 0) continue
    found.push(job.jobId)
    markers.push(...marker)
  }
  try {
    if (markers.length > 0) await writeDocs(db, markers)
    await (db as unknown as PouchDB.Database).put({ _id: MARKERS_BACKFILLED })
  } catch (e) {
    if (storageProblem(e) === undefined) throw e
    // A read-only data folder: the look is made again at the next open, and these jobs are followed all the same.
    if (markers.length > 0) logger?.warn({ err: e }, 'the markers of cancelled jobs awaiting Orange tickets could not be written; they are looked for again at the next start')
  }
  return found
}

export function createCancelledTickets({ db, port, changed, now, logger, retry = DEFAULT_REFUSED_RETRY }: CancelledTicketsDeps) {
  /** Outcomes not written yet, by job and row: tickets that end while a write runs go together in the next one. */
  let ended = new Map<string, Map<string, Ended>>()
  let writing: Promise<void> = Promise.resolve()
  let closed = false
  const refusedWrites = createRefusedWrites({ what: 'the outcome of an Orange ticket left open by a cancel', backoff: retry, logger })
  let retryTimer: NodeJS.Timeout | undefined

  function keep(row: Pick<JobRowDoc, '_id' | 'jobId'>, outcome: Ended): void {
    const ofJob = ended.get(row.jobId) ?? new Map<string, Ended>()
    ofJob.set(row._id, outcome)
    ended.set(row.jobId, ofJob)
  }

  function land(row: Pick<JobRowDoc, '_id' | 'jobId'>, outcome: Ended): Promise<void> {
    keep(row, outcome)
    // One write at a time: two tickets of a job ending together would otherwise conflict on the job's document.
    writing = writing.then(write)
    return writing
  }

  async function write(): Promise<void> {
    const batch = ended
    ended = new Map()
    let retryIn: number | undefined
    for (const [jobId, outcomes] of batch) {
      try {
        await writeJob(jobId, outcomes)
        refusedWrites.landed()
      } catch (e) {
        const delay = refusedWrites.refused(e)
        if (delay === undefined) {
          // The row still awaits its ticket, which has ended: the core applies it again when it next opens (resume).
          logger?.error({ err: e, jobId }, 'an Orange ticket left open by a cancel could not be written to its job row')
          continue
        }
        // Kept for the next attempt, unless a newer outcome for the row came meanwhile (it is the same ticket's).
        for (const [rowId, outcome] of outcomes) if (!ended.get(jobId)?.has(rowId)) keep({ _id: rowId, jobId }, outcome)
        retryIn = delay
      }
    }
    if (retryIn !== undefined && !closed && retryTimer === undefined) {
      retryTimer = setTimeout(() => {
        retryTimer = undefined
        if (!closed) writing = writing.then(write)
      }, retryIn)
    }
  }

  async function writeJob(jobId: string, outcomes: Map<string, Ended>, attempt = 0): Promise<void> {
    const job = await readJob(db, jobId)
    if (!job) return
    const rows = await readRows(db, jobId)
    const at = now().toISOString()
    // A row another replica (or an earlier write) has settled already is left as it is.
    const changedRows = rows.filter((r) => awaitsTicket(r) && outcomes.has(r._id))
    for (const row of changedRows) {
      const outcome = outcomes.get(row._id)!
      if ('lost' in outcome) {
        // Its ticket is gone from the workspace: nothing will say how it ended; unknown it stays, saying why.
        row.error = outcome.lost
        row.at = at
      } else endByTicket(row, outcome.ticket, at)
    }
    // The job's marker goes with the outcome of its last waiting row, in the same write: a kill leaves both or neither.
    const marker = rows.some(awaitsTicket) ? null : await readTicketsLeft(db, jobId)
    const removed = marker ? [{ ...marker, _deleted: true }] : []
    // Counted from the rows, not adjusted: a write that half failed (the rows written, not the job) is made whole here.
    const counts = countRows(rows)
    const rowsChanged = changedRows.length > 0 || JOB_ROW_STATES.some((state) => counts[state] !== job.counts[state])
    if (!rowsChanged && removed.length === 0) return
    job.counts = counts
    job.updatedAt = at
    try {
      // A marker left over by an earlier write that lost a conflict goes alone: the job is as its rows say already.
      await writeDocs(db, rowsChanged ? [job, ...changedRows] : [], removed)
    } catch (e) {
      if (!isConflict(e) || attempt >= CONFLICT_RETRIES) throw e
      return writeJob(jobId, outcomes, attempt + 1)
    }
    if (rowsChanged) changed(job)
  }

  /** A job with no row left waiting: its counts made whole and its marker removed, in turn with the other writes. */
  function tidy(jobId: string): Promise<void> {
    writing = writing.then(() => writeJob(jobId, new Map()).catch((e: unknown) => logger?.error({ err: e, jobId }, 'the marker of a cancelled job whose tickets all ended could not be removed')))
    return writing
  }

  /** Resolves once the row has its ticket's outcome written, or the core stops waiting for the ticket (it is closing). */
  function wait(row: JobRowDoc): Promise<void> {
    return port.waitFor(row.ticketId!).then(
      (ticket) => (closed ? undefined : land(row, { ticket })),
      (e: unknown): Promise<void> | undefined => {
        // A ticket gone from the workspace; otherwise the core is closing, and the ticket is followed again, and this row
        // looked for, when it next opens.
        if (!closed && isAppError(e) && e.code === 'NOT_FOUND') return land(row, { lost: e.toInfo() })
      },
    )
  }

  return {
    /** After a cancel: follows the rows it left to their open tickets. */
    follow(rows: readonly JobRowDoc[]): void {
      for (const row of rows) if (awaitsTicket(row)) void wait(row)
    },

    /**
     * When the core opens: the rows of cancelled jobs still awaiting their tickets take the outcome of those that ended
     * meanwhile (written before this resolves, so a CLI command reads them), and the others are followed.
     */
    async resume(): Promise<void> {
      const writes: Promise<void>[] = []
      const backfilled = await backfillMarkers(db, logger)
      for (const jobId of new Set([...(await listTicketsLeft(db)), ...backfilled])) {
        const waiting = (await readRows(db, jobId)).filter(awaitsTicket)
        // A marker outliving its rows' wait (its removal lost a conflict) is removed now, with the counts made whole.
        if (waiting.length === 0) writes.push(tidy(jobId))
        for (const row of waiting) {
          const ticket = await getTicket(db, row.ticketId!)
          // An open ticket is waited for in the background; an ended or lost one answers at once.
          if (ticket && !ticket.final) void wait(row)
          else writes.push(wait(row))
        }
      }
      await Promise.all(writes)
    },

    /** Stops listening; a write under way finishes first, so nothing is written to a closed workspace. */
    async close(): Promise<void> {
      closed = true
      clearTimeout(retryTimer)
      // Outcomes still kept are applied when the core next opens (resume): their rows still await their tickets.
      await writing
      refusedWrites.flush()
    },
  }
}

export type CancelledTickets = ReturnType<typeof createCancelledTickets>
