import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { pino, type Logger as PinoLogger } from 'pino'

export type Logger = Pick<PinoLogger, 'info' | 'warn' | 'error' | 'debug'> & { flush?: () => void }

/**
 * Fields that may carry a secret are censored wherever they appear in a log record, as a second line of
 * defence: code should never hand a secret to the logger in the first place.
 */
export const REDACT_PATHS = [
  'value',
  'password',
  'apiKey',
  'licenseKey',
  'accessKey',
  'token',
  'authorization',
  '*.value',
  '*.password',
  '*.apiKey',
  '*.licenseKey',
  '*.accessKey',
  '*.token',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'input.value',
]

/** Structured logs in the data directory, written synchronously so a crash does not lose the last lines. */
export function createLogger(dataDir: string, level = process.env.FIELDLINE_LOG_LEVEL ?? 'info'): Logger {
  const dir = join(dataDir, 'logs')
  mkdirSync(dir, { recursive: true })
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    pino.destination({ dest: join(dir, 'fieldline.log'), sync: true, mkdir: true }),
  )
}
