/**
 * Benchmark (not a test): the device list at scale, at 100,000 and 1,000,000 devices (DEVICE_COUNTS=a,b to change),
 * in the core and the CLI (the UI's own figures come with the device-list screens):
 *
 * - import through the CLI (durable: every batch synced): devices/s, CPU seconds, peak RSS;
 * - carrier-cache reads for a quarter of the SIMs, applied to the index;
 * - `fieldline devices list --limit 2`: the whole command, a fresh process;
 * - open → first page, filter and sort answers p50/p95 by kind, core RSS after open, during a storm of queries and
 *   idle, deep pages, exact counts, export of the whole list (test/bench/device-list/probe.ts, a fresh process).
 *
 * Prints every figure beside its target and the load average, as the machine is shared. Run with
 * `npm run bench -- device-list` (builds first).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const COUNTS = (process.env.DEVICE_COUNTS ?? '100000,1000000').split(',').map(Number)
const cli = fileURLToPath(new URL('../../out/main/cli.js', import.meta.url))
const probe = fileURLToPath(new URL('./device-list/probe.ts', import.meta.url))
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')

interface Measured {
  code: number | null
  out: string
  err: string
  seconds: number
  cpuSeconds: number
  /** CPU time of the main (JavaScript) thread alone; the rest is LevelDB's threads (writes, compaction) and V8's (GC). */
  mainCpuSeconds: number
  peakRssMb: number
}

