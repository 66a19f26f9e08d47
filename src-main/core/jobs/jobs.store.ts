/**
 * The jobs' journal in the workspace: one document per job, one per target row. A row is written `sending` before its
 * call and with its outcome after it, in batches (one bulkDocs per window of calls, with the job's counts and the
 * audit entries of the changes made), so that a job killed at any point resumes knowing which rows may have been sent.
 */
import type { ErrorInfo } from '../../../src-shared/contract'
import type { Job, JobCounts, JobParams, JobRow, JobRowState, PreflightIssue, SimSide } from '../../../src-shared/models/sim-jobs'
import type { ControlCenterExtension } from '../../../src-shared/models/profiles'
import { assertBulkOk, getOrNull, type BaseDoc, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'

export interface JobDoc extends BaseDoc, Omit<Job, 'id'> {
  kind: 'simJob'
  jobId: string
  /** The Orange account of the job's Orange rows that name none (a CSV, a device query); null when there is none. */
  orangeProfileId?: string | null
}

/** Per-row values a CSV gave (they override the job's parameters). */
export type RowParams = Pick<JobParams, 'status' | 'ratePlan' | 'text'>

export interface JobRowDoc extends BaseDoc {
  kind: 'simJobRow'
  jobId: string
  seq: number
  source: string
  id: string
  /** The ICCID the identifier names once checked; null when pre-flight refused it. */
  iccid: string | null
  /** As read from the CSV, checked by pre-flight. */
  rawParams: Record<string, string>
  state: JobRowState
  issues: PreflightIssue[]
  before: SimSide | null
  after: SimSide | null
  error: ErrorInfo | null
  smsMsgId: string | null
  /** The Orange ticket (its document id and number) carrying the row's status change, once Orange gave one. */
  ticketId?: string | null
  ticketNumber?: number | null
  attempts: number
  at: string | null
}

/**
 * A cancelled job whose rows still await Orange tickets open at its cancel (cancelled-tickets.ts): written in the same
 * bulkDocs as the cancel, removed in the same bulkDocs as the row that was the last to wait. The core looks only for
 * these when it opens, not through every job a workspace holds (each CLI command opens a core). One bulkDocs is one
 * LevelDB batch, so a kill leaves either both or neither; a marker left over (a write that lost a conflict) is removed
 * at the next open, a marker missing never happens.
 */
export interface TicketsLeftDoc extends BaseDoc {
  kind: 'simJobTicketsLeft'
  jobId: string
}

/** An Orange SIM's row: its source (a selection, a CSV's carrier column) named Orange; the others are the job's account's. */
export const isOrangeRow = (row: JobRowDoc): boolean => row.rawParams.carrier === 'orange'

const JOB_PREFIX = 'simjob:'
const ROW_PREFIX = 'simjobrow:'
/** Its own prefix, outside the jobs' and rows' ranges (`simjob:`, `simjobrow:`), so a key range reads these alone. */
const TICKETS_LEFT_PREFIX = 'simjobticketsleft:'
const WRITE_BATCH = 1000

export const jobDocId = (jobId: string): string => `${JOB_PREFIX}${jobId}`
export const rowDocId = (jobId: string, seq: number): string => `${ROW_PREFIX}${jobId}:${String(seq).padStart(7, '0')}`

export const ticketsLeftDocId = (jobId: string): string => `${TICKETS_LEFT_PREFIX}${jobId}`

export function newTicketsLeftDoc(jobId: string): TicketsLeftDoc {
  return { _id: ticketsLeftDocId(jobId), kind: 'simJobTicketsLeft', schemaVersion: CURRENT_SCHEMA.simJobTicketsLeft, jobId }
}

export function readTicketsLeft(db: Db, jobId: string): Promise<(TicketsLeftDoc & { _rev: string }) | null> {
  return getOrNull<TicketsLeftDoc>(db, ticketsLeftDocId(jobId))
}

/** The jobs that have a marker: their ids alone, read from the keys (no document bodies). */
export async function listTicketsLeft(db: Db): Promise<string[]> {
  const res = await db.allDocs({ startkey: TICKETS_LEFT_PREFIX, endkey: `${TICKETS_LEFT_PREFIX}\uffff` })
  return res.rows.map((r) => r.id.slice(TICKETS_LEFT_PREFIX.length))
}

export function emptyCounts(): JobCounts {
  return { total: 0, pending: 0, sending: 0, done: 0, failed: 0, unknown: 0, skipped: 0 }
}

export function countRows(rows: readonly { state: JobRowState }[]): JobCounts {
  const counts = emptyCounts()
  for (const r of rows) counts[r.state]++
  counts.total = rows.length
  return counts
}

export function newJobDoc(input: {
  jobId: string
  operation: Job['operation']
  carrier: ControlCenterExtension
  profileId: string
  orangeProfileId: string | null
  params: JobParams
  perSecond: number
  undoOf: string | null
  createdBy: string
  total: number
  orangeRows: number
  now: string
}): JobDoc {
  return {
    _id: jobDocId(input.jobId),
    kind: 'simJob',
    schemaVersion: CURRENT_SCHEMA.simJob,
    jobId: input.jobId,
    operation: input.operation,
    carrier: input.carrier,
    profileId: input.profileId,
    orangeProfileId: input.orangeProfileId,
    params: input.params,
    state: 'draft',
    counts: { ...emptyCounts(), total: input.total, pending: input.total },
    findings: {},
    estimateSeconds: null,
    perSecond: input.perSecond,
    undoOf: input.undoOf,
    orangeRows: input.orangeRows,
    createdAt: input.now,
    updatedAt: input.now,
    createdBy: input.createdBy,
  }
}

export function newRowDoc(jobId: string, seq: number, row: { source: string; id: string; rawParams: Record<string, string>; before?: SimSide | null }): JobRowDoc {
  return {
    _id: rowDocId(jobId, seq),
    kind: 'simJobRow',
    schemaVersion: CURRENT_SCHEMA.simJobRow,
    jobId,
    seq,
    source: row.source,
    id: row.id,
    iccid: null,
    rawParams: row.rawParams,
    state: 'pending',
    issues: [],
    before: row.before ?? null,
    after: null,
    error: null,
    smsMsgId: null,
    attempts: 0,
    at: null,
  }
}

export function toJob(doc: JobDoc): Job {
  const { _id: _i, _rev: _r, kind: _k, schemaVersion: _s, jobId, orangeProfileId: _o, ...rest } = doc
  return { id: jobId, ...rest }
}

export function toRow(doc: JobRowDoc): JobRow {
  return {
    seq: doc.seq,
    source: doc.source,
    id: doc.id,
    state: doc.state,
    issues: doc.issues,
    before: doc.before,
    after: doc.after,
    error: doc.error,
    smsMsgId: doc.smsMsgId,
    carrier: isOrangeRow(doc) ? 'orange' : null,
    ticketNumber: doc.ticketNumber ?? null,
    attempts: doc.attempts,
    at: doc.at,
  }
}

export async function readJob(db: Db, jobId: string): Promise<JobDoc | null> {
  return getOrNull<JobDoc>(db, jobDocId(jobId))
}

export async function listJobs(db: Db, limit: number): Promise<JobDoc[]> {
  const res = await db.allDocs({ startkey: `${JOB_PREFIX}\uffff`, endkey: JOB_PREFIX, descending: true, include_docs: true, limit: 10_000 })
  return res.rows
    .map((r) => r.doc as JobDoc)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, limit)
}

