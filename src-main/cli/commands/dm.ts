import { open } from 'node:fs/promises'
import type { Command } from 'commander'
import type { Diagnostic } from '../../../src-shared/contract'
import { countOf, countText } from '../../../src-shared/models/count-text'
import type { PackageCheck } from '../../core/dm-packages/validator'
import { MAX_PACKAGE_BYTES } from '../../../src-shared/models/packages'
import { decodePackageBytes } from '../../../src-shared/models/package-bytes'
import { cannotRead } from '../file-problems'
import { EXIT, formatDiagnostic } from '../runtime'

/**
 * `fieldline dm validate FILE...`: checks custom device-management package files with the validator main uses.
 * It needs no workspace, so it never opens the core (no LevelDB lock, works next to a running desktop app).
 *
 * Output: diagnostics are the command's result, so they go to stdout, one `FILE:LINE:COL: error|warning: message
 * (pointer)` line each (compiler style, greppable); unreadable files and the summary go to stderr. With --json,
 * stdout holds one JSON document, `{"files": [{file, valid, diagnostics} | {file, error: {code, message}}]}`.
 * Exit: 0 every file valid (warnings allowed), 1 some file invalid, 2 some file unreadable (wins over 1: the
 * answer is incomplete).
 */

export type FileReport = { file: string; valid: boolean; diagnostics: Diagnostic[] } | { file: string; error: { code: string; message: string } }

export interface ValidateIo {
  out(text: string): void
  err(text: string): void
  /** Standard input, for the file name '-'. */
  stdin(): AsyncIterable<string | Buffer>
}

const processIo: ValidateIo = {
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  stdin: () => process.stdin,
}

class Unreadable extends Error {
  constructor(readonly code: string) {
    super(code)
  }
}

/** The bytes of a file, or its size when over the limit (checked before reading: a 10 GB file costs nothing). */
async function readBounded(file: string, io: ValidateIo): Promise<{ bytes: Buffer } | { tooLarge: number }> {
  if (file === '-') {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of io.stdin()) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      size += b.length
      // Keep counting but stop keeping: the size is all the refusal needs.
      if (size <= MAX_PACKAGE_BYTES) chunks.push(b)
    }
    return size > MAX_PACKAGE_BYTES ? { tooLarge: size } : { bytes: Buffer.concat(chunks) }
  }
  let handle
  try {
    handle = await open(file, 'r')
  } catch (e) {
    throw new Unreadable((e as NodeJS.ErrnoException).code ?? (e as Error).message)
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new Unreadable(stats.isDirectory() ? 'EISDIR' : 'not a regular file')
    if (stats.size > MAX_PACKAGE_BYTES) return { tooLarge: stats.size }
    return { bytes: await handle.readFile() }
  } catch (e) {
    if (e instanceof Unreadable) throw e
    throw new Unreadable((e as NodeJS.ErrnoException).code ?? (e as Error).message)
  } finally {
    await handle.close()
  }
}

/** The validator (its JSON Schema compiler) is loaded by the command that validates, not when the command tree is built. */
async function checkBytes(bytes: Uint8Array): Promise<PackageCheck> {
  const { packageNotUtf8, validatePackage } = await import('../../core/dm-packages/validator')
  const decoded = decodePackageBytes(bytes)
  return decoded.ok ? validatePackage(decoded.text) : packageNotUtf8(decoded)
}

async function checkTooLarge(size: number): Promise<PackageCheck> {
  const { packageTooLarge } = await import('../../core/dm-packages/validator')
  return packageTooLarge(size)
}

async function checkFile(file: string, io: ValidateIo): Promise<FileReport> {
  const name = file === '-' ? '<stdin>' : file
  let read: Awaited<ReturnType<typeof readBounded>>
  try {
    read = await readBounded(file, io)
  } catch (e) {
    const code = e instanceof Unreadable ? e.code : 'EIO'
    return { file: name, error: { code, message: cannotRead(name, code) } }
  }
  const check = 'tooLarge' in read ? await checkTooLarge(read.tooLarge) : await checkBytes(read.bytes)
  return { file: name, valid: check.valid, diagnostics: check.diagnostics }
}

/** Validates every file (all of them, even after a failure) and returns the exit code. */
export async function validateFiles(files: string[], options: { json: boolean }, io: ValidateIo = processIo): Promise<number> {
  const reports: FileReport[] = []
  for (const file of files) reports.push(await checkFile(file, io))
  const unreadable = reports.filter((r) => 'error' in r).length
  const invalid = reports.filter((r) => 'valid' in r && !r.valid).length
  if (options.json) {
    io.out(JSON.stringify({ files: reports }))
  } else {
    let errors = 0
    let warnings = 0
    for (const r of reports) {
      if ('error' in r) {
        io.err(`fieldline: ${r.error.message}`)
        continue
      }
      for (const d of r.diagnostics) {
        io.out(formatDiagnostic(r.file, d))
        if (d.ref.key === 'dm.tooManyDiagnostics') continue
        if (d.severity === 'error') errors++
        else warnings++
      }
    }
    const parts = [`${countText(reports.length - invalid - unreadable)} valid`, `${countText(invalid)} invalid`, ...(unreadable ? [`${countText(unreadable)} unreadable`] : [])]
    io.err(`${countOf(reports.length, 'file')}: ${parts.join(', ')} (${countOf(errors, 'error')}, ${countOf(warnings, 'warning')} shown)`)
  }
  return unreadable > 0 ? EXIT.usage : invalid > 0 ? EXIT.failed : EXIT.ok
}

/** Registers `validate` under the `dm` command group (the group itself belongs to main.ts). */
export function registerDmValidate(dm: Command): void {
  dm.command('validate <files...>')
    .description("check custom device-management package files ('-' for standard input); needs no workspace")
    .option('--json', 'print the diagnostics of every file as one JSON document')
    .action(async (files: string[], opts: { json?: boolean }, cmd: Command) => {
      // --json is also a program-wide option (`fieldline --json dm validate …`); either place counts.
      const json = opts.json === true || cmd.optsWithGlobals<{ json?: boolean }>().json === true
      process.exitCode = await validateFiles(files, { json })
    })
}
