import { parse, type Parser } from 'csv-parse'
import type { MessageRef } from '../../../src-shared/contract'
import { AppError } from '../common/errors'
import { canonicalHeader } from './import-rows'

export type ImportFormat = 'csv' | 'jsonl'

export type ParsedRow = { row: number; fields: Record<string, unknown> } | { row: number; error: { message: string; ref: MessageRef } }

/** Incremental parser: text arrives in chunks of any size; rows come out as soon as they are complete. */
export interface RowParser {
  write(text: string): Promise<ParsedRow[]>
  end(): Promise<ParsedRow[]>
}

export function formatFor(fileName: string): ImportFormat {
  return /\.csv$/i.test(fileName) ? 'csv' : 'jsonl'
}

export function createParser(format: ImportFormat): RowParser {
  return format === 'csv' ? createCsvParser() : createJsonLinesParser()
}

function createJsonLinesParser(): RowParser {
  let rest = ''
  let line = 0
  const take = (text: string): ParsedRow[] => {
    const out: ParsedRow[] = []
    line++
    const trimmed = text.trim()
    if (!trimmed) return out
    try {
      const value: unknown = JSON.parse(trimmed)
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        out.push({ row: line, error: { message: 'Each line must be a JSON object', ref: { key: 'import.badJson', params: { detail: 'not an object' } } } })
      } else {
        out.push({ row: line, fields: value as Record<string, unknown> })
      }
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e)
      out.push({ row: line, error: { message: `Invalid JSON: ${detail}`, ref: { key: 'import.badJson', params: { detail } } } })
    }
    return out
  }
  return {
    async write(text) {
      const parts = (rest + text).split('\n')
      rest = parts.pop() ?? ''
      return parts.flatMap(take)
    },
    async end() {
      const last = rest
      rest = ''
      return last ? take(last) : []
    },
  }
}

/**
 * csv-parse (streaming) does the quoting rules; rows that break them are reported and skipped rather than
 * ending the import, so one stray quote on row 40,000 does not cost the other 99,999 rows.
 */
function createCsvParser(): RowParser {
  const pending: ParsedRow[] = []
  let failure: Error | null = null
  const parser: Parser = parse({
    bom: true,
    columns: (header: string[]) => {
      const columns = header.map(canonicalHeader)
      const missing = ['typeId', 'deviceId'].filter((f) => !columns.includes(f))
      if (missing.length > 0) {
        failure = AppError.withRef('VALIDATION', `The CSV header must name the columns typeId and deviceId (missing: ${missing.join(', ')})`, { key: 'import.badHeader', params: { missing: missing.join(', ') } })
      }
      return columns
    },
    skip_empty_lines: true,
    trim: true,
    relax_column_count: true,
    skip_records_with_error: true,
    info: true,
  })
  parser.on('data', (rec: { record: Record<string, string>; info: { lines: number } }) => {
    pending.push({ row: rec.info.lines, fields: rec.record })
  })
  parser.on('skip', (err: Error & { lines?: number }) => {
    pending.push({ row: err.lines ?? 0, error: { message: `Unreadable CSV row: ${err.message}`, ref: { key: 'import.badRow', params: { detail: err.message } } } })
  })
  parser.on('error', (err: Error) => {
    failure = AppError.withRef('VALIDATION', `The CSV file cannot be read: ${err.message}`, { key: 'import.badCsv', params: { detail: err.message } })
  })
  const drain = (): ParsedRow[] => {
    if (failure) throw failure
    return pending.splice(0, pending.length)
  }
  // The write callback runs once csv-parse has consumed the chunk; one more turn lets queued records out.
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve))
  return {
    async write(text) {
      await new Promise<void>((resolve) => parser.write(text, () => resolve()))
      await settle()
      return drain()
    },
    async end() {
      await new Promise<void>((resolve) => parser.end(() => resolve()))
      await settle()
      return drain()
    },
  }
}
