/**
 * Pre-flight: every row of a job checked before anything is sent (docs/wire/control-center.md §1.13; an Orange row,
 * docs/wire/orange.md §4.6). Identifier
 * shape, duplicates, the per-row parameters, the SIM's current status (from the cache or a read), the transitions
 * Fieldline refuses, and the SMS's characters and length in the coding it will be sent with. Rows with an error, and rows where nothing
 * would change, are skipped; the others are pending, with what they are now (before) and will be (after).
 */
import { JOB_STATUS_TARGETS, SETTABLE_SIM_STATES, type JobParams, type PreflightIssue, type SimSide } from '../../../src-shared/models/sim-jobs'
import type { SimStatus } from '../../../src-shared/models/sim'
import { END_OF_LIFE_STATUSES, normaliseControlCenterStatus, normaliseOrangeStatus, SMS_REFUSED_STATUSES } from '../carriers/sim-model'
import { checkIccid } from './identifiers'
import { isOrangeRow, type JobDoc, type JobRowDoc } from './jobs.store'
import { checkSerial, orangeIntended, orangeTransition } from './orange-rows'
import { smsLength, smsRefusal } from '../../../src-shared/models/sms-length'

/**
 * `pending`: a status change Orange has not finished yet (its requested status). `noAccount`: no account to read it
 * through. `otherAccount`: the SIM inventory lists it under another account of the job's carrier (that account's name).
 */
export type SimReading = { found: true; status: SimStatus; ratePlan: string | null; pending?: string | null } | { found: false } | { error: string } | { noAccount: string } | { otherAccount: string }

export interface PreflightDeps {
  /** The SIM's status and rate plan (from the cache, or read from the row's carrier). */
  readSim(row: JobRowDoc): Promise<SimReading>
  /** The account's rate plans, or null when the role may not list them (the name is then checked by the carrier). */
  ratePlans: readonly string[] | null
  /** After each batch of reads: how many of the SIMs to read have been read. */
  progress?(read: number, total: number): void
  /** Asked before each batch: true once the job was abandoned, so the SIMs after it are not read for nothing. */
  stopped?(): boolean
}

/** States a job may set at Control Center: the operator's choices, and Test Ready, which undo may need to set back (the client can). */
const JOB_SETTABLE: readonly SimStatus[] = [...SETTABLE_SIM_STATES, 'testReady']
/** States a status may be named by (either carrier's), and those undo may need to name (an Orange SIM's previous state). */
const NAMEABLE: readonly SimStatus[] = [...JOB_STATUS_TARGETS, 'testReady', 'preActivated', 'cancelled']

/** A status as typed in a CSV: Fieldline's name (`activated`) or a carrier's spelling (`ACTIVATED`, `SLEEPING`). */
function parseStatus(raw: string): SimStatus | null {
  const named = NAMEABLE.find((s) => s.toLowerCase() === raw.toLowerCase())
  if (named) return named
  const normalised = normaliseControlCenterStatus(raw)
  if (NAMEABLE.includes(normalised)) return normalised
  const orange = normaliseOrangeStatus(raw)
  return NAMEABLE.includes(orange) ? orange : null
}

type Target = { after: SimSide; issues: PreflightIssue[] }

/** What the row asks for, from its own CSV values or the job's parameters. */
function intended(job: JobDoc, row: JobRowDoc, ratePlans: readonly string[] | null): Target {
  const params: JobParams = job.params
  const carrier = row.rawParams.carrier
  const orange = isOrangeRow(row)
  if (carrier && carrier !== job.carrier && !orange) return { after: {}, issues: [{ code: 'otherCarrier', severity: 'error', detail: carrier }] }
  if (job.operation === 'status') {
    const raw = row.rawParams.status ?? params.status
    if (!raw) return { after: {}, issues: [{ code: 'badParam', severity: 'error', detail: 'status' }] }
    const status = parseStatus(raw)
    if (!status) return { after: {}, issues: [{ code: 'badParam', severity: 'error', detail: `status ${raw.slice(0, 40)}` }] }
    if (orange) return orangeIntended(job.operation, status)
    return JOB_SETTABLE.includes(status) ? { after: { status }, issues: [] } : { after: {}, issues: [{ code: 'unsupported', severity: 'error', detail: `${job.carrier} ${status}` }] }
  }
  if (orange) return orangeIntended(job.operation, null)
  if (job.operation === 'ratePlan') {
    const ratePlan = row.rawParams.ratePlan ?? params.ratePlan
    if (!ratePlan || ratePlan.length > 200) return { after: {}, issues: [{ code: 'badParam', severity: 'error', detail: 'ratePlan' }] }
    if (ratePlans && !ratePlans.includes(ratePlan)) return { after: { ratePlan }, issues: [{ code: 'unknownPlan', severity: 'error', detail: ratePlan.slice(0, 60) }] }
    return { after: { ratePlan }, issues: [] }
  }
  if (job.operation === 'refresh') return { after: {}, issues: [] }
  const text = row.rawParams.text ?? params.text
  if (!text) return { after: {}, issues: [{ code: 'badParam', severity: 'error', detail: 'text' }] }
  // Measured and refused as the SIM panel and the core's own check do (sms-length.ts).
  const measured = smsLength(text, params.dataCoding)
  const after = { smsLength: measured.length, dataCoding: measured.dataCoding }
  const refusal = smsRefusal(measured)
  if (refusal?.key === 'sim.smsCharacter') return { after, issues: [{ code: 'smsCharacter', severity: 'error', detail: refusal.params.character }] }
  if (refusal) return { after, issues: [{ code: 'smsTooLong', severity: 'error', detail: `${refusal.params.length}/${refusal.params.max}` }] }
  return { after, issues: [] }
}

