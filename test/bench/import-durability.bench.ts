/**
 * Benchmark (not a test): what syncing every acknowledged write costs the device import. The same CSV of DEVICES
 * devices (default 100,000) is imported through the core's import service, in 256 KiB chunks as the CLI sends them,
 * into a workspace that syncs each acknowledged batch (the default) and into one that does not (the behaviour before
 * durability to power loss), alternating, ROUNDS times each (default 2). Prints devices/s for each run and the best
 * of each kind (target: the synced import above 10,000 devices/s). Run with `npm run bench -- import-durability`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventBus } from '../../src-main/core/common/events'
import { createImportService } from '../../src-main/core/devices/import.service'
import { openDeviceIndex } from '../../src-main/core/devices/listing/device-index'
import { openWorkspace } from '../../src-main/core/store/workspace'

const COUNT = Number(process.env.DEVICES ?? 100_000)
const ROUNDS = Number(process.env.ROUNDS ?? 2)
const CHUNK = 256 * 1024

const types = ['meter', 'gateway', 'sensor', 'valve', 'pump']
const lines = ['typeId,deviceId,description']
for (let i = 0; i < COUNT; i++) lines.push(`${types[i % types.length]},dev-${String(i).padStart(7, '0')},Site ${i % 997} feeder ${i % 31}`)
const csv = `${lines.join('\n')}\n`

interface Run {
  /** Devices per second of wall-clock time. */
  rate: number
  /** Devices per second of this process's CPU time: what a machine to itself would approach, syncs aside. */
  cpuRate: number
}

async function importOnce(durable: boolean): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldline-bench-durability-'))
  const workspace = await openWorkspace(dir, { durable })
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }
  const index = await openDeviceIndex({ workspace: workspace.db, location: join(dir, 'index'), durable, logger: silent })
  try {
    const imports = createImportService({ db: workspace.db, index, bus: new EventBus() })
    const started = performance.now()
    const cpu = process.cpuUsage()
    const { jobId } = await imports.start({ fileName: 'devices.csv', format: 'csv' }, { actor: 'bench' })
    for (let at = 0; at < csv.length; at += CHUNK) await imports.chunk(jobId, Buffer.from(csv.slice(at, at + CHUNK)).toString('base64'))
    const report = await imports.finish(jobId)
    const seconds = (performance.now() - started) / 1000
    const used = process.cpuUsage(cpu)
    if (report.added !== COUNT) throw new Error(`imported ${report.added} of ${COUNT}`)
    return { rate: COUNT / seconds, cpuRate: COUNT / ((used.user + used.system) / 1e6) }
  } finally {
    await index.close()
    await workspace.close()
    await rm(dir, { recursive: true, force: true })
  }
}

// Wall-clock figures on a shared machine: the load beside them says how much of the machine the runs had.
const load = () => loadavg()[0]!.toFixed(1)
console.log(`load average at start: ${load()}`)
const runs: Record<'synced' | 'unsynced', Run[]> = { synced: [], unsynced: [] }
for (let round = 1; round <= ROUNDS; round++) {
  for (const durable of [false, true]) {
    const run = await importOnce(durable)
    const kind = durable ? 'synced' : 'unsynced'
    runs[kind].push(run)
    console.log(`round ${round}: ${kind.padEnd(8)} ${COUNT} devices at ${Math.round(run.rate)} devices/s (${Math.round(run.cpuRate)} per CPU-second)`)
  }
}
const best = (kind: keyof typeof runs) => Math.round(Math.max(...runs[kind].map((r) => r.rate)))
console.log(
  `import of ${COUNT} devices, best of ${ROUNDS}: unsynced (before) ${best('unsynced')} devices/s, synced (now) ${best('synced')} devices/s ` +
    `(${((1 - best('synced') / best('unsynced')) * 100).toFixed(1)} % slower; target > 10,000 devices/s); load average at end: ${load()}`,
)
