/**
 * A job's per-row outcomes as CSV (RFC 4180, spreadsheet-safe cells: history-csv.ts's csvCell, so no cell runs as a
 * formula). An ICCID is written as its digits: a spreadsheet told to read that column as numbers would still round it
 * (docs/wire/control-center.md §1.13), which is why the import side refuses such numbers.
 *
 * It is the app's download and `fieldline job export`, read by people: the `state` column says a row's state as the
 * app shows it (shownRowState, as a code: `interrupted` for a change a stopped job left on the wire, `notSent` for a
 * row a cancel kept from being sent), not `sending` or `pending` in a job that will not send it.
 */
import { csvCell } from '../../../src-shared/models/history-csv'
import { shownRowState, type JobState } from '../../../src-shared/models/sim-jobs'
import type { JobRowDoc } from './jobs.store'

export const JOB_CSV_COLUMNS = ['line', 'iccid', 'state', 'statusBefore', 'statusAfter', 'ratePlanBefore', 'ratePlanAfter', 'smsMsgId', 'findings', 'error', 'at'] as const

export function jobCsvHeader(): string {
  return JOB_CSV_COLUMNS.join(',')
}

export function jobCsvLine(row: JobRowDoc, jobState: JobState): string {
  const values: Record<(typeof JOB_CSV_COLUMNS)[number], string> = {
    line: row.source,
    iccid: row.iccid ?? row.id,
    state: shownRowState(row.state, jobState),
    statusBefore: row.before?.status ?? '',
    statusAfter: row.after?.status ?? '',
    ratePlanBefore: row.before?.ratePlan ?? '',
    ratePlanAfter: row.after?.ratePlan ?? '',
    smsMsgId: row.smsMsgId ?? '',
    findings: row.issues.map((i) => (i.detail ? `${i.code}(${i.detail})` : i.code)).join(' '),
    error: row.error ? `${row.error.code}: ${row.error.message}` : '',
    at: row.at ?? '',
  }
  return JOB_CSV_COLUMNS.map((c) => csvCell(values[c])).join(',')
}
