/**
 * The `fieldline` CLI from source, as processes: `runCli` runs the real program (src-main/cli/main.ts) to completion;
 * `runCommand` runs one command group registered on a bare commander program (`commandEntry`) and returns while it
 * runs, for long-running commands a test signals or kills.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))

export interface CliRun {
  code: number | null
  out: string
  err: string
}

/** Asynchronous, so servers in the test's own process (peers) keep answering while it runs. */
export function runCli(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', dataDir, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('close', (code) => resolve({ code, out, err }))
  })
}

const ROOT = new URL('../../', import.meta.url).pathname

/** A command still running: its process, what it printed so far, and its exit. */
export interface CommandRun {
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
export function runCommand(entry: string, args: string[], env: Record<string, string>, inherited: (name: string) => boolean): CommandRun {
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
