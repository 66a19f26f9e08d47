/**
 * Benchmark (not a test; prints figures, asserts nothing): team sync at 100,000 documents against the CouchDB peer
 * (express-pouchdb behind its IAM front, in a process of its own, with the team database's validation installed by
 * `sync:setup`).
 *
 * 1. A workspace holding N devices pushes them all (its first sync).
 * 2. An empty workspace pulls them all (its first sync): time, batches, the estimate it showed halfway, and this
 *    process's RSS sampled every 250 ms (the server is in another process).
 * 3. An incremental sync with nothing to do: start → live on the up-to-date workspace, five times (median and worst).
 *
 * Targets (issue 18): the first sync of 100,000 documents under 30 s, an incremental no-op under 100 ms.
 *
 *   node --import tsx test/bench/team-sync.bench.ts          (or: npm run bench -- team-sync)
 *   BENCH_SYNC_DOCS=100000   devices (default 100,000)
 *   BENCH_SYNC_BATCH_SIZE, BENCH_SYNC_BATCHES_LIMIT   replication tuning (default: the core's)
 *   BENCH_SYNC_PROFILE=FILE   writes a CPU profile of this process during the pull only (open it in Chrome's DevTools)
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCore, type Core } from '../../src-main/core/app'
import { newDeviceDoc } from '../../src-main/core/store/devices.store'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { eachLine } from '../helpers/lines'
import { fmt, sleep } from './bench-kit'

const DOCS = Number(process.env.BENCH_SYNC_DOCS ?? 100_000)
const tuning = {
  ...(process.env.BENCH_SYNC_BATCH_SIZE ? { batchSize: Number(process.env.BENCH_SYNC_BATCH_SIZE) } : {}),
  ...(process.env.BENCH_SYNC_BATCHES_LIMIT ? { batchesLimit: Number(process.env.BENCH_SYNC_BATCHES_LIMIT) } : {}),
}
const here = fileURLToPath(new URL('.', import.meta.url))
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }
const ACTOR = { actor: 'bench' }

/** CPU seconds a process has used (user + system), from /proc: on a machine shared with other work, wall time alone says little. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function startServer(): Promise<{ url: string; pid: number; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'couch-server.ts')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  process.on('exit', () => child.kill('SIGKILL'))
  const url = await new Promise<string>((resolve, reject) => {
    eachLine(child.stdout, (line) => resolve((JSON.parse(line) as { url: string }).url))
    child.once('exit', () => reject(new Error('the CouchDB server did not start')))
  })
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') }
}

async function workspace(url: string): Promise<{ core: Core; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldline-bench-sync-'))
  const core = await createCore({ dataDir: dir, mode: 'cli', vault: createMemoryStore(), logger: silent, syncTuning: tuning })
  await core.sync.saveSettings({ url, database: 'bench-team', auth: 'iam', username: '', iamUrl: url, shares: ['devices'], autoStart: false, secrets: { apiKey: 'bench-key' } }, ACTOR)
  return {
    core,
    async close() {
      await core.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Resolves when the sync is live: told by the core's status event (pushed at once on a change of state), so a start
 * with nothing to do is timed to the event rather than to the next 20 ms poll; the poll stays for the ticks.
 */
async function untilLive(core: Core, onTick?: () => Promise<void> | void): Promise<void> {
  let told: ((state: string) => void) | null = null
  const event = new Promise<string>((resolve) => (told = resolve))
  const unsubscribe = core.bus.subscribe((name, payload) => {
    const state = (payload as { state?: string }).state
    if (name === 'sync:status' && (state === 'live' || state === 'error')) told?.(state)
  })
  try {
    for (;;) {
      const s = await core.sync.status()
      if (s.state === 'live') return
      if (s.state === 'error') throw new Error(`sync error: ${s.reason?.message ?? ''}`)
      await onTick?.()
      if ((await Promise.race([event, sleep(20).then(() => null)])) !== null) return untilLive(core)
    }
  } finally {
    unsubscribe()
  }
}

