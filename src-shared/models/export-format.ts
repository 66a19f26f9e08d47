/**
 * The formats a list export (devices, SIMs) is written in, and the file names that go with them: the app names its
 * download from the format chosen, the CLI takes the format from the file name it is given. One table, so that a
 * file the one writes is a file the other would write the same way.
 */
import { EXPORT_FORMATS } from './device-query'

export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** Each format's file name extensions, the one Fieldline gives its own files first. */
export const EXPORT_EXTENSIONS: Readonly<Record<ExportFormat, readonly string[]>> = { csv: ['.csv'], jsonl: ['.jsonl', '.ndjson'] }

/** What a download of each format is served as. */
export const EXPORT_MEDIA_TYPES: Readonly<Record<ExportFormat, string>> = { csv: 'text/csv;charset=utf-8', jsonl: 'application/x-ndjson;charset=utf-8' }

/**
 * UTF-8's byte-order mark, which a CSV export starts with: without it Excel reads a CSV file in the system's ANSI code
 * page, and "Poste électrique" opens as "Poste Ã©lectrique". Fieldline's own import drops it (as csv-parse, pandas and
 * LibreOffice do); a script that does not can ask the CLI for a file without it (`--no-bom`). JSON Lines has none.
 */
export const CSV_BOM = '\uFEFF'

/** What an export file starts with, before its first row: the byte-order mark of a CSV file, unless left out. */
export const exportFileStart = (format: ExportFormat, bom = true): string => (format === 'csv' && bom ? CSV_BOM : '')

/** The name a download gets: `devices-20261205-0130` and csv give devices-20261205-0130.csv. */
export const exportFileName = (base: string, format: ExportFormat): string => `${base}${EXPORT_EXTENSIONS[format][0]!}`

/** The extension of a path's last part, lower case (`.csv`), or '' for none (`out`, `.hidden`). */
export function extensionOf(path: string): string {
  const name = path.split(/[\\/]/).pop() ?? ''
  const dot = name.lastIndexOf('.')
  return dot > 0 ? name.slice(dot).toLowerCase() : ''
}

export type ExportFormatChoice =
  | { ok: true; format: ExportFormat }
  /** An extension of no format Fieldline writes (.xlsx, .json): its content would not be what the name says. */
  | { ok: false; problem: 'extension'; extension: string }
  /** A format given that the file name contradicts (`--format csv` for out.jsonl). */
  | { ok: false; problem: 'contradiction'; extension: string; format: ExportFormat; given: ExportFormat }

/**
 * The format of an export to `path`: by its extension; by `given` (else CSV) for a name without one. An extension of
 * another format, or one `given` contradicts, is refused rather than written into a file whose name says otherwise.
 */
export function exportFormatFor(path: string, given?: ExportFormat): ExportFormatChoice {
  const extension = extensionOf(path)
  if (extension === '') return { ok: true, format: given ?? 'csv' }
  const format = EXPORT_FORMATS.find((f) => EXPORT_EXTENSIONS[f].includes(extension))
  if (format === undefined) return { ok: false, problem: 'extension', extension }
  if (given !== undefined && given !== format) return { ok: false, problem: 'contradiction', extension, format, given }
  return { ok: true, format }
}
