/**
 * Orange rows a stopped job's cancel left unknown while their tickets were still open (settleStoppedRows): the Orange
 * service follows those tickets whatever the job does, and when one ends its row takes the outcome — done, or failed
 * with Orange's reason — and the job's counts and progress follow, as a running job's rows would. The tickets are kept
 * and followed again after a restart (ticket-follower.ts), so the core looks for such rows when it opens
 * (`resume`); a ticket that ended while no core was waiting for it (a crash before the row was written, a teammate's
 * replica) is applied then.
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
import type { Logger } from '../log/logger'
import { createRefusedWrites } from '../log/refused-writes'
import { isConflict, type Db } from '../store/documents'
import { getTicket } from '../store/tickets.store'
import { awaitsTicket } from './job-runner'
import { countRows, listJobs, readJob, readRows, writeDocs, type JobDoc, type JobRowDoc } from './jobs.store'
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

/** Every job a workspace holds is looked at when the core opens (listJobs reads them all before the limit applies). */
const ALL_JOBS = 10_000
/** A write that lost to a replica's is tried again from the documents as they now stand. */
const CONFLICT_RETRIES = 3

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
    // Counted from the rows, not adjusted: a write that half failed (the rows written, not the job) is made whole here.
    const counts = countRows(rows)
    if (changedRows.length === 0 && JOB_ROW_STATES.every((state) => counts[state] === job.counts[state])) return
    job.counts = counts
    job.updatedAt = at
    try {
      await writeDocs(db, [job, ...changedRows])
    } catch (e) {
      if (!isConflict(e) || attempt >= CONFLICT_RETRIES) throw e
      return writeJob(jobId, outcomes, attempt + 1)
    }
    changed(job)
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
      const jobs = (await listJobs(db, ALL_JOBS)).filter((j) => j.state === 'cancelled' && j.counts.unknown > 0 && j.orangeRows !== 0)
      const writes: Promise<void>[] = []
      for (const job of jobs) {
        for (const row of (await readRows(db, job.jobId)).filter(awaitsTicket)) {
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