/** What the carrier's current state says about the change. */
function transition(operation: JobDoc['operation'], before: { status: SimStatus; ratePlan: string | null; pending?: string | null }, after: SimSide, orange: boolean): PreflightIssue[] {
  if (orange) return operation === 'status' ? orangeTransition({ status: before.status, pending: before.pending ?? null }, after) : []
  if (operation === 'sms') return SMS_REFUSED_STATUSES.has(before.status) ? [{ code: 'smsInactive', severity: 'error', detail: before.status }] : []
  // A read changes nothing: any SIM the carrier knows can be read again, whatever its status.
  if (operation === 'refresh') return []
  if (END_OF_LIFE_STATUSES.has(before.status)) return [{ code: 'transition', severity: 'error', detail: `${before.status} → ${after.status ?? after.ratePlan ?? ''}` }]
  if (operation === 'status' && before.status === after.status) return [{ code: 'noChange', severity: 'skip' }]
  if (operation === 'ratePlan' && before.ratePlan === after.ratePlan) return [{ code: 'noChange', severity: 'skip' }]
  return []
}

const blocking = (issues: readonly PreflightIssue[]): boolean => issues.some((i) => i.severity !== 'warning')

/** How many SIM reads run at once; the account's governor paces them. */
const READ_BATCH = 50

/** Checks every row in place and returns the totals by finding. */
export async function preflightRows(job: JobDoc, rows: JobRowDoc[], deps: PreflightDeps): Promise<Record<string, number>> {
  const seen = new Map<string, string>()
  for (const row of rows) {
    const { iccid, issues } = isOrangeRow(row) ? checkSerial(row.id) : checkIccid(row.id)
    row.iccid = iccid
    row.issues = [...issues]
    row.before = null
    row.after = null
    row.error = null
    if (iccid) {
      const first = seen.get(iccid)
      if (first !== undefined) row.issues.push({ code: 'duplicate', severity: 'error', detail: first })
      else seen.set(iccid, row.source)
    }
    const target = intended(job, row, deps.ratePlans)
    row.after = target.after
    row.issues.push(...target.issues)
  }
  const toRead = rows.filter((r) => r.iccid && !blocking(r.issues))
  deps.progress?.(0, toRead.length)
  for (let i = 0; i < toRead.length && !deps.stopped?.(); i += READ_BATCH) {
    const batch = toRead.slice(i, i + READ_BATCH)
    const readings = await Promise.all(batch.map((r) => deps.readSim(r)))
    batch.forEach((row, k) => {
      const reading = readings[k]!
      if ('error' in reading) row.issues.push({ code: 'unreadable', severity: 'error', detail: reading.error })
      else if ('noAccount' in reading) row.issues.push({ code: 'noAccount', severity: 'error', detail: reading.noAccount })
      else if ('otherAccount' in reading) row.issues.push({ code: 'otherAccount', severity: 'error', detail: reading.otherAccount })
      else if (!reading.found) row.issues.push({ code: 'notFound', severity: 'error' })
      else {
        row.before = { status: reading.status, ratePlan: reading.ratePlan }
        row.issues.push(...transition(job.operation, reading, row.after ?? {}, isOrangeRow(row)))
      }
    })
    deps.progress?.(i + batch.length, toRead.length)
  }
  const findings: Record<string, number> = {}
  for (const row of rows) {
    row.state = blocking(row.issues) ? 'skipped' : 'pending'
    for (const issue of row.issues) findings[issue.code] = (findings[issue.code] ?? 0) + 1
  }
  return findings
}
