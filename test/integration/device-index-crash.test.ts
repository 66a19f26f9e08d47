/**
 * The device index after kill -9 in the middle of an import (a real importer process, SIGKILLed at several points):
 * every device the workspace acknowledged is found through every index — each order, the search, the field filters,
 * the counts — and nothing else is; and opening again replays only what the index had not applied (a bounded catch-up,
 * not a rebuild).
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { OpenProgress } from '../../src-main/core/app'
import { createCore } from '../../src-main/core/app'
import { IMPORT_BATCH } from '../../src-main/core/devices/import.service'
import { DeviceQueries } from '../../src-main/core/devices/listing/query'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import type { AuditEntry, ChannelName, Input, Output } from '../../src-shared/contract'
import type { DeviceColumn } from '../../src-shared/models/device-query'
import { silentLogger, tempDir } from '../helpers/core'

const importer = fileURLToPath(new URL('./fixtures/importer.ts', import.meta.url))
const ROWS = 12_000
const TYPES = ['meter', 'gw', 'pump']
/** Row L of the file (line 1 is the header) is device L-2. */
const device = (i: number) => ({ typeId: TYPES[i % 3]!, deviceId: `k-${i}`, jasper: i % 4 === 0 })
const line = (i: number) => {
  const d = device(i)
  return `${d.typeId},${d.deviceId},Site ${i % 97} line ${i},${d.jasper ? 'jasper' : ''},${d.jasper ? `8988216716970${String(i).padStart(7, '0')}` : ''}`
}

async function importAndKill(dataDir: string, file: string, killWhen: (line: string) => boolean): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', importer, dataDir, file], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
  let partial = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n')
      partial = lines.pop() ?? ''
      for (const l of lines) {
        if (!child.killed && killWhen(l)) {
          child.kill('SIGKILL')
          resolve()
        }
      }
    })
    child.on('exit', () => reject(new Error(`the importer ended before it was killed: ${stderr}`)))
  })
  expect(await exited).toBe('SIGKILL')
}

