import { join } from 'node:path'
import { pino, type Logger as PinoLogger } from 'pino'
import { ensurePrivateDir } from '../common/private-fs'
import { LogFile, troubleToStderr } from './log-file'

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

/**
 * Structured logs in `<dataDir>/logs/fieldline.log`, written synchronously so a crash does not lose the last lines,
 * rotated by size, private to the operator (0700 folder, 0600 files). Creating the logger never fails and logging
 * never throws: a read-only data folder or a full disk loses log lines (said once on stderr), not the process.
 */
export function createLogger(dataDir: string, level = process.env.FIELDLINE_LOG_LEVEL ?? 'info', onTrouble?: (message: string) => void): Logger {
  const dir = join(dataDir, 'logs')
  try {
    ensurePrivateDir(dir)
  } catch {
    // The file's own open reports the folder's problem, once, and keeps trying.
  }
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } }, new LogFile(join(dir, 'fieldline.log'), onTrouble ? { onTrouble } : {}))
}

/**
 * The log file's trouble held back until `release`, then said (on stderr) or dropped, and said at once after that. The
 * log is in the data folder: while the workspace opens, whether its trouble is news is not known yet.
 */
export function heldLogTrouble(): { onTrouble: (message: string) => void; release: (say: boolean) => void } {
  let held: string[] | null = []
  return {
    onTrouble: (message) => (held ? held.push(message) : troubleToStderr(message)),
    release: (say) => {
      if (say) for (const message of held ?? []) troubleToStderr(message)
      held = null
    },
  }
}
