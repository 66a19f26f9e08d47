import type { Diagnostic, MessageRef } from '../../../src-shared/contract'
import type { LineMap } from './line-map'

/** A diagnostic for the text at [offset, offset + length); a zero-length span still covers one character. */
export function makeDiagnostic(lines: LineMap, severity: Diagnostic['severity'], message: string, ref: MessageRef, pointer: string, offset: number, length: number): Diagnostic {
  const start = lines.position(offset)
  const end = lines.position(offset + Math.max(length, 1))
  return { severity, message, ref, pointer, line: start.line, column: start.column, endLine: end.line, endColumn: end.column }
}

/** Document order, errors before warnings at the same place; stable otherwise. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return list.sort((a, b) => a.line - b.line || a.column - b.column || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1))
}

/**
 * Keeps at most `max` diagnostics of a sorted list — errors first, so that a document whose only error follows a
 * thousand warnings still shows why it was refused — in document order, and, when some were dropped, appends one
 * that says how many (with the severity of the worst dropped one). `unlisted` counts errors a caller chose not
 * to build at all. Hostile input can produce one diagnostic per character; nobody reads the ten-thousandth, and
 * the UI must stay responsive.
 */
export function capDiagnostics(list: Diagnostic[], max: number, unlisted: { errors: number; warnings: number }, more: (count: number, severity: Diagnostic['severity']) => Diagnostic): Diagnostic[] {
  if (list.length <= max && unlisted.errors + unlisted.warnings === 0) return list
  const errors = list.filter((d) => d.severity === 'error')
  const kept = new Set(errors.length >= max ? errors.slice(0, max) : [...errors, ...list.filter((d) => d.severity !== 'error').slice(0, max - errors.length)])
  const droppedErrors = errors.length - Math.min(errors.length, max) + unlisted.errors
  const count = list.length - kept.size + unlisted.errors + unlisted.warnings
  return [...list.filter((d) => kept.has(d)), more(count, droppedErrors > 0 ? 'error' : 'warning')]
}
