import type { Job, JobOperation, JobRow, JobRowState, JobState, PreflightIssue, SimSide } from '../../../../src-shared/models/sim-jobs'
import { JOB_OPERATIONS, PREFLIGHT_CODES, shownRowState } from '../../../../src-shared/models/sim-jobs'
import { CARRIERS, type Carrier } from '../../../../src-shared/models/sim'
import { wordFor, type Translate } from '../../i18n'
import { formatNumber } from '../../lib/format'
import { carrierText, encodingText, statusText } from '../sim/sim-text'
import { accountName } from '../sims/sim-cells'

export const jobStateText = (t: Translate, state: JobState): string => wordFor(t, 'jobs.ui.states', state)
/** A row's state in words, as the job's state makes it (shownRowState: interrupted, not sent). */
export function rowStateText(t: Translate, state: JobRowState, jobState?: JobState): string {
  const shown = shownRowState(state, jobState)
  if (shown === 'interrupted') return t('jobs.ui.rowInterrupted')
  if (shown === 'notSent') return t('jobs.ui.rowNotSent')
  return wordFor(t, 'jobs.ui.rowStates', shown)
}
export const operationText = (t: Translate, operation: JobOperation): string => wordFor(t, 'jobs.ui.operations', operation)

/** A finding of pre-flight in words; a code from a newer core shows as itself. */
export function issueText(t: Translate, issue: PreflightIssue): string {
  if (!(PREFLIGHT_CODES as readonly string[]).includes(issue.code)) return issue.code
  if (issue.code === 'unsupported') return unsupportedText(t, issue.detail ?? '')
  // Said as the SIM panel and the core say it (sms-length.ts); the core writes `<length>/<max>`.
  const tooLong = issue.code === 'smsTooLong' ? /^(\d+)\/(\d+)$/.exec(issue.detail ?? '') : null
  if (tooLong) return t('sim.smsTooLong', { values: { length: Number(tooLong[1]), max: Number(tooLong[2]) } })
  return t(`jobs.ui.issues.${issue.code}`, { values: { detail: issue.detail ?? '' } })
}

/** What a carrier does not offer: the core says `<carrier> <operation or status>` (`orange sms`, `jasper sleeping`). */
function unsupportedText(t: Translate, detail: string): string {
  const [carrier = '', what = ''] = detail.split(' ')
  const thing = (JOB_OPERATIONS as readonly string[]).includes(what) ? operationText(t, what as JobOperation) : statusText(t, what)
  return t('jobs.ui.issues.unsupported', { values: { carrier: (CARRIERS as readonly string[]).includes(carrier) ? carrierText(t, carrier as Carrier) : carrier, what: thing } })
}

/** A kind of finding, named without a row's detail, for pre-flight's totals. */
export function findingText(t: Translate, code: PreflightIssue['code']): string {
  return (PREFLIGHT_CODES as readonly string[]).includes(code) ? t(`jobs.ui.findings.${code}`) : code
}

const SEVERITY_ORDER: Readonly<Record<PreflightIssue['severity'], number>> = { error: 0, skip: 1, warning: 2 }

/** A row's findings, what keeps it from being sent first, then its error, in one line. */
export function findingsOfRow(t: Translate, row: Pick<JobRow, 'issues' | 'error'>, error: (e: NonNullable<JobRow['error']>) => string): string {
  const parts = [...row.issues].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]).map((i) => issueText(t, i))
  if (row.error) parts.push(error(row.error))
  return parts.join(' · ')
}

/**
 * Where a row came from: a CSV line (the core writes `line 12`), a device (`type/id`), the account that listed the SIM
 * (`jasper:ops`, said as the page's header says the job's account: "Jasper · ops") or, without one, its carrier.
 */
export function sourceText(t: Translate, source: string, names?: ReadonlyMap<string, string>): string {
  const line = /^line (\d+)$/.exec(source)
  if (line) return t('jobs.ui.rows.line', { values: { line: Number(line[1]) } })
  const carrier = source.split(':', 1)[0] as Carrier
  if (!CARRIERS.includes(carrier) || source.includes('/')) return source
  return source === carrier ? carrierText(t, carrier) : accountName(t, source, names)
}

/** What pre-flight found, by code and how many rows, errors first (they keep rows from being sent). */
export function findingsList(job: Pick<Job, 'findings'>): { code: PreflightIssue['code']; count: number }[] {
  return PREFLIGHT_CODES.filter((code) => (job.findings[code] ?? 0) > 0).map((code) => ({ code, count: job.findings[code]! }))
}

/** One side of a row (before or after) for the job's operation: a status, a rate plan, or an SMS's length in its coding. */
export function sideText(t: Translate, operation: JobOperation, side: SimSide | null, locale: string | null | undefined): string {
  if (!side) return '—'
  if (operation === 'status') return side.status ? statusText(t, side.status) : '—'
  if (operation === 'ratePlan') return side.ratePlan ?? '—'
  if (operation === 'refresh') return side.status ? [statusText(t, side.status), side.ratePlan].filter(Boolean).join(' · ') : '—'
  if (side.smsLength !== undefined) {
    return t('jobs.ui.smsSide', { values: { length: formatNumber(side.smsLength, locale, 0), coding: encodingText(t, side.dataCoding) } })
  }
  return side.status ? statusText(t, side.status) : '—'
}

/** "before → after" of a row, as its accessible text reads it ("Activated to Deactivated"). */
export function changeText(t: Translate, operation: JobOperation, row: Pick<JobRow, 'before' | 'after'>, locale: string | null | undefined): string {
  return t('jobs.ui.change', { values: { before: sideText(t, operation, row.before, locale), after: sideText(t, operation, row.after, locale) } })
}

/** The job's rows by state, in one line (a row left `sending` by a pause is said as interrupted). */
export function countsText(t: Translate, job: Pick<Job, 'counts' | 'state'>): string {
  const c = job.counts
  return t('jobs.ui.countsLine', { values: { total: c.total, done: c.done, failed: c.failed, unknown: c.unknown, skipped: c.skipped, pending: c.pending, sending: c.sending, state: job.state } })
}

/** What the job does, in a sentence: "Set status to Deactivated", "Send an SMS". */
export function summaryText(t: Translate, job: Pick<Job, 'operation' | 'params' | 'undoOf'>): string {
  // An undo sets each SIM back to what it had before the job it undoes: per row, but from no CSV.
  const perRow = job.undoOf ? { values: { id: job.undoOf } } : undefined
  if (job.operation === 'status') {
    if (job.params.status) return t('jobs.ui.summary.status', { values: { status: statusText(t, job.params.status) } })
    return perRow ? t('jobs.ui.summary.statusUndo', perRow) : t('jobs.ui.summary.statusPerRow')
  }
  if (job.operation === 'ratePlan') {
    if (job.params.ratePlan) return t('jobs.ui.summary.ratePlan', { values: { plan: job.params.ratePlan } })
    return perRow ? t('jobs.ui.summary.ratePlanUndo', perRow) : t('jobs.ui.summary.ratePlanPerRow')
  }
  if (job.operation === 'refresh') return t('jobs.ui.summary.refresh')
  return t('jobs.ui.summary.sms')
}
