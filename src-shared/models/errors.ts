/** Errors and diagnostics as they cross the bridge; every other model builds on these. */
import { z } from 'zod'
import { inputIssueSchema } from './input-issues'

/** Closed set of error codes; the renderer maps each to translated text. */
export const ERROR_CODES = [
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'AUTH_FAILED',
  'RATE_LIMITED',
  'NETWORK',
  'TLS',
  'TIMEOUT',
  'UNKNOWN_OUTCOME',
  /** The operator cancelled the request before it was answered (a read only: nothing was changed). */
  'CANCELLED',
  'VAULT_UNAVAILABLE',
  'CARRIER',
  'LEDGER',
  'TOO_LARGE',
  /** The disk holding the data folder is full: the write was refused, and what was acknowledged before is kept. */
  'DISK_FULL',
  'UNKNOWN_CHANNEL',
  'FORBIDDEN',
  'INTERNAL',
] as const
export const errorCodeSchema = z.enum(ERROR_CODES)
export type ErrorCode = z.infer<typeof errorCodeSchema>

/** Translatable message: `key` names a string in the renderer's catalogue, `params` fill it in. */
export const messageRefSchema = z.object({
  key: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
})
export type MessageRef = z.infer<typeof messageRefSchema>

export const diagnosticSchema = z.object({
  severity: z.enum(['error', 'warning']),
  /** English text, for the CLI and logs. */
  message: z.string(),
  /** Translatable form of the same message, for the UI. */
  ref: messageRefSchema,
  /** JSON pointer of the offending value ('' for the document itself). */
  pointer: z.string(),
  /** 1-based line and column of the start of the offending text. */
  line: z.number().int().min(1),
  column: z.number().int().min(1),
  endLine: z.number().int().min(1),
  endColumn: z.number().int().min(1),
})
export type Diagnostic = z.infer<typeof diagnosticSchema>

export const errorInfoSchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  details: z
    .object({
      ref: messageRefSchema.optional(),
      diagnostics: z.array(diagnosticSchema).optional(),
      issues: z.array(inputIssueSchema).optional(),
      carrierCode: z.string().optional(),
      carrierMessage: z.string().optional(),
      /**
       * Fieldline tries again by itself (the reason of a degraded mbed bridge, which shows when): the operator's text
       * says what happened, never to try again (the renderer's `errors.whileRetrying` sentences).
       */
      retrying: z.boolean().optional(),
    })
    .optional(),
})
export type ErrorInfo = z.infer<typeof errorInfoSchema>
