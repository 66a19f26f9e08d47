/**
 * A child script (run with tsx) that reports its progress one line at a time on stdout, killed with SIGKILL the moment
 * `until` says so: the crash tests' way of stopping a process at a chosen point of its work.
 */
import { spawn } from 'node:child_process'

export interface KilledRun {
  lines: string[]
  signal: NodeJS.Signals | null
}

/** How long a child may go without finishing: a hung child fails its test with what it said, not by the test's timeout in silence. */
const CHILD_DEADLINE_MS = 90_000
const TAIL_CHARS = 2_000

/**
 * Resolves when the child ends by itself (exit 0) or by the kill; any other exit, or no end within the deadline (the
 * child is then killed), rejects with the end of its stderr and its last lines.
 */
export function runUntilKilled(script: string, args: string[], env: Record<string, string>, until: (line: string, lines: string[]) => boolean, deadlineMs = CHILD_DEADLINE_MS): Promise<KilledRun> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  const lines: string[] = []
  let partial = ''
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve, reject) => {
    let hung = false
    const deadline = setTimeout(() => {
      hung = true
      proc.kill('SIGKILL')
    }, deadlineMs)
    proc.stdout.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n')
      partial = parts.pop() ?? ''
      for (const line of parts.filter(Boolean)) {
        lines.push(line)
        if (until(line, lines) && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL')
      }
    })
    proc.on('exit', (code, signal) => {
      clearTimeout(deadline)
      if (hung) reject(new Error(`child did not finish within ${deadlineMs} ms after ${lines.length} lines (last: ${lines.at(-1) ?? 'none'}); stderr: ${stderr.slice(-TAIL_CHARS)}`))
      else if (signal === 'SIGKILL' || code === 0) resolve({ lines, signal })
      else reject(new Error(`child exited ${code}: ${stderr}`))
    })
  })
}
