/**
 * Benchmark (not a test): the floor under the device import's rate — what PouchDB's bulkDocs alone costs per device
 * document, synced as the workspace writes, by batch size and with `new_edits: false` (revisions given, no revision
 * generated), against a whole CLI import of the same number of devices (parsing, the existence check, the device
 * index and the audit trail included). CPU seconds per device are printed beside wall time and the load average, as
 * the machine is shared. FLOOR_DEVICES=N changes the count (default 50,000), FLOOR_BATCHES=a,b,… the documents per call
 * (default 500,1000,2000,5000,20000: PouchDB's cost per document grows with the batch, see IMPORT_BATCH).
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import PouchDB from 'pouchdb'
import { newDeviceDoc } from '../../src-main/core/store/devices.store'
import { levelBackend } from '../../src-main/core/store/level-backend'

const COUNT = Number(process.env.FLOOR_DEVICES ?? 50_000)
const BATCHES = (process.env.FLOOR_BATCHES ?? '500,1000,2000,5000,20000').split(',').map(Number)
const cli = fileURLToPath(new URL('../../out/main/cli.js', import.meta.url))
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
const id = (i: number) => `dev-${String(i).padStart(7, '0')}`
const iccid = (i: number) => `8988216${String(i).padStart(12, '0')}`
const perCpuSecond = (n: number, cpuSeconds: number) => Math.round(n / cpuSeconds).toLocaleString('en-US')

const dir = await mkdtemp(join(tmpdir(), 'fieldline-import-floor-'))
try {
  for (const [batch, newEdits] of [...BATCHES.map((b) => [b, true] as const), [5000, false] as const]) {
    const db = new PouchDB(join(dir, `ws-${batch}-${newEdits}`), { auto_compaction: true, db: levelBackend({ durable: true, readOnly: false }) })
    await db.info()
    const now = new Date().toISOString()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for (let at = 0; at < COUNT; at += batch) {
      const docs = []
      for (let i = at; i < Math.min(COUNT, at + batch); i++) {
        const doc = newDeviceDoc({ typeId: 'meter', deviceId: id(i), description: `Site ${i % 997} feeder ${i % 31}`, metadata: {}, extensionConfig: { jasper: { iccid: iccid(i) } } }, now)
        docs.push(newEdits ? doc : { ...doc, _rev: `1-${((i * 2654435761) >>> 0).toString(16).padStart(32, '0')}` })
      }
      const results = await db.bulkDocs(docs, newEdits ? {} : { new_edits: false })
      if (results.some((r) => 'error' in r && r.error)) throw new Error('a document was refused')
    }
    const cpu = process.cpuUsage(cpu0)
    const cpuSeconds = (cpu.user + cpu.system) / 1e6
    console.log(
      `bulkDocs alone, ${batch} per call, new_edits ${newEdits}: ${COUNT} devices in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${cpuSeconds.toFixed(2)} CPU-s (${perCpuSecond(COUNT, cpuSeconds)} devices per CPU-second); load ${load()}`,
    )
    await db.close()
  }

  const csv = join(dir, 'devices.csv')
  const lines = ['typeId,deviceId,description,carrier,iccid']
  for (let i = 0; i < COUNT; i++) lines.push(`meter,${id(i)},Site ${i % 997} feeder ${i % 31},jasper,${iccid(i)}`)
  await writeFile(csv, `${lines.join('\n')}\n`)
  const t0 = performance.now()
  const run = spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, cli, '--data-dir', join(dir, 'data'), 'devices', 'import', csv], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`import failed: ${run.stderr}`)
  const [user, system, peakKb] = run.stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number]
  console.log(
    `whole CLI import: ${COUNT} devices in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(user + system).toFixed(2)} CPU-s (${perCpuSecond(COUNT, user + system)} devices per CPU-second), peak RSS ${Math.round(peakKb / 1024)} MB; load ${load()}`,
  )
} finally {
  await rm(dir, { recursive: true, force: true })
}