const seconds = (ms: number) => (ms / 1000).toFixed(1)
const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`

/** Prints this process's memory every 5 s while a first sync runs; returns the peak RSS seen (sampled every tick). */
function memoryLog(label: string, t0: number, progress: () => Promise<string>): { tick(): Promise<void>; peak(): number } {
  let peak = 0
  let next = 0
  return {
    async tick() {
      const m = process.memoryUsage()
      peak = Math.max(peak, m.rss)
      const elapsed = performance.now() - t0
      if (elapsed < next) return
      next = elapsed + 5000
      console.log(`  ${label} ${seconds(elapsed).padStart(5)} s: RSS ${mib(m.rss)}, heap ${mib(m.heapUsed)}; ${await progress()}`)
    },
    peak: () => peak,
  }
}

const server = await startServer()
console.log(
  `team sync, ${fmt(DOCS)} devices, tuning ${JSON.stringify(tuning)}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
)
const a = await workspace(server.url)
const b = await workspace(server.url)
try {
  await a.core.sync.setup(ACTOR)
  const now = new Date().toISOString()
  for (let i = 0; i < DOCS; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, DOCS - i) }, (_, k) =>
      newDeviceDoc({ typeId: 'bench', deviceId: `d${i + k}`, description: `bench device ${i + k}`, metadata: { site: `s${(i + k) % 50}` } }, now),
    )
    await a.core.workspace.db.bulkDocs(batch)
  }

  /** CPU seconds used by this process (both workspaces) and by the server since `mark`. */
  const cpu = async (mark: { client: number; server: number }) =>
    `CPU ${((await cpuSeconds(process.pid)) - mark.client).toFixed(1)} s client, ${((await cpuSeconds(server.pid)) - mark.server).toFixed(1)} s server`
  const cpuMark = async () => ({ client: await cpuSeconds(process.pid), server: await cpuSeconds(server.pid) })

  let mark = await cpuMark()
  let t0 = performance.now()
  await a.core.sync.start(ACTOR)
  const pushLog = memoryLog('push', t0, async () => `${fmt((await a.core.sync.status()).push.docs)} sent`)
  await untilLive(a.core, () => pushLog.tick())
  console.log(`first sync, push of ${fmt(DOCS)}: ${seconds(performance.now() - t0)} s (${await cpu(mark)})`)
  await a.core.sync.stop(ACTOR)

  let halfway: string | null = null
  const profiler = process.env.BENCH_SYNC_PROFILE ? new Session() : null
  if (profiler) {
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.start')
  }
  mark = await cpuMark()
  t0 = performance.now()
  await b.core.sync.start(ACTOR)
  const pullLog = memoryLog('pull', t0, async () => {
    const f = (await b.core.sync.status()).firstSync
    return f ? `${fmt(f.docs)} of ${f.total === null ? '?' : fmt(f.total)} in ${f.batches} batches, estimate ${f.secondsLeft ?? '?'} s left` : 'caught up'
  })
  await untilLive(b.core, async () => {
    await pullLog.tick()
    const s = await b.core.sync.status()
    if (!halfway && s.firstSync && s.firstSync.total !== null && s.firstSync.total > 0 && s.firstSync.docs >= s.firstSync.total / 2) {
      halfway = `${fmt(s.firstSync.docs)} of ${fmt(s.firstSync.total)} in ${s.firstSync.batches} batches after ${seconds(performance.now() - t0)} s, estimate ${s.firstSync.secondsLeft ?? '?'} s left`
    }
  })
  const pulled = performance.now() - t0
  const pullCpu = await cpu(mark)
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop')
    await writeFile(process.env.BENCH_SYNC_PROFILE!, JSON.stringify(profile))
    profiler.disconnect()
  }
  const got = (await b.core.workspace.db.info()).doc_count
  console.log(
    `first sync, pull into an empty workspace: ${seconds(pulled)} s (${fmt(got)} documents; target < 30 s; ${pullCpu}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  )
  console.log(`  halfway: ${halfway ?? 'not seen'}`)
  console.log(`  RSS of this process (client side) during it: peak ${mib(pullLog.peak())}`)

  await b.core.sync.stop(ACTOR)
  const noop: number[] = []
  const noopCpu: number[] = []
  for (let i = 0; i < 5; i++) {
    const c0 = process.cpuUsage()
    t0 = performance.now()
    await b.core.sync.start(ACTOR)
    await untilLive(b.core)
    noop.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    noopCpu.push((c.user + c.system) / 1000)
    await b.core.sync.stop(ACTOR)
  }
  noop.sort((x, y) => x - y)
  noopCpu.sort((x, y) => x - y)
  console.log(
    `incremental sync with nothing to do (start → live): median ${Math.round(noop[2]!)} ms, worst ${Math.round(noop[4]!)} ms; CPU of this process median ${Math.round(noopCpu[2]!)} ms (target < 100 ms; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  )
} finally {
  await a.close()
  await b.close()
  server.stop()
}
process.exit(0)
