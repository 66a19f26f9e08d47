/**
 * Child process of device-list.bench.ts: opens the core on a data directory as the CLI or serve mode would, and
 * measures the core's side of the device list: open → first page, filter and sort answers (p50/p95 by kind), the
 * core's memory idle and during a storm of queries, exact counts, and an export of the whole list. Prints one JSON
 * object on stdout. `--cache` first writes carrier-cache documents for a share of the SIMs (as SIM reads would).
 */
import { openSync, writeSync, closeSync } from 'node:fs'
import { createCore } from '../../../src-main/core/app'
import { createMemoryStore } from '../../../src-main/core/vault/memory.store'
import type { DeviceFilters, DeviceQueryInput } from '../../../src-shared/models/device-query'
import { SIM_STATUSES } from '../../../src-shared/models/sim'
import { simDoc } from '../../helpers/device-fleet'
import { prng } from '../../peers/mbed/registry'

const [dataDir, countText, ...flags] = process.argv.slice(2)
if (!dataDir || !countText) throw new Error('usage: probe <dataDir> <devices> [--cache]')
const COUNT = Number(countText)
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }
const rss = () => Math.round(process.memoryUsage().rss / 1024 / 1024)
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN
}
const round = (x: number) => Math.round(x * 10) / 10

const t0 = performance.now()
const core = await createCore({ dataDir, mode: 'serve', vault: createMemoryStore(), logger: silent })
const openMs = performance.now() - t0
const call = async (channel: string, input: unknown) => {
  const r = await core.dispatcher.invoke(channel, input)
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`)
  return r.value as Record<string, unknown>
}
const first = (await call('devices:query', { limit: 100 })) as { total: number }
const firstPageMs = performance.now() - t0
const out: Record<string, unknown> = { devices: first.total, openMs: round(openMs), firstPageMs: round(firstPageMs), rssAfterOpenMb: rss() }

if (flags.includes('--cache')) {
  // A third of the SIMs read from their carrier: the statuses, plans and data the SIM columns and filters show.
  const random = prng(7)
  const started = performance.now()
  let written = 0
  for (let at = 0; at < COUNT; at += 2000) {
    const docs = []
    for (let i = at; i < Math.min(COUNT, at + 2000); i++) {
      if (i % 4 === 3 || random() > 0.33) continue
      const carrier = (['jasper', 'atnt', 'orange'] as const)[i % 4]!
      const id = carrier === 'orange' ? String(1_000_000_000_000 + i) : `8988216${String(i).padStart(12, '0')}`
      docs.push(
        simDoc({
          carrier,
          id,
          status: SIM_STATUSES[Math.floor(random() * 6)]!,
          ratePlan: `Plan ${Math.floor(random() * 8)}`,
          dataBytes: Math.floor(random() * 5e9),
          fetchedAt: new Date(Date.UTC(2025, 5, 1) + Math.floor(random() * 1e9)).toISOString(),
        }),
      )
    }
    await core.workspace.db.bulkDocs(docs as never)
    written += docs.length
  }
  await core.deviceIndex.sync()
  out.cache = { sims: written, seconds: round((performance.now() - started) / 1000) }
}

// The filter storm: what typing, clicking filters and column headers asks, each answered with a page of 100.
const random = prng(11)
const id = (n: number) => `dev-${String(n).padStart(7, '0')}`
const kinds: Record<string, () => DeviceQueryInput> = {
  'sort (any column, both ways)': () => ({
    sort: (['typeId', 'deviceId', 'description', 'carrier', 'simId', 'simStatus', 'simAsOf', 'ratePlan', 'dataThisCycleBytes', 'extensions', 'updatedAt', 'configErrors', 'dmSupport'] as const)[
      Math.floor(random() * 13)
    ]!,
    descending: random() < 0.5,
  }),
  'filter (fields)': () => ({
    filters: (
      [
        { typeId: ['meter'] },
        { carrier: ['orange'] },
        { simStatus: ['activated', 'inventory'] },
        { carrier: ['jasper'], simStatus: ['notCached'] },
        { configErrors: true },
        { extension: ['none'] },
        { typeId: ['pump'], carrier: ['atnt'] },
      ] satisfies DeviceFilters[]
    )[Math.floor(random() * 7)]!,
    sort: (['typeId', 'description', 'simStatus', 'updatedAt'] as const)[Math.floor(random() * 4)]!,
  }),
  'search: typing an ID': () => {
    const full = id(Math.floor(random() * COUNT))
    return { text: full.slice(0, 5 + Math.floor(random() * (full.length - 4))) }
  },
  'search: description words': () => ({ text: [`site ${Math.floor(random() * 997)}`, 'feeder', `feeder ${Math.floor(random() * 31)}`, 'site'][Math.floor(random() * 4)]! }),
  'search: ICCID digits': () => ({ text: `8988216${String(Math.floor(random() * COUNT)).padStart(12, '0')}`.slice(0, 10 + Math.floor(random() * 9)) }),
  'search + filter + sort': () => ({ text: ['site', 'feeder 7', 'dev-00'][Math.floor(random() * 3)]!, filters: { carrier: ['jasper', 'atnt'] }, sort: 'description', descending: random() < 0.5 }),
  'one letter (broad)': () => ({ text: ['s', 'f', 'd', '1'][Math.floor(random() * 4)]!, sort: (['typeId', 'deviceId', 'updatedAt'] as const)[Math.floor(random() * 3)]! }),
}
const ROUNDS = 40
const latencies: Record<string, number[]> = {}
/** CPU time per query (this process, every thread: LevelDB reads included), which the shared machine's load disturbs far less. */
const cpu: Record<string, number[]> = {}
const inexact: Record<string, number> = {}
const slowest: { ms: number; kind: string; query: DeviceQueryInput }[] = []
let peakRss = rss()
for (let r = 0; r < ROUNDS; r++) {
  for (const [kind, make] of Object.entries(kinds)) {
    const query = make()
    const started = performance.now()
    const cpuBefore = process.cpuUsage()
    const page = (await call('devices:query', { query, limit: 100 })) as { totalExact: boolean }
    const ms = performance.now() - started
    const used = process.cpuUsage(cpuBefore)
    ;(latencies[kind] ??= []).push(ms)
    ;(cpu[kind] ??= []).push((used.user + used.system) / 1000)
    slowest.push({ ms: round(ms), kind, query })
    if (!page.totalExact) inexact[kind] = (inexact[kind] ?? 0) + 1
    peakRss = Math.max(peakRss, rss())
  }
}
const all = Object.values(latencies).flat()
const allCpu = Object.values(cpu).flat()
out.queries = {
  count: all.length,
  p50: round(pct(all, 50)),
  p95: round(pct(all, 95)),
  cpuP50: round(pct(allCpu, 50)),
  cpuP95: round(pct(allCpu, 95)),
  byKind: Object.fromEntries(
    Object.entries(latencies).map(([k, xs]) => [
      k,
      { p50: round(pct(xs, 50)), p95: round(pct(xs, 95)), cpuP50: round(pct(cpu[k]!, 50)), cpuP95: round(pct(cpu[k]!, 95)), estimatedTotals: inexact[k] ?? 0 },
    ]),
  ),
}
out.slowest = slowest.sort((a, b) => b.ms - a.ms).slice(0, 8)
out.rssStormPeakMb = peakRss

// Deep pages and exact counts: what they cost at this size.
const deep: Record<string, number> = {}
for (const [name, input] of [
  ['page at offset 50% (natural order)', { offset: Math.floor(COUNT / 2), limit: 100 }],
  ['page at offset 50% (by description)', { query: { sort: 'description' }, offset: Math.floor(COUNT / 2), limit: 100 }],
] as const) {
  const started = performance.now()
  await call('devices:query', input)
  deep[name] = round(performance.now() - started)
}
out.deepPageMs = deep
const counts: Record<string, number> = {}
for (const [name, query] of [
  ['count by every facet, no text', {}],
  ['exact count, one common letter', { text: 's' }],
  ['exact count, two common words', { text: 'site feeder' }],
] as const) {
  const started = performance.now()
  await call('devices:count', { selection: { query }, by: ['typeId', 'carrier', 'simStatus', 'extension'] })
  counts[name] = round(performance.now() - started)
}
out.countMs = counts

// Export of the whole list, CSV, every column, to a file.
const exportStarted = performance.now()
const file = openSync(`${dataDir}/../export.csv`, 'w')
const { jobId } = (await call('export:start', {
  selection: { query: {} },
  columns: ['typeId', 'deviceId', 'description', 'carrier', 'simId', 'simStatus', 'simAsOf', 'ratePlan', 'dataThisCycleBytes', 'extensions', 'updatedAt'],
  format: 'csv',
})) as { jobId: string }
let exported = 0
let exportRss = rss()
for (;;) {
  const part = (await call('export:next', { jobId })) as { data: string; rows: number; done: boolean }
  writeSync(file, part.data)
  exported = part.rows
  exportRss = Math.max(exportRss, rss())
  if (part.done) break
}
closeSync(file)
const exportSeconds = (performance.now() - exportStarted) / 1000
out.export = { rows: exported, seconds: round(exportSeconds), rowsPerSecond: Math.round(exported / exportSeconds), peakRssMb: exportRss }
out.rssIdleMb = rss()
await core.close()
process.stdout.write(`${JSON.stringify(out)}\n`)
