import { CommanderError, type Command } from 'commander'
import pkg from '../../package.json'
import { registerBridge } from './commands/bridge'
import { registerDevices } from './commands/devices'
import { registerHistorian } from './commands/historian'
import { registerMail } from './commands/mail'
import { registerTeam } from './commands/team'
import { registerOrange } from './commands/orange'
import { registerDmValidate } from './commands/dm'
import { registerDmLibrary } from './commands/dm-library'
import { registerServe } from './commands/serve'
import { registerSim } from './commands/sim'
import { registerWeather } from './commands/weather'
import { registerLedger } from './commands/ledger'
import { registerSims } from './commands/sims'
import { registerJob } from './commands/job'
import { registerSync } from './commands/sync'
import { registerTrash } from './commands/trash'
import { defaultDataDir } from './data-dir'
import { isAppError } from '../core/common/errors'
import { redactUrlsIn } from '../core/common/redact-url'
import { restrictNewFiles } from '../core/common/private-fs'
import { CliError, EXIT, exitCodeFor, openRuntime, type Runtime } from './runtime'
import { fieldNamesOf, refusalText } from './refusal'
import { FieldlineCommand, refuseEmptyNames, sayUsageErrorsInOneLine } from './usage-errors'

restrictNewFiles()

// `fieldline … | head` closes the pipe early: that is the reader being done, not a failure.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0)
  throw e
})

const program = new FieldlineCommand()
program
  .name('fieldline')
  .description('Fieldline: the IoT field operator console, from the command line')
  .version(pkg.version, '-V, --version')
  .option('--data-dir <dir>', "workspace directory (default: FIELDLINE_DATA_DIR or the desktop app's)")
  .option('--json', "machine-readable output on stdout: a list command's rows as one JSON document (not with its --format), an export's summary {file, rows} (its --format is the file's)")
  .exitOverride()

// The command being run: its refusals name the arguments and options the operator typed.
let acting: Command | undefined
program.hook('preAction', (_program, actionCommand) => {
  acting = actionCommand
  refuseEmptyNames(actionCommand)
})

function globals(): { dataDir: string; json: boolean } {
  const o = program.opts<{ dataDir?: string; json?: boolean }>()
  return { dataDir: o.dataDir ?? defaultDataDir(), json: o.json === true }
}

/** Opens the core for one command, runs it, and always closes the store so LevelDB's lock is released. */
function withRuntime<A extends unknown[]>(fn: (rt: Runtime, ...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    const { dataDir, json } = globals()
    const rt = await openRuntime(dataDir, json, 'cli', fieldNamesOf(acting))
    try {
      const code = await fn(rt, ...args)
      process.exitCode = code ?? EXIT.ok
    } finally {
      await rt.core.close()
    }
  }
}

registerDevices(program, withRuntime)
registerSim(program, withRuntime)
registerOrange(program, withRuntime)
registerWeather(program, withRuntime)
registerBridge(program, withRuntime, globals)
registerHistorian(program, withRuntime, globals)
registerMail(program, withRuntime)
registerTeam(program, withRuntime)
registerLedger(program, withRuntime)
registerSims(program, withRuntime)
registerJob(program, withRuntime)
registerSync(program, withRuntime)
registerTrash(program, withRuntime)
const dm = program.command('dm').description('custom device-management packages: validate, keep, invoke')
registerDmValidate(dm)
registerDmLibrary(dm, withRuntime)
registerServe(program, () => {
  const { dataDir, json } = globals()
  return openRuntime(dataDir, json, 'serve')
})
sayUsageErrorsInOneLine(program)

try {
  await program.parseAsync(process.argv)
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version end through exitOverride too; they are successes, anything else is bad usage.
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage
  } else if (e instanceof CliError) {
    process.stderr.write(`${e.message}\n`)
    process.exitCode = e.exitCode
  } else {
    // Whatever escaped a command may quote a URL an operator typed, credentials and all.
    const text = isAppError(e) ? refusalText(e.toInfo(), fieldNamesOf(acting)) : `fieldline: ${e instanceof Error ? e.message : String(e)}`
    process.stderr.write(`${redactUrlsIn(text)}\n`)
    process.exitCode = isAppError(e) ? exitCodeFor(e.code) : EXIT.failed
  }
}
