import { rmSync } from 'node:fs'
import { chmod, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { EXPORT_FORMATS } from '../../src-shared/models/device-query'
import { EXPORT_EXTENSIONS, exportFormatFor, type ExportFormat } from '../../src-shared/models/export-format'
import { cannotWrite } from './file-problems'
import { LINE_EVERY_MS, type ProgressOutput } from './open-progress'
import { countOf, countText } from '../../src-shared/models/count-text'
import { CliError, EXIT } from './runtime'
import { onFirstStopSignal, signalExit, type StopSignal } from './stop-signals'

const FORMAT_NAMES: Readonly<Record<ExportFormat, string>> = { csv: 'CSV', jsonl: 'JSON Lines' }

/** What an export can be, as its refusals say it: CSV (.csv) or JSON Lines (.jsonl, .ndjson). */
const WRITABLE = EXPORT_FORMATS.map((f) => `${FORMAT_NAMES[f]} (${EXPORT_EXTENSIONS[f].join(', ')})`).join(' or ')

/**
 * The format `devices export` and `sims export` write FILE in: its extension's, or `--format`'s for a name without one
 * (CSV by default). Cold trial: `devices export out.xlsx` wrote CSV into a file Excel then refused to open.
 */
export function exportFormatOf(file: string, given: string | undefined): ExportFormat {
  if (given !== undefined && !(EXPORT_FORMATS as readonly string[]).includes(given)) throw new CliError('fieldline: --format must be csv or jsonl', EXIT.usage)
  const choice = exportFormatFor(file, given as ExportFormat | undefined)
  if (choice.ok) return choice.format
  if (choice.problem === 'extension') {
    throw new CliError(`fieldline: cannot write ${file}: an export is ${WRITABLE}, not ${choice.extension}; give the file one of those extensions (a spreadsheet opens .csv)`, EXIT.usage)
  }
  throw new CliError(
    `fieldline: --format ${choice.given} contradicts ${file}, a ${FORMAT_NAMES[choice.format]} file by its name: leave out --format, or name the file ${EXPORT_EXTENSIONS[choice.given][0]!}`,
    EXIT.usage,
  )
}

/** Runs `fn` every `ms` until the returned function is called; never keeps the process alive by itself. */
export type Every = (ms: number, fn: () => void) => () => void
const every: Every = (ms, fn) => {
  const timer = setInterval(fn, ms)
  timer.unref()
  return () => clearInterval(timer)
}

/** A progress report: called with how far the work has got; `stop` ends it without a last line (the work failed). */
export type ProgressReport<A extends unknown[]> = ((...args: [...A, done: boolean]) => void) & { stop: () => void }

/**
 * Progress of long work on stderr: a line rewritten in place on a terminal; otherwise (a log, a pipe, a service's
 * journal) the first line at once, then the latest every few seconds with the seconds since the start, and the last one.
 * The work reports only between its calls to the core, which can take longer than that: a timer, not the next report,
 * writes the lines in between (cold trial: a log said nothing for 9 s of `devices import`, then "25% read"), and only
 * the timer: a line a report wrote made the timer's next one wait, up to 10 s.
 */
export function progressLine(out: ProgressOutput, now: () => number = Date.now, timer: Every = every): ProgressReport<[text: string]> {
  const startedAt = now()
  let latest: string | null = null
  const show = () => {
    if (latest !== null) out.write(`${latest} (${Math.round((now() - startedAt) / 1000)} s)\n`)
  }
  const stop = out.isTTY ? () => undefined : timer(LINE_EVERY_MS, show)
  const report = (text: string, done: boolean) => {
    const first = latest === null
    latest = text
    if (out.isTTY) out.write(`\r${text}${done ? '\n' : ''}`)
    else if (first || done) show()
    if (done) stop()
  }
  return Object.assign(report, { stop })
}

/** How far an export has got (a million devices take a while to write). */
export function exportProgress(out: ProgressOutput, file: string, total: number, now: () => number = Date.now, timer: Every = every): ProgressReport<[rows: number]> {
  const line = progressLine(out, now, timer)
  const report = (rows: number, done: boolean) => {
    const percent = total > 0 ? Math.min(100, Math.floor((rows / total) * 100)) : 100
    line(`fieldline: exporting to ${file}: ${countText(rows)} of ${countOf(Math.max(total, rows), 'device')} (${percent}%)`, done)
  }
  return Object.assign(report, { stop: line.stop })
}

/**
 * How far an import has got, by the bytes sent: 100 % only once the import has finished, since the core reads the
 * file's last row at the end (a line said "100% read (99,999 rows)" just before "100,000 rows").
 */
export function importProgress(out: ProgressOutput, file: string, size: number, now: () => number = Date.now, timer: Every = every): ProgressReport<[sent: number, rows: number]> {
  const line = progressLine(out, now, timer)
  const report = (sent: number, rows: number, done: boolean) => {
    const percent = done ? 100 : Math.min(99, Math.floor((sent / Math.max(size, 1)) * 100))
    line(`fieldline: importing ${file}: ${percent}% read (${countOf(rows, 'row')})`, done)
  }
  return Object.assign(report, { stop: line.stop })
}

/**
 * A name of a device or of one of the process's streams (/dev/stdout, /proc/self/fd/1): written as it comes, never
 * replaced, and an export's summary then goes to stderr, so that it does not end up among the rows.
 */
export const isDeviceName = (file: string): boolean => /^\/(dev|proc)\//.test(resolve(file))

/** What an export writes its text to: a file, or this process's standard output. */
export interface ExportOut {
  write(text: string): Promise<unknown>
}

/**
 * This process's standard output by its names, written through process.stdout rather than opened by name: opened so, a
 * socket (what Node's spawn or systemd's journal give a process) answers ENXIO.
 */
const STDOUT_NAMES = new Set(['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1'])
const standardOutput = {
  write: (text: string) => new Promise<void>((done, fail) => process.stdout.write(text, (e) => (e ? fail(e) : done()))),
  close: async () => undefined,
}

/** The temporary file an export to `target` by process `pid` writes before renaming it over `target`. */
const partialName = (target: string, pid: number): string => join(dirname(target), `.${basename(target)}.${pid}.partial`)

/** Whether process `pid` still runs (EPERM: it does, as another user's). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes the temporary files that exports to `target` killed part way (SIGKILL, a power cut: no handler runs) left
 * beside it, saying so on stderr. Cold trial: each `kill -9` of a `devices export` left a hidden, growing
 * `.out.csv.PID.partial` that no later export mentioned or removed. One whose process still runs is another export's.
 */
async function removeLeftPartials(target: string, file: string): Promise<void> {
  const names = await readdir(dirname(target)).catch(() => [] as string[])
  const prefix = `.${basename(target)}.`
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.partial')) continue
    const pid = name.slice(prefix.length, -'.partial'.length)
    if (!/^[1-9]\d*$/.test(pid) || Number(pid) === process.pid || running(Number(pid))) continue
    const left = partialName(target, Number(pid))
    await rm(left, { force: true })
      .then(() => process.stderr.write(`fieldline: removed ${left}, what an earlier export to ${file} left when it was stopped part way\n`))
      .catch(() => undefined)
  }
}

