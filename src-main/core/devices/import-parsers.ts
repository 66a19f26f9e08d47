import { parse, type Parser } from 'csv-parse'
import type { MessageRef } from '../../../src-shared/contract'
import { formulaUnsafe } from '../../../src-shared/models/device-table'
import { undefusedCell } from '../../../src-shared/models/history-csv'
import { FORBIDDEN_KEYS } from '../../../src-shared/models/json-value'
import { REFUSAL_COLUMN } from '../../../src-shared/models/refused-rows-csv'
import { AppError } from '../common/errors'
import { describeEncodingProblem, type EncodingProblem } from './import-decoder'
import { canonicalHeader } from './import-fields'

export type ImportFormat = 'csv' | 'jsonl'

/**
 * `source`: the row's text as the file holds it (a CSV record with its line break, a JSON line), for the refused-rows
 * export; absent when the row was too long to keep, not in the file's encoding, or not readable as CSV.
 */
/** Why a row was refused: in English for the CLI and logs, and as a message the app translates. */
interface RowError {
  message: string
  ref: MessageRef
}

export type ParsedRow = { row: number; source?: string; fields: Record<string, unknown> } | { row: number; source?: string; error: RowError }

/**
 * Longest JSON line or CSV record, in characters. A device row is a few hundred characters; this leaves room for
 * any real metadata and extension configuration, and bounds what one row can cost (README, "Import files").
 */
export const MAX_ROW_CHARS = 1024 * 1024

/** Rows parsed so far; `stop` when the file cannot be read past them (the rows before it still count). */
export interface ParsedChunk {
  rows: ParsedRow[]
  stop?: Error
}

/** Incremental parser: text arrives in chunks of any size, with the encoding problems of those chunks' lines. */
export interface RowParser {
  write(text: string, problems: EncodingProblem[]): Promise<ParsedChunk>
  end(problems: EncodingProblem[]): Promise<ParsedChunk>
  /** A CSV file's column names as its header writes them (null before the header, and for JSON lines). */
  readonly header: string[] | null
}

export function formatFor(fileName: string): ImportFormat {
  return /\.csv$/i.test(fileName) ? 'csv' : 'jsonl'
}

export function createParser(format: ImportFormat): RowParser {
  return format === 'csv' ? createCsvParser() : createJsonLinesParser()
}

function encodingError(row: number, problem: EncodingProblem): ParsedRow {
  return { row, error: describeEncodingProblem(problem) }
}

function emptyFile(): AppError {
  return AppError.withRef('VALIDATION', 'The file is empty (or holds only blank lines); nothing was imported', { key: 'import.emptyFile' })
}

function tooLong(row: number): ParsedRow {
  const max = MAX_ROW_CHARS
  return { row, error: { message: `Line ${row} is longer than ${max} characters; it is refused without being read`, ref: { key: 'import.lineTooLong', params: { line: row, max } } } }
}

/**
 * One JSON object per line. A line is kept as a list of pieces until it ends (joining once is linear; growing one
 * string chunk by chunk and splitting it again was quadratic), and a line over MAX_ROW_CHARS stops being kept at all:
 * its remaining characters are only counted, so memory stays bounded however long it is.
 */
