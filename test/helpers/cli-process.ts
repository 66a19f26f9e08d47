/**
 * The `fieldline` CLI from source, as processes: `runCli` runs the real program (src-main/cli/main.ts) to completion;
 * `startCli` starts it and returns while it runs, for long-running commands a test signals or kills.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))

export interface CliRun {
  code: number | null
  out: string
  err: string
}

/** Asynchronous, so servers in the test's own process (peers) keep answering while it runs. `input` is its stdin. */
export function runCli(dataDir: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', dataDir, ...args], {
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    if (input !== undefined) child.stdin?.end(input)
    let out = ''
    let err = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
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

const running: ChildProcess[] = []

/** Kills what a test left running (call it in afterEach). */
export function killCommands(): void {
  for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
}

/** Starts the real CLI with `args`; variables for which `inherited` says false are not passed on from this process. */
export function startCli(args: string[], env: Record<string, string>, inherited: (name: string) => boolean): CommandRun {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => inherited(k)))
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  running.push(child)
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stdout?.on('data', (c: string) => (out += c))
  child.stderr?.on('data', (c: string) => (err += c))
  return { child, stdout: () => out, stderr: () => err, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) }
}
