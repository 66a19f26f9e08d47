/** Pieces the benchmarks share: a quiet mosquitto, a process's RSS, number formatting. */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { connectAsync } from 'mqtt'

export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return Math.round((kb / 1024) * 10) / 10
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
export const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/**
 * mosquitto with logging kept to errors and warnings. The test helper's broker logs every packet (tests count its
 * connection lines) and accumulates that log in the test process: at thousands of messages per second the logging
 * itself, in mosquitto and in this process, would be what is measured. `maxQueuedMessages` (0 = no limit) is what a
 * persistent session may hold while its client is away.
 */
export async function startQuietBroker(options: { maxQueuedMessages?: number } = {}): Promise<{ url: string; pid: number | undefined; stop(): Promise<void> }> {
  const { MOSQUITTO_BIN, mosquittoSkipReason } = await import('../helpers/mosquitto')
  const { freePort } = await import('../helpers/ports')
  const reason = mosquittoSkipReason()
  if (reason) throw new Error(reason)
  const dir = await mkdtemp(join(tmpdir(), 'fieldline-bench-mosquitto-'))
  const port = await freePort()
  const conf = join(dir, 'mosquitto.conf')
  const lines = [`user ${userInfo().username}`, `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning']
  if (options.maxQueuedMessages !== undefined) lines.push(`max_queued_messages ${options.maxQueuedMessages}`)
  await writeFile(conf, `${lines.join('\n')}\n`)
  const proc = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] })
  process.on('exit', () => proc.kill('SIGKILL'))
  // Ready when it accepts a connection.
  for (let i = 0; ; i++) {
    try {
      const probe = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000 })
      await probe.endAsync(true)
      break
    } catch (e) {
      if (i > 100 || proc.exitCode !== null) throw e
      await sleep(100)
    }
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: proc.pid,
    async stop() {
      proc.kill('SIGTERM')
      await new Promise((resolve) => proc.once('exit', resolve))
      await rm(dir, { recursive: true, force: true })
    },
  }
}
