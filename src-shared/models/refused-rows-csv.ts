/**
 * The refused rows of an import as a file the operator fixes and imports again, in the format of the file they came
 * from. CSV: the reason each row was refused, then the row as the file wrote it, under the import's own header; the
 * reason column is one the import ignores (REFUSAL_COLUMN). Cells are spreadsheet-safe (csvCell: none runs as a
 * formula). JSON lines: each refused line as the file wrote it, its reason added as the object's first member; a
 * line that is not a JSON object goes, as text, into an object beside its reason.
 */
import type { ImportReport, ImportRowError } from '../contract'
import { csvCell } from './history-csv'

/** The export's reason column (a JSON line's member): an import skips it, so a fixed file can be imported again as it is. */
export const REFUSAL_COLUMN = 'importRefusal'
/** The member that holds a refused JSON line that was not an object, as text; an import skips it too. */
export const REFUSED_LINE_MEMBER = 'importLine'

/** `reason` says why a row was refused, in the operator's language (the row number is part of it). */
export function refusedRowsCsv(report: Pick<ImportReport, 'errors'> & { columns: string[] }, reason: (error: ImportRowError) => string): string {
  const header = [REFUSAL_COLUMN, ...report.columns]
  const lines = [header.map(csvCell).join(',')]
  for (const error of report.errors) lines.push([reason(error), ...(error.cells ?? [])].map(csvCell).join(','))
  // CRLF, as RFC 4180 writes it and as spreadsheets expect.
  return `${lines.join('\r\n')}\r\n`
}

/**
 * The reason goes in as text, before the line's first member: the rest stays byte for byte as written (parsing and
 * writing the object again would round a long number a JSON writer left unquoted, which is often why it was refused).
 * A line that is not a JSON object has no member to put the reason before: it goes as text into an object beside its
 * reason, which the operator replaces with the fixed line. A row too long to copy has no line.
 */
export function refusedRowsJsonLines(report: Pick<ImportReport, 'errors'>, reason: (error: ImportRowError) => string): string {
  const lines: string[] = []
  for (const error of report.errors) {
    const line = error.cells?.[0]
    if (line === undefined) continue
    lines.push(isJsonObject(line) ? withReason(line, reason(error)) : JSON.stringify({ [REFUSAL_COLUMN]: reason(error), [REFUSED_LINE_MEMBER]: line }))
  }
  return lines.map((l) => `${l}\n`).join('')
}

function isJsonObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
  } catch {
    return false
  }
}

function withReason(line: string, text: string): string {
  const open = line.indexOf('{') + 1
  const empty = /^\s*}\s*$/.test(line.slice(open))
  return `${line.slice(0, open)}${JSON.stringify(REFUSAL_COLUMN)}:${JSON.stringify(text)}${empty ? '' : ','}${line.slice(open)}`
}
