import type { ChannelName, Diagnostic, ErrorInfo, Input, Output } from '../../src-shared/contract'
import type { Core } from '../core/app'
import { osActor } from '../core/common/os-actor'
import { openProgressReporter } from './open-progress'
import { importCountsText } from '../../src-shared/models/import-counts'
import { countText } from '../../src-shared/models/count-text'
import { hasWeatherEnvironment } from '../core/weather/weather-config'
import { refusalText, type FieldNames } from './refusal'
import { dataDirProblem } from './data-dir'

/**
 * Exit codes: 0 success, 1 the operation failed, 2 bad usage or invalid input; a command a signal cut short after
 * saving what it did exits as a shell reports a process that signal ended (stop-signals.ts: 130, 143).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** A whole-number option, checked here: a script is told the option and its range, not the contract's field path. */
export function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text)
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new CliError(`fieldline: ${flag} takes a whole number from ${countText(min)} to ${countText(max)} (got "${text}")`, EXIT.usage)
  return n
}

/** What a list command (`devices list`, `sims list`) prints its rows as. */
export type RowsFormat = 'table' | 'csv' | 'jsonl' | 'json'

/**
 * The rows' format of a list command: `--format`, or with `--json` one JSON document (`{total, items}`). Both at once
 * were answered in JSON whatever `--format` said; a script that asked for CSV is told instead.
 */
export function rowsFormat(json: boolean, format: string | undefined): RowsFormat {
  if (json && format !== undefined)
    throw new CliError(
      `fieldline: --json and --format ${format.slice(0, 60)} cannot be used together: --json prints the rows as one JSON document ({total, items}), --format as table, csv or jsonl`,
      EXIT.usage,
    )
  if (json) return 'json'
  if (format === undefined) return 'table'
  if (format !== 'table' && format !== 'csv' && format !== 'jsonl') throw new CliError('fieldline: --format must be table, csv or jsonl', EXIT.usage)
  return format
}

/** Who a command acts as in the audit trail: the OS user, as the window names them, marked as the command line. */
export const cliActor = (): string => `cli:${osActor()}`

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message)
  }
}

/** Errors that mean "what you gave me is wrong", as opposed to "it did not work". */
const INPUT_CODES = new Set(['VALIDATION', 'TOO_LARGE', 'CONFLICT', 'UNKNOWN_CHANNEL'])

export function exitCodeFor(code: string): number {
  return INPUT_CODES.has(code) ? EXIT.usage : EXIT.failed
}

export interface Runtime {
  core: Core
  json: boolean
  call<C extends ChannelName>(channel: C, input: Input<C>): Promise<Output<C>>
  /** An error's text as this command prints it (a validation error names the arguments and options typed). */
  refusal(error: ErrorInfo): string
  out(text: string): void
  err(text: string): void
}

/** Wraps a command's action: opens the runtime, runs it, maps its result or error to an exit code. */
export type WithRuntime = <A extends unknown[]>(fn: (rt: Runtime, ...args: A) => Promise<number | void>) => (...args: A) => Promise<void>

/**
 * Every CLI command goes through the bridge dispatcher, so it gets exactly the UI's validation; `names` are how the
 * command's arguments and options are typed, for its refusals.
 */
export async function openRuntime(dataDir: string, json: boolean, mode: 'serve' | 'cli', names: FieldNames = new Map()): Promise<Runtime> {
  // Scripts configure email through the environment; the desktop app's saved settings are used otherwise.
  const mailFromEnvironment = Boolean(process.env.FIELDLINE_SMTP_URL || process.env.FIELDLINE_SENDGRID_API_KEY)
  const { FIELDLINE_ORANGE_URL: baseUrl, FIELDLINE_ORANGE_USERNAME: username, FIELDLINE_ORANGE_PASSWORD: password } = process.env
  const orangeEnvironment = baseUrl && username && password ? { baseUrl, username, password } : undefined
  const weatherFromEnvironment = hasWeatherEnvironment(process.env)
  const problem = dataDirProblem(dataDir)
  if (problem) throw new CliError(problem, EXIT.usage)
  // The core and its clients are loaded here, by the command that needs them: `--help` or `--version` never pays for them.
  const [{ createCore }, { createKeytarStore }] = await Promise.all([import('../core/app'), import('../core/vault/keytar.store')])
  const core = await createCore({
    dataDir,
    mode,
    vault: createKeytarStore(),
    mailFromEnvironment,
    onOpenProgress: openProgressReporter(process.stderr),
    weatherFromEnvironment,
    ...(orangeEnvironment ? { orangeEnvironment } : {}),
  })
  for (const i of core.interruptedImports) {
    process.stderr.write(
      `fieldline: the import of ${i.fileName} started ${i.startedAt} was cut short when Fieldline stopped: ${importCountsText(i)}; the rest of the file was not imported. Import the same file again to add the rest (the devices already there are counted as such, not refused).\n`,
    )
  }
  if (core.workspace.copiedFrom?.now) {
    process.stderr.write(
      `fieldline: ${dataDir} is a copy of ${core.workspace.copiedFrom.path}, which is still there: this copy is now a workspace of its own, with its own copies of the secrets; a secret changed in one no longer changes the other\n`,
    )
  }
  if (core.workspace.readOnly) {
    const why = core.workspace.readOnly === 'full' ? 'its disk is full' : 'it is read-only'
    // One line for the folder, its log file included (the core holds back the log's own trouble then).
    process.stderr.write(`fieldline: ${dataDir} cannot be written (${why}): showing a read-only copy; changes are refused and nothing is logged\n`)
  }
  return {
    core,
    json,
    async call(channel, input) {
      const result = await core.dispatcher.invoke(channel, input, { actor: cliActor() })
      if (result.ok) return result.value as Output<typeof channel>
      const { error } = result
      const lines = [refusalText(error, names)]
      for (const d of error.details?.diagnostics ?? []) lines.push(`  ${formatDiagnostic('<input>', d)}`)
      throw new CliError(lines.join('\n'), exitCodeFor(error.code))
    },
    refusal: (error) => refusalText(error, names),
    out: (text) => {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    },
    err: (text) => {
      process.stderr.write(text.endsWith('\n') ? text : `${text}\n`)
    },
  }
}

export function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.line}:${d.column}: ${d.severity}: ${d.message}${d.pointer ? ` (${d.pointer})` : ''}`
}