describe('the device index after kill -9 mid-import', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('finds every acknowledged device through every index, and catches up only what it had not applied', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const file = join(tmp.dir, 'kill.csv')
    await writeFile(file, ['typeId,deviceId,description,carrier,iccid', ...Array.from({ length: ROWS }, (_, i) => line(i))].join('\n'))
    const acked = (rows: number) => (l: string) => l.startsWith('ack ') && Number(l.slice(4)) >= rows
    const points: [string, (l: string) => boolean][] = [
      ['right after the start', (l) => l.startsWith('started ')],
      [`after ${IMPORT_BATCH + 500} rows`, acked(IMPORT_BATCH + 500)],
      [`after ${4000 + Math.floor(Math.random() * 6000)} rows`, acked(4000 + Math.floor(Math.random() * 6000))],
    ]
    for (const [index, [when, killWhen]] of points.entries()) {
      const dataDir = join(tmp.dir, `data-${index}`)
      await importAndKill(dataDir, file, killWhen)

      const seen: OpenProgress[] = []
      const core = await createCore({ dataDir, mode: 'cli', vault: createMemoryStore(), logger: silentLogger, onOpenProgress: (p) => seen.push(p) })
      const call = async <C extends ChannelName>(channel: C, input: Input<C>): Promise<Output<C>> => {
        const r = await core.dispatcher.invoke(channel, input)
        if (!r.ok) throw new Error(r.error.message)
        return r.value as Output<C>
      }
      try {
        // The devices the workspace acknowledged: its batches' audit entries name their rows.
        const trail: AuditEntry[] = []
        for (let offset = 0; ; offset += 1000) {
          const page = await call('audit:list', { query: 'devices.import.batch', offset, limit: 1000 })
          trail.push(...page.items)
          if (trail.length >= page.total) break
        }
        const written = trail.flatMap((e) => {
          const { rows, added } = e.after as { rows: [number, number]; added: number }
          return Array.from({ length: added }, (_, k) => rows[0] + k - 2)
        })
        const labels = new Set(written.map((i) => `${device(i).typeId}/${device(i).deviceId}`))
        expect(labels.size, when).toBe(written.length)

        // Bounded catch-up: the index was not built again, and replayed at most the batches in flight.
        expect(seen.at(-1), when).toMatchObject({ done: true, building: false })
        expect(seen.at(-1)!.changes, when).toBeLessThanOrEqual(2 * (IMPORT_BATCH + 1) + 2)

        // Every order lists exactly the acknowledged devices.
        for (const sort of ['typeId', 'deviceId', 'description', 'simId', 'simStatus', 'updatedAt', 'carrier'] satisfies DeviceColumn[]) {
          for (const descending of [false, true]) {
            const listed: string[] = []
            for (let offset = 0; ; offset += 1000) {
              const page = await call('devices:query', { query: { sort, descending }, offset, limit: 1000 })
              listed.push(...page.items.map((d) => `${d.typeId}/${d.deviceId}`))
              if (page.items.length < 1000) break
            }
            expect(listed.length, `${when}, by ${sort}`).toBe(written.length)
            expect(new Set(listed), `${when}, by ${sort}`).toEqual(labels)
          }
        }
        // The search finds each by its ID and by its description's words; the filters and counts hold them all.
        for (const i of written.filter((_, k) => k % 97 === 0 || k === written.length - 1)) {
          const d = device(i)
          // A search finds the devices whose words it begins: within its type, k-67 first (natural order), then k-670….
          expect((await call('devices:query', { query: { text: d.deviceId, filters: { typeId: [d.typeId] } } })).items[0]?.deviceId, when).toBe(d.deviceId)
          const byWords = await call('devices:query', { query: { text: `site ${i % 97} line ${i}`, filters: { typeId: [d.typeId] } }, limit: 1000 })
          expect(
            byWords.items.map((r) => r.deviceId),
            when,
          ).toContain(d.deviceId)
        }
        // Fragments typed from IDs: through the IDs' own postings (a count), and through the ranges of the natural order
        // they begin (limits so low that no term drives the search).
        const tiny = new DeviceQueries(core.deviceIndex.db, core.deviceIndex.cells, { enumerate: 40, rows: 15, probe: 10, driver: 60, gather: 150 })
        for (const text of ['k-1', 'k-20']) {
          const expected = written.filter((i) => device(i).deviceId.startsWith(text)).map((i) => `${device(i).typeId}/${device(i).deviceId}`)
          expect((await call('devices:count', { selection: { query: { text } } })).total, `${when}, ${text}`).toBe(expected.length)
          const walked: string[] = []
          await core.deviceIndex.read(async () => {
            for await (const batch of tiny.rows({ query: { text, filters: {}, sort: 'typeId', descending: false }, except: [] })) walked.push(...batch.map((r) => `${r.row.typeId}/${r.row.deviceId}`))
          })
          expect(walked.length, `${when}, ${text}`).toBe(expected.length)
          expect(new Set(walked), `${when}, ${text}`).toEqual(new Set(expected))
        }
        const counted = await call('devices:count', { selection: { query: {} }, by: ['typeId', 'carrier'] })
        expect(counted.total, when).toBe(written.length)
        const expectCount = (test: (i: number) => boolean) => written.filter(test).length
        for (const t of TYPES) expect(counted.facets[0]!.values.find((v) => v.value === t)?.count ?? 0, when).toBe(expectCount((i) => device(i).typeId === t))
        const jasper = await call('devices:count', { selection: { query: { filters: { carrier: ['jasper'], simStatus: ['notCached'] } } } })
        expect(jasper.total, when).toBe(expectCount((i) => device(i).jasper))
      } finally {
        await core.close()
      }
    }
  }, 300_000)
})
