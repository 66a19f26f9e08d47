import type { ErrorInfo, ErrorCode, MessageRef } from '../../../src-shared/contract'
import { redactUrlsDeep, redactUrlsIn } from './redact-url'

type Details = NonNullable<ErrorInfo['details']>

/**
 * The one error type the core throws on purpose. The dispatcher turns it into the Result envelope; anything
 * else that escapes a handler is reported as INTERNAL without its message (it may hold paths or secrets).
 * Message and details are redacted here, once for every error: a URL quoted in either never shows its
 * credentials, whichever module quoted it.
 */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly details: Details | undefined

  constructor(code: ErrorCode, message: string, details?: Details) {
    super(redactUrlsIn(message))
    this.name = 'AppError'
    this.code = code
    this.details = details ? (redactUrlsDeep(details) as Details) : undefined
  }

  /** An error whose text the UI can translate: `ref.key` names the string, `ref.params` fill it. */
  static withRef(code: ErrorCode, message: string, ref: MessageRef, extra?: Omit<Details, 'ref'>): AppError {
    return new AppError(code, message, { ...extra, ref })
  }

  toInfo(): ErrorInfo {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message }
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError
}

/** Any failure as it crosses the IPC transport: an AppError as it is, anything else as INTERNAL without its text (it may hold paths or secrets). */
export function toErrorInfo(e: unknown): ErrorInfo {
  return isAppError(e) ? e.toInfo() : { code: 'INTERNAL', message: 'Unexpected failure' }
}
