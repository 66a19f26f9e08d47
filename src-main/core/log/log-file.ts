import { closeSync, fchmodSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs'
import { countOf } from '../../../src-shared/models/count-text'
import { PRIVATE_FILE_MODE } from '../common/private-fs'

export interface LogFileOptions {
  /** Size at which the file is rotated (default 10 MiB). */
  maxBytes?: number
  /** Rotated files kept: fieldline.log.1 (newest) … fieldline.log.N (default 3). */
  keep?: number
  /** Told once when writing starts failing and once when it works again; stderr by default. */
  onTrouble?: (message: string) => void
  now?: () => number
}

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024
const DEFAULT_KEEP = 3
/** While the file cannot be written, it is tried again at most this often, not on every line. */
const RETRY_MS = 1000

/** Where the log file's trouble goes unless told otherwise: the process's stderr, as the CLI's other lines. */
export function troubleToStderr(message: string): void {
  try {
    process.stderr.write(`fieldline: ${message}\n`)
  } catch {
    // A closed stderr leaves nowhere to say it; the log must still never take the process down.
  }
}

function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e)
}

/**
 * The log's destination: synchronous appends (a crash keeps the last lines), rotated by size so a flood cannot fill
 * the disk, and never throwing. A full disk or a read-only data folder must not take down the process whose job is
 * to report exactly that: lines that cannot be written are counted, said once on stderr, and the count is written
 * to the log when it works again.
 */
export class LogFile {
  readonly path: string
  readonly #maxBytes: number
  readonly #keep: number
  readonly #onTrouble: (message: string) => void
  readonly #now: () => number
  #fd: number | null = null
  #size = 0
  /** The error code of the failure in progress, or null while lines are being written. */
  #failure: string | null = null
  #dropped = 0
  #retryAt = 0

  constructor(path: string, options: LogFileOptions = {}) {
    this.path = path
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
    this.#keep = options.keep ?? DEFAULT_KEEP
    this.#onTrouble = options.onTrouble ?? troubleToStderr
    this.#now = options.now ?? Date.now
    try {
      this.#open()
    } catch (e) {
      this.#failed(e, false)
    }
  }

  /** pino's stream interface. Always reports success: a log line is never worth an exception. */
  write(line: string): boolean {
    if (this.#failure !== null && this.#now() < this.#retryAt) {
      this.#dropped++
      return true
    }
    try {
      if (this.#fd === null) this.#open()
      if (this.#failure !== null) this.#append(this.#writableAgainNote())
      this.#append(line)
      this.#recovered()
    } catch (e) {
      this.#failed(e, true)
    }
    return true
  }

  close(): void {
    if (this.#fd === null) return
    try {
      closeSync(this.#fd)
    } catch {
      // Nothing left to lose: every line was written synchronously.
    }
    this.#fd = null
  }

  #open(): void {
    const fd = openSync(this.path, 'a', PRIVATE_FILE_MODE)
    try {
      // A file an earlier version created readable by others is tightened.
      fchmodSync(fd, PRIVATE_FILE_MODE)
    } catch {
      // Not ours to change (another account's file): writing it is still allowed by its mode.
    }
    this.#fd = fd
    this.#size = fstatSync(fd).size
  }

  #append(line: string): void {
    const data = Buffer.from(line)
    if (this.#size > 0 && this.#size + data.length > this.#maxBytes) this.#rotate()
    let written = 0
    while (written < data.length) written += writeSync(this.#fd as number, data, written)
    this.#size += data.length
  }

  /** fieldline.log → .1 → .2 …; the oldest falls off. The new file starts empty. */
  #rotate(): void {
    this.close()
    for (let i = this.#keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`)
      } catch {
        // A gap in the numbering (first rotations) is expected.
      }
    }
    renameSync(this.path, `${this.path}.1`)
    this.#open()
  }

  /**
   * The log's own line, once per episode, that it can be written again (the data folder writable again after being
   * read-only, or the disk no longer full): someone reading the file alone sees where the gap is and how many lines fell
   * into it, whether or not the trouble was said on stderr (the core drops it for a workspace opened read-only).
   */
  #writableAgainNote(): string {
    const lost = `${countOf(this.#dropped, 'line')} ${this.#dropped === 1 ? 'was' : 'were'} lost`
    return `${JSON.stringify({ level: 40, time: this.#now(), pid: process.pid, dropped: this.#dropped, reason: this.#failure, msg: `the log file is writable again (${lost} while it could not be written)` })}\n`
  }

  #failed(e: unknown, lostLine: boolean): void {
    if (lostLine) this.#dropped++
    this.#retryAt = this.#now() + RETRY_MS
    if (this.#failure !== null) return
    this.#failure = errorCode(e)
    this.#onTrouble(`cannot write the log file ${this.path} (${this.#failure}); log lines are lost until it can be written again`)
  }

  #recovered(): void {
    if (this.#failure === null) return
    this.#onTrouble(`the log file ${this.path} can be written again (${countOf(this.#dropped, 'line')} ${this.#dropped === 1 ? 'was' : 'were'} lost)`)
    this.#failure = null
    this.#dropped = 0
  }
}
