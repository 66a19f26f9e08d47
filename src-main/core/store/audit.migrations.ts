import { ERROR_CODES, type ErrorCode } from '../../../src-shared/contract'
import type { BaseDoc } from './documents'

/**
 * Audit schema 1 kept a failure as free text, "CODE: English message" (or "CODE English message"), which the Activity
 * page could only show as it was; schema 2 keeps it as an ErrorInfo the page translates. Only text of that shape with a
 * known code moves; any other detail stays as it was written.
 */
export function auditFailureAsError(doc: BaseDoc): BaseDoc {
  const { detail, ...rest } = doc as BaseDoc & { detail?: unknown }
  const match = typeof detail === 'string' ? /^([A-Z_]+):? ([\s\S]*)$/.exec(detail) : null
  if (!match || !ERROR_CODES.includes(match[1] as ErrorCode)) return doc
  return { ...rest, error: { code: match[1], message: match[2] } } as BaseDoc
}