/** Every row of a job, in order (a job has at most MAX_JOB_ROWS). */
export async function readRows(db: Db, jobId: string): Promise<JobRowDoc[]> {
  const res = await db.allDocs({ startkey: `${ROW_PREFIX}${jobId}:`, endkey: `${ROW_PREFIX}${jobId}:\uffff`, include_docs: true })
  return res.rows.map((r) => r.doc as JobRowDoc)
}

/** Writes documents in batches; the last batch carries `last` (the job document and its audit entry) so they land together. */
export async function writeInBatches(db: Db, docs: readonly BaseDoc[], last: readonly BaseDoc[]): Promise<void> {
  for (let i = 0; i < docs.length; i += WRITE_BATCH) {
    const batch = docs.slice(i, i + WRITE_BATCH)
    assertBulkOk(await db.bulkDocs(i + WRITE_BATCH >= docs.length ? [...batch, ...last] : batch))
  }
  if (docs.length === 0) assertBulkOk(await db.bulkDocs([...last]))
}

/** Writes documents and takes their new revisions back, so the caller can write them again. */
export async function writeDocs<T extends BaseDoc>(db: Db, docs: T[], extra: readonly BaseDoc[] = []): Promise<void> {
  const results = await db.bulkDocs([...docs, ...extra])
  assertBulkOk(results)
  docs.forEach((doc, i) => {
    const r = results[i] as PouchDB.Core.Response
    doc._rev = r.rev
  })
}
