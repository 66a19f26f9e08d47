/**
 * The refused rows of an import as a CSV file the operator fixes and imports again: the reason each row was refused,
 * then the row as the file wrote it. A CSV import keeps its header, so the fixed file is read as the original was; the
 * reason column is one the import ignores (REFUSAL_COLUMN). Cells are spreadsheet-safe (csvCell: none runs as a
 * formula).
 */
import type { ImportReport, ImportRowError } from '../contract'
import { csvCell } from './history-csv'

/** The export's reason column: an import skips it, so a fixed file can be imported again as it is. */
export const REFUSAL_COLUMN = 'importRefusal'
/** Where a JSON line goes when the refused rows of a JSON-lines import are written as CSV. */
const LINE_COLUMN = 'line'

/** `reason` says why a row was refused, in the operator's language (the row number is part of it). */
export function refusedRowsCsv(report: Pick<ImportReport, 'errors' | 'columns'>, reason: (error: ImportRowError) => string): string {
  const header = [REFUSAL_COLUMN, ...(report.columns ?? [LINE_COLUMN])]
  const lines = [header.map(csvCell).join(',')]
  for (const error of report.errors) lines.push([reason(error), ...(error.cells ?? [])].map(csvCell).join(','))
  // CRLF, as RFC 4180 writes it and as spreadsheets expect.
  return `${lines.join('\r\n')}\r\n`
}
