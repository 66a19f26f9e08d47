/**
 * CLI commands as processes without a build: a tiny entry registers one command group on a bare commander program and
 * runs under `node --import tsx`; the exit code comes from CliError/CommanderError as in cli/main.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process'

const ROOT = new URL('../../', import.meta.url).pathname

export interface CliRun {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exit: Promise<number | null>
}

/** The entry's source: `imports` brings the register function in, `registration` calls it on `program`. */
export function commandEntry(imports: string, registration: string): string {
  return `
import { Command } from 'commander'
${imports}
const program = new Command().exitOverride()
${registration}
try {
  await program.parseAsync(['node', 'fieldline', ...process.argv.slice(1)])
} catch (e) {
  process.stderr.write(e.message + '\\n')
  process.exitCode = typeof e.exitCode === 'number' ? e.exitCode : 1
}
`
}

const running: ChildProcess[] = []

/** Kills what a test left running (call it in afterEach). */
export function killCommands(): void {
  for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
}

/** Runs the entry with `args`; variables for which `inherited` says false are not passed on from this process. */
export function runCommand(entry: string, args: string[], env: Record<string, string>, inherited: (name: string) => boolean): CliRun {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => inherited(k)))
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', entry, ...args], { cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  running.push(child)
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stdout?.on('data', (c: string) => (out += c))
  child.stderr?.on('data', (c: string) => (err += c))
  return { child, stdout: () => out, stderr: () => err, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) }
}