/** Runs a child to its end, sampling its peak RSS and CPU time from /proc while it runs. */
function measure(args: string[]): Promise<Measured> {
  return new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let peak = 0
    let cpu = 0
    let mainCpu = 0
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const sample = async () => {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8')
        peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)
        const stat = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
        cpu = (Number(stat[11]) + Number(stat[12])) / 100
        const main = (await readFile(`/proc/${child.pid}/task/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
        mainCpu = (Number(main[11]) + Number(main[12])) / 100
      } catch {
        // The child ended between two samples.
      }
    }
    const timer = setInterval(() => void sample(), 200)
    child.on('close', (code) => {
      clearInterval(timer)
      resolve({ code, out, err, seconds: (performance.now() - started) / 1000, cpuSeconds: cpu, mainCpuSeconds: mainCpu, peakRssMb: Math.round(peak) })
    })
  })
}

async function writeCsv(file: string, count: number): Promise<void> {
  const types = ['meter', 'gateway', 'sensor', 'valve', 'pump']
  const carriers = ['jasper', 'atnt', 'orange', '']
  const out = createWriteStream(file)
  out.write('typeId,deviceId,description,carrier,iccid,serialnumber\n')
  let lines: string[] = []
  for (let i = 0; i < count; i++) {
    const c = carriers[i % 4]!
    const iccid = c === 'jasper' || c === 'atnt' ? `8988216${String(i).padStart(12, '0')}` : ''
    const serial = c === 'orange' ? String(1_000_000_000_000 + i) : ''
    lines.push(`${types[i % 5]},dev-${String(i).padStart(7, '0')},Site ${i % 997} feeder ${i % 31},${c},${iccid},${serial}`)
    if (lines.length === 10_000) {
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain')
      lines = []
    }
  }
  out.end(lines.length ? `${lines.join('\n')}\n` : '')
  await once(out, 'finish')
}

const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES')
const results: string[] = []
for (const count of COUNTS) {
  const dir = await mkdtemp(join(tmpdir(), 'fieldline-bench-list-'))
  const dataDir = join(dir, 'data')
  try {
    console.log(`\n-- ${count.toLocaleString('en-US')} devices (load average ${load()})`)
    const csv = join(dir, 'devices.csv')
    await writeCsv(csv, count)
    const imported = await measure([cli, '--data-dir', dataDir, 'devices', 'import', csv])
    if (imported.code !== 0) throw new Error(`import failed: ${imported.err}`)
    const rate = count / imported.seconds
    console.log(
      `import (CLI, synced): ${imported.seconds.toFixed(1)} s, ${Math.round(rate)} devices/s, ${imported.cpuSeconds.toFixed(1)} CPU-s (${Math.round(count / imported.cpuSeconds)} devices per CPU-second; main thread ${imported.mainCpuSeconds.toFixed(1)} CPU-s, ${Math.round((imported.mainCpuSeconds / count) * 1e6)} µs a device), peak RSS ${imported.peakRssMb} MB; load ${load()}`,
    )
    const cached = await measure(['--import', 'tsx', probe, dataDir, String(count), '--cache'])
    if (cached.code !== 0) throw new Error(`probe failed: ${cached.err}`)
    const cache = (JSON.parse(cached.out) as { cache: { sims: number; seconds: number } }).cache
    console.log(`carrier cache: ${cache.sims} SIMs read, index caught up in ${cache.seconds} s (${Math.round(cache.sims / cache.seconds)} SIMs/s); load ${load()}`)
    const listed = await measure([cli, '--data-dir', dataDir, 'devices', 'list', '--limit', '2'])
    console.log(`fieldline devices list --limit 2: ${listed.seconds.toFixed(2)} s, peak RSS ${listed.peakRssMb} MB (a whole CLI process: Node and the bundle load in about a second here)`)
    const probed = await measure(['--import', 'tsx', probe, dataDir, String(count)])
    if (probed.code !== 0) throw new Error(`probe failed: ${probed.err}`)
    const p = JSON.parse(probed.out) as {
      openMs: number
      firstPageMs: number
      rssAfterOpenMb: number
      rssStormPeakMb: number
      rssIdleMb: number
      queries: {
        count: number
        p50: number
        p95: number
        cpuP50: number
        cpuP95: number
        byKind: Record<string, { p50: number; p95: number; cpuP50: number; cpuP95: number; estimatedTotals: number }>
      }
      slowest: { ms: number; kind: string; query: unknown }[]
      deepPageMs: Record<string, number>
      countMs: Record<string, number>
      export: { rows: number; seconds: number; rowsPerSecond: number; peakRssMb: number }
    }
    console.log(`open → first page: ${p.firstPageMs} ms (open ${p.openMs} ms); core RSS after open ${p.rssAfterOpenMb} MB`)
    console.log(
      `filter and sort, core side, ${p.queries.count} queries: p50 ${p.queries.p50} ms, p95 ${p.queries.p95} ms (CPU per query p50 ${p.queries.cpuP50} ms, p95 ${p.queries.cpuP95} ms); peak RSS during the storm ${p.rssStormPeakMb} MB; load ${load()}`,
    )
    for (const [kind, k] of Object.entries(p.queries.byKind))
      console.log(
        `  ${kind.padEnd(32)} p50 ${String(k.p50).padStart(7)} ms  p95 ${String(k.p95).padStart(7)} ms  CPU p50 ${String(k.cpuP50).padStart(7)} ms  p95 ${String(k.cpuP95).padStart(7)} ms  (${k.estimatedTotals} estimated totals)`,
      )
    console.log(`  slowest: ${p.slowest.map((s) => `${s.ms} ms ${JSON.stringify(s.query)}`).join('; ')}`)
    for (const [what, ms] of Object.entries(p.deepPageMs)) console.log(`${what}: ${ms} ms`)
    for (const [what, ms] of Object.entries(p.countMs)) console.log(`${what}: ${ms} ms`)
    console.log(
      `export of the whole list (CSV, 11 columns): ${p.export.rows} rows in ${p.export.seconds} s, ${p.export.rowsPerSecond} rows/s, peak RSS ${p.export.peakRssMb} MB; idle RSS ${p.rssIdleMb} MB; load ${load()}`,
    )
    if (count === 1_000_000) {
      results.push(
        `targets at 1,000,000 (load ${load()}): open → first page ${p.firstPageMs} ms < 2000 (${verdict(p.firstPageMs < 2000)}); filter/sort p95 ${p.queries.p95} ms < 50 (${verdict(p.queries.p95 < 50)}); core RSS ${Math.max(p.rssStormPeakMb, p.export.peakRssMb)} MB < 700 (${verdict(Math.max(p.rssStormPeakMb, p.export.peakRssMb) < 700)}); import ${Math.round(rate)} devices/s ≥ 30000 (${verdict(rate >= 30_000)}) with peak RSS ${imported.peakRssMb} MB < 1024 (${verdict(imported.peakRssMb < 1024)}); export ${p.export.rowsPerSecond} rows/s ≥ 100000 (${verdict(p.export.rowsPerSecond >= 100_000)})`,
      )
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
for (const r of results) console.log(`\n${r}`)