function createJsonLinesParser(): RowParser {
  let pieces: string[] = []
  let length = 0
  let oversized = false
  let line = 0
  /** Whether any line held more than white space: a file without one is refused as empty. */
  let anyLine = false
  const pending = new Map<number, EncodingProblem>()
  /** What the first line holds, to refuse a file that is not text once, rather than each of its "lines". */
  const firstLine: FirstLine = { done: false, chars: 0, replaced: 0, controls: 0 }
  /** Whether the first line reads as a JSON object, bytes that are not UTF-8 aside (a Latin-1 "é" in a string). */
  let firstUsable = false
  /** Whether the first line is not text (`notText`); one that is no JSON object at all counts as unusable. */
  const firstNotText = () => notText(firstLine, !firstUsable)

  const take = (text: string): ParsedRow | null => {
    line++
    const problem = pending.get(line)
    if (problem) {
      pending.delete(line)
      return encodingError(line, problem)
    }
    if (oversized) return tooLong(line)
    const trimmed = text.trim()
    if (!trimmed) return null
    const parsed = parseJsonObject(trimmed, text.length - text.trimStart().length)
    if ('fields' in parsed) return { row: line, source: text, fields: parsed.fields }
    return { row: line, source: text, error: parsed.error }
  }

  const append = (piece: string) => {
    if (oversized) return
    length += piece.length
    if (length > MAX_ROW_CHARS) {
      oversized = true
      pieces = []
    } else if (piece) pieces.push(piece)
  }

  const endLine = (): ParsedRow | null => {
    const text = pieces.join('')
    if (line === 0) firstUsable = 'fields' in parseJsonObject(text.trim(), 0)
    const row = take(text)
    if (row) anyLine = true
    pieces = []
    length = 0
    oversized = false
    return row
  }

  return {
    async write(text, problems) {
      for (const p of problems) pending.set(p.line, p)
      scanFirstLine(firstLine, text)
      const out: ParsedRow[] = []
      let from = 0
      for (let nl = text.indexOf('\n', from); nl !== -1; nl = text.indexOf('\n', from)) {
        append(text.slice(from, nl))
        const row = endLine()
        if (line === 1 && firstNotText()) return { rows: [], stop: notJsonLinesText() }
        if (row) out.push(row)
        from = nl + 1
      }
      append(text.slice(from))
      return { rows: out }
    },
    async end(problems) {
      for (const p of problems) pending.set(p.line, p)
      const row = length > 0 || oversized || pending.has(line + 1) ? endLine() : null
      if (line === 1 && firstNotText()) return { rows: [], stop: notJsonLinesText() }
      return anyLine ? { rows: row ? [row] : [] } : { rows: [], stop: emptyFile() }
    },
    header: null,
  }
}

/** Number of '\n' in `text`, not counting one at its very end (a record's own line break). */
function innerNewlines(text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < text.length - 1; i = text.indexOf('\n', i + 1)) n++
  return n
}

interface CsvSkipError extends Error {
  code?: string
  lines?: number
  raw?: string
}

/**
 * csv-parse's error codes (6.2) said in our words, so that its English never reaches an operator: `problem` is the
 * parameter the catalogue's messages (import.csvRow, import.badRecord, import.csvStopped, import.badCsv) select their
 * words by; `words` is the English the CLI prints. With relax_column_count the column-count codes do not skip a
 * record; a record with more fields than the header is refused by its 'data' handler with their words.
 */
const CSV_PROBLEMS: Record<string, { problem: string; words: string }> = {
  INVALID_OPENING_QUOTE: { problem: 'openingQuote', words: 'a quote in the middle of a field that does not start with one' },
  CSV_INVALID_CLOSING_QUOTE: { problem: 'afterClosingQuote', words: 'text right after a closing quote, where a comma or the end of the line belongs' },
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: { problem: 'afterClosingQuote', words: 'text right after a closing quote, where a comma or the end of the line belongs' },
  CSV_QUOTE_NOT_CLOSED: { problem: 'quoteNotClosed', words: 'a quote opens a field and the file ends before it is closed' },
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: { problem: 'fieldCount', words: 'more fields than the header has columns (a comma in a field nobody quoted?)' },
  CSV_RECORD_INCONSISTENT_COLUMNS: { problem: 'fieldCount', words: 'more fields than the header has columns (a comma in a field nobody quoted?)' },
}
const OTHER_PROBLEM = { problem: 'other', words: 'it does not follow the CSV quoting rules' }

/** The separator a header of one column uses instead of commas (`typeId;deviceId`), when it names the columns that way. */
function otherSeparator(header: string): string | null {
  for (const separator of [';', '\t', '|']) {
    const names = header.split(separator).map(canonicalHeader)
    if (names.includes('typeId') && names.includes('deviceId')) return separator === '\t' ? 'tab' : separator
  }
  return null
}

export function csvProblem(code: string | undefined): { problem: string; words: string } {
  return (code !== undefined ? CSV_PROBLEMS[code] : undefined) ?? OTHER_PROBLEM
}

/** What a CSV file's first line holds, counted as its text arrives (`scanFirstLine`). */
interface FirstLine {
  done: boolean
  chars: number
  replaced: number
  controls: number
}

