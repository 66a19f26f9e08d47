/**
 * A child script (run with tsx) that reports its progress one line at a time on stdout, killed with SIGKILL the moment
 * `until` says so: the crash tests' way of stopping a process at a chosen point of its work.
 */
import { spawn } from 'node:child_process'

export interface KilledRun {
  lines: string[]
  signal: NodeJS.Signals | null
}

/** Resolves when the child ends by itself (exit 0) or by the kill; any other exit rejects with its stderr. */
export function runUntilKilled(script: string, args: string[], env: Record<string, string>, until: (line: string, lines: string[]) => boolean): Promise<KilledRun> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  const lines: string[] = []
  let partial = ''
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n')
      partial = parts.pop() ?? ''
      for (const line of parts.filter(Boolean)) {
        lines.push(line)
        if (until(line, lines) && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL')
      }
    })
    proc.on('exit', (code, signal) => (signal === 'SIGKILL' || code === 0 ? resolve({ lines, signal }) : reject(new Error(`child exited ${code}: ${stderr}`))))
  })
}