/**
 * Writes an export to `file` whole or not at all: into a temporary file beside it, renamed over `file` once complete. An
 * export that fails part way (a full disk, the core's error, Ctrl+C) leaves a file already there as it was, rather than
 * half a list that passes for all of it. `abandon` is told first (the core's export job is cancelled); the error is then
 * said in words when it is the file's. A new file gets `newFileMode` less the umask.
 */
export async function writeWhole(file: string, write: (out: ExportOut) => Promise<void>, abandon: () => Promise<unknown> = async () => undefined, newFileMode = 0o666): Promise<void> {
  // A link is followed, so the file it names is replaced and the link kept. A pipe, a terminal, or a name for one of the
  // process's own streams (/dev/stdout, /proc/self/fd/1, which lead to whatever the shell redirected them to) has
  // nothing to replace and is written as the rows come (cold trial: `devices export /dev/stdout`, as root, renamed a
  // regular file over /dev/stdout itself).
  const stream = isDeviceName(file)
  const target = stream ? file : await realpath(file).catch(() => file)
  const found = await stat(target).catch(() => null)
  const through = found?.isDirectory() !== true && (stream || (found !== null && !found.isFile()))
  const temp = through ? target : partialName(target, process.pid)
  if (!through && found?.isDirectory() !== true) await removeLeftPartials(target, file)
  let out: ExportOut & { close(): Promise<void> }
  try {
    // A folder in the way is the name typed, refused before any row is read: renamed over, `.` or a mount point
    // answers EBUSY, not EISDIR (cold trial: `devices export .` said "exporting … 100%", then "cannot write .: EBUSY").
    if (found?.isDirectory()) throw Object.assign(new Error(`${file} is a folder`), { code: 'EISDIR' })
    // Appended, not truncated: /dev/stdout redirected to a file is opened anew, at offset 0, where the shell's `>`
    // already emptied it.
    out = STDOUT_NAMES.has(resolve(file)) ? standardOutput : await open(temp, through ? 'a' : 'w', newFileMode)
  } catch (e) {
    await abandon().catch(() => undefined)
    throw new CliError(`fieldline: ${cannotWrite(file, e)}`, EXIT.usage)
  }
  // Ctrl+C or SIGTERM ends the process as Ctrl+C always did, without the temporary file, and says what became of the file.
  const interrupted = (signal: StopSignal): never => {
    if (!through) rmSync(temp, { force: true })
    process.stderr.write(`\nfieldline: interrupted; ${through ? `what ${file} was given is only part of the export` : `${file} was not written (a file already there is as it was)`}\n`)
    process.exit(signalExit(signal))
  }
  const stopListening = onFirstStopSignal(interrupted)
  try {
    try {
      await write(out)
    } finally {
      await out.close()
    }
    if (!through) {
      // A file replaced keeps its permissions (a collector reading it as another user); a new one gets the umask's.
      if (found?.isFile()) await chmod(temp, found.mode & 0o7777)
      await rename(temp, target)
    }
  } catch (e) {
    if (!through) await rm(temp, { force: true })
    await abandon().catch(() => undefined)
    if ((e as NodeJS.ErrnoException).code && !(e instanceof CliError)) throw new CliError(`fieldline: ${cannotWrite(file, e)}`, EXIT.failed)
    throw e
  } finally {
    stopListening()
  }
}