function scanFirstLine(state: FirstLine, text: string): void {
  if (state.done) return
  const nl = text.indexOf('\n')
  const part = nl === -1 ? text : text.slice(0, nl)
  if (nl !== -1) state.done = true
  state.chars += part.length
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i)
    if (c === 0xfffd) state.replaced++
    else if ((c < 0x20 && c !== 0x09 && c !== 0x0d) || c === 0x7f) state.controls++
  }
}

/**
 * Whether a file's first line is not text: a control character (NUL included; tab and carriage return are text), or
 * more replacement characters (bytes that are not UTF-8) than one in four. Random bytes, a binary workbook, an image
 * or a compressed file are refused as not CSV, rather than by whatever csv-parse or the header check made of them.
 * `unusable`: the header cannot be used anyway (it misses columns, or csv-parse could not read it); then a single byte
 * that is not UTF-8 is enough. A header that names its columns but holds a Latin-1 byte ("désignation") keeps the
 * message that says where that byte is and that the file may be Latin-1.
 */
const notText = (state: FirstLine, unusable: boolean) => state.controls > 0 || (state.chars > 0 && state.replaced * 4 > state.chars) || (unusable && state.replaced > 0)

/** A JSON Lines line read as the object a row must be, or why it is not one; `lead`: the blanks the line began with. */
function parseJsonObject(trimmed: string, lead: number): { fields: Record<string, unknown> } | { error: RowError } {
  try {
    const value: unknown = JSON.parse(trimmed)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { fields: value as Record<string, unknown> }
    return { error: { message: 'This line is JSON but not an object: write each device as one JSON object', ref: { key: 'import.notJsonObject' } } }
  } catch (e) {
    return { error: jsonRefusal(e instanceof Error ? e.message : '', trimmed.length, lead) }
  }
}

/**
 * Why a line is not JSON, in Fieldline's words (the app shows them translated): JSON.parse's own message is V8's
 * English. Where V8 says where it stopped ("… in JSON at position 12 (line 1 column 13)"), the character is given; a
 * line that stops before its object closes says so.
 */
function jsonRefusal(v8: string, length: number, lead: number): RowError {
  const position = /at position (\d+)/.exec(v8)
  const at = position ? lead + Number(position[1]) + 1 : null
  if (/end of JSON input/i.test(v8) || (at !== null && at > lead + length)) {
    return { message: 'This line ends before its JSON object does (a closing quote or brace is missing)', ref: { key: 'import.jsonCutShort' } }
  }
  if (at !== null) {
    return { message: `This line is not valid JSON (from character ${at})`, ref: { key: 'import.badJsonAt', params: { at } } }
  }
  return { message: 'This line is not valid JSON', ref: { key: 'import.badJson' } }
}

function notJsonLinesText(): AppError {
  return AppError.withRef('VALIDATION', 'The file does not look like JSON Lines text: its first line holds control characters or bytes that are not UTF-8; nothing was imported', {
    key: 'import.notJsonLinesText',
  })
}

function notCsvText(): AppError {
  return AppError.withRef('VALIDATION', 'The file does not look like CSV text: its first line holds control characters or bytes that are not UTF-8; nothing was imported', { key: 'import.notCsvText' })
}

/** Errors after which csv-parse 6, skipping bad records, stops advancing: every later write repeats the error. */
const WEDGING = new Set(['CSV_MAX_RECORD_SIZE', 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE'])

/**
 * csv-parse (streaming) does the quoting rules; rows that break them are reported and skipped rather than ending
 * the import, so one stray quote on row 40,000 does not cost the other 99,999 rows. csv-parse reports every rule a
 * malformed record breaks (a stray quote, then the unclosed quote it causes): the record is counted once, by the
 * line it starts on, and the lines it swallowed are named with it. Two errors leave csv-parse unable to read any
 * further (WEDGING: a record longer than MAX_ROW_CHARS, a character after a closing quote): they end the import at
 * that line rather than lose the rest of the file without a word.
 */
function createCsvParser(): RowParser {
  const pending: ParsedRow[] = []
  let failure: Error | null = null
  /** Encoding problems not yet matched to a record, in line order, from `head` on. */
  let problems: EncodingProblem[] = []
  let head = 0
  let seenRecord = false
  /** The malformed record being skipped: reported once its last line is known. */
  let skipped: { start: number; last: number; /** csv-parse's error code. */ detail: string | undefined } | null = null
  let header: string[] | null = null
  /** What the first line holds, to tell a file that is not text from a CSV file with a bad header. */
  const firstLine: FirstLine = { done: false, chars: 0, replaced: 0, controls: 0 }
  /** The file is a refused-rows export (refused-rows-csv.ts): its cells were defused for spreadsheets, and read back as they were. */
  let refusedRows = false

  /** The problems of lines before `line`, removed from the list. */
  const problemsBefore = (line: number): EncodingProblem[] => {
    const from = head
    while (head < problems.length && problems[head]!.line < line) head++
    const taken = problems.slice(from, head)
    if (head === problems.length) {
      problems = []
      head = 0
    }
    return taken
  }

  const reportSkipped = (end: number) => {
    if (!skipped) return
    const { start, detail } = skipped
    const last = Math.max(skipped.last, end)
    skipped = null
    // No source: csv-parse hands over a refused record's text only up to where it stopped reading it.
    const { problem, words } = csvProblem(detail)
    pending.push(
      last > start
        ? { row: start, error: { message: `Unreadable CSV record, lines ${start}–${last}: ${words}`, ref: { key: 'import.badRecord', params: { first: start, last, problem } } } }
        : { row: start, error: { message: `Unreadable CSV row: ${words}`, ref: { key: 'import.csvRow', params: { problem } } } },
    )
  }

  /** Problems above the first record are in the header: the columns cannot be trusted, so the import stops. */
  const recordStarts = (start: number) => {
    reportSkipped(start - 1)
    const earlier = problemsBefore(start)
    if (!seenRecord && earlier.length > 0 && !failure) {
      const { message, ref } = describeEncodingProblem(earlier[0]!)
      // A header that names its columns but is not UTF-8 (Latin-1?) is told where; one that is not text at all, that it is not CSV.
      failure = notText(firstLine, false) ? notCsvText() : AppError.withRef('VALIDATION', `The CSV header cannot be read: ${message}`, ref)
    }
    seenRecord = true
  }

  const parser: Parser = parse({
    bom: true,
    columns: (names: string[]) => {
      header = names
      const columns = names.map(canonicalHeader)
      refusedRows = columns.includes(REFUSAL_COLUMN)
      const missing = ['typeId', 'deviceId'].filter((f) => !columns.includes(f))
      const forbidden = columns.find((c) => FORBIDDEN_KEYS.has(c))
      if (notText(firstLine, missing.length > 0)) {
        failure = notCsvText()
      } else if (missing.length > 0 && names.length === 1 && otherSeparator(names[0]!) !== null) {
        // A spreadsheet set to a French (or other European) locale saves "CSV" with semicolons: say so, not "missing".
        const separator = otherSeparator(names[0]!)!
        failure = AppError.withRef(
          'VALIDATION',
          `The CSV header separates its columns with ${separator === 'tab' ? 'tab characters' : `"${separator}"`}, not commas: save the file as CSV with commas`,
          {
            key: 'import.otherSeparator',
            params: { separator },
          },
        )
      } else if (missing.length > 0) {
        failure = AppError.withRef('VALIDATION', `The CSV header must name the columns typeId and deviceId (missing: ${missing.join(', ')})`, {
          key: 'import.badHeader',
          params: { missing: missing.join(', ') },
        })
      } else if (forbidden !== undefined) {
        failure = AppError.withRef('VALIDATION', `The CSV header names the column "${forbidden}", which is not allowed`, { key: 'import.forbiddenColumn', params: { column: forbidden } })
      }
      return columns
    },
    skip_empty_lines: true,
    trim: true,
    relax_column_count: true,
    skip_records_with_error: true,
    max_record_size: MAX_ROW_CHARS,
    info: true,
    raw: true,
  })
  parser.on('data', (rec: { record: Record<string, string>; raw: string; info: { lines: number; error?: { code?: string; record?: unknown[] } } }) => {
    // After a failure (a header that cannot be read, a wedge) no later row is taken: the import stops there.
    if (failure) return
    const start = rec.info.lines - innerNewlines(rec.raw)
    recordStarts(start)
    if (failure) return
    const own = problemsBefore(rec.info.lines + 1)
    // A row with more fields than the header has columns (a comma in a field nobody quoted: "Main St, north side")
    // would be read with its cells shifted and the last ones dropped. It is refused; a short row, or one that only
    // ends in empty fields, is read as it is.
    const fieldsPast = rec.info.error?.code === 'CSV_RECORD_INCONSISTENT_COLUMNS' ? (rec.info.error.record ?? []).slice(header?.length ?? 0) : []
    if (own.length === 0 && fieldsPast.some((f) => String(f).trim() !== '')) {
      const { problem, words } = csvProblem('CSV_RECORD_INCONSISTENT_COLUMNS')
      pending.push({ row: start, source: rec.raw, error: { message: `Unreadable CSV row: ${words}`, ref: { key: 'import.csvRow', params: { problem } } } })
      return
    }
    // A row that is not text in the file's encoding carries no source: its replacement characters, imported again from
    // the export, would be taken for what the file meant.
    // Cells a Fieldline export kept from running as formulas read back as they were (in place: a million rows).
    const fields = rec.record
    for (const k in fields) if (fields[k]!.charCodeAt(0) === 0x27) fields[k] = refusedRows ? undefusedCell(fields[k]!) : formulaUnsafe(fields[k]!)
    pending.push(own.length > 0 ? encodingError(start, own[0]!) : { row: start, source: rec.raw, fields })
  })
  parser.on('skip', (err: CsvSkipError) => {
    const lines = err.lines ?? 0
    if (failure) return
    // The line the record starts on: csv-parse counts the line it has reached, which for an unclosed quote is a
    // megabyte further on.
    const start = lines - innerNewlines(err.raw ?? '')
    if (err.code !== undefined && WEDGING.has(err.code)) {
      reportSkipped(start - 1)
      if (!seenRecord && notText(firstLine, header === null)) {
        failure = notCsvText()
        return
      }
      const { problem, words } = csvProblem(err.code)
      failure =
        err.code === 'CSV_MAX_RECORD_SIZE'
          ? AppError.withRef('VALIDATION', `Line ${start}: a CSV record is longer than ${MAX_ROW_CHARS} characters (an unclosed quote?); the import stops there`, {
              key: 'import.recordTooLong',
              params: { line: start, max: MAX_ROW_CHARS },
            })
          : AppError.withRef('VALIDATION', `Line ${start}: ${words}; the rest of the file cannot be read as CSV, so the import stops there`, {
              key: 'import.csvStopped',
              params: { line: start, problem },
            })
      return
    }
    if (skipped?.start === start) {
      skipped.last = lines
      return
    }
    if (header === null && notText(firstLine, true)) {
      failure = notCsvText()
      return
    }
    recordStarts(start)
    problemsBefore(lines + 1)
    skipped = { start, last: lines, detail: err.code }
  })
  parser.on('error', (err: CsvSkipError) => {
    const { problem, words } = csvProblem(err.code)
    const e = AppError.withRef('VALIDATION', `The CSV file cannot be read: ${words}`, { key: 'import.badCsv', params: { problem } })
    failure = header === null && notText(firstLine, true) ? notCsvText() : e
  })
  const drain = (): ParsedChunk => {
    const rows = pending.splice(0, pending.length)
    return failure ? { rows, stop: failure } : { rows }
  }
  // The write callback runs once csv-parse has consumed the chunk; one more turn lets queued records out.
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve))
  return {
    async write(text, found) {
      problems.push(...found)
      scanFirstLine(firstLine, text)
      await new Promise<void>((resolve) => parser.write(text, () => resolve()))
      await settle()
      return drain()
    },
    async end(found) {
      problems.push(...found)
      await new Promise<void>((resolve) => parser.end(() => resolve()))
      await settle()
      reportSkipped(parser.info.lines)
      const anyRow = seenRecord
      // Left over: lines csv-parse read as part of a record it had already refused, or a file of header only.
      recordStarts(Number.MAX_SAFE_INTEGER)
      // An empty file has no header; a header without rows is refused too, so that a script tells a truncated export
      // (a spreadsheet that saved its header only) from an import that added nothing because its devices were there already.
      if (!failure && header === null && !anyRow) failure = emptyFile()
      else if (!failure && !anyRow) {
        failure = AppError.withRef('VALIDATION', 'The CSV file has a header but no rows after it (a truncated export?); nothing was imported', { key: 'import.noRows' })
      }
      return drain()
    },
    get header() {
      return header
    },
  }
}
