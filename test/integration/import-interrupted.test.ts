import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { AuditEntry } from '../../src-shared/contract'
import { IMPORT_BATCH } from '../../src-main/core/devices/import.service'
import { tempDir, testCore } from '../helpers/core'

const importer = fileURLToPath(new URL('./fixtures/importer.ts', import.meta.url))
const ROWS = 20_000

/**
 * Runs the importer and SIGKILLs it when `killWhen` says so, given each line it printed; returns the job and the most
 * devices a progress event said were added before the kill (what the import panel showed).
 */
async function importAndKill(dataDir: string, file: string, killWhen: (line: string) => boolean): Promise<{ jobId: string; published: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', importer, dataDir, file], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
  let partial = ''
  let jobId = ''
  let published = 0
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        if (line.startsWith('started ')) jobId = line.slice(8)
        if (!child.killed && line.startsWith('progress ')) published = Math.max(published, Number(line.slice(9)))
        if (!child.killed && killWhen(line)) {
          child.kill('SIGKILL')
          resolve()
        }
      }
    })
    child.on('exit', () => reject(new Error(`the importer ended before it was killed: ${stderr}`)))
  })
  expect(await exited).toBe('SIGKILL')
  return { jobId, published }
}

describe('an import killed with SIGKILL leaves a truthful audit trail', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('at start, between batches and mid-stream: every device written is in exactly one batch entry, and the import is recorded as interrupted once', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const file = join(tmp.dir, 'kill.csv')
    await writeFile(file, ['typeId,deviceId', ...Array.from({ length: ROWS }, (_, i) => `meter,k-${i}`)].join('\n'))
    const mid = IMPORT_BATCH + 1000 + Math.floor(Math.random() * 10_000)
    const acked = (rows: number) => (line: string) => line.startsWith('ack ') && Number(line.slice(4)) >= rows
    // [when, kill condition, devices written at least: a batch is written before its last row is acknowledged]
    const written = (rows: number) => Math.floor(rows / IMPORT_BATCH) * IMPORT_BATCH
    const between = IMPORT_BATCH + 500
    const shown = (added: number) => (line: string) => line.startsWith('progress ') && Number(line.slice(9)) >= added
    const killPoints: [string, (line: string) => boolean, number][] = [
      ['right after the start was recorded', (line) => line.startsWith('started '), 0],
      [`after ${between} rows were acknowledged`, acked(between), written(between)],
      [`after ${mid} rows were acknowledged`, acked(mid), written(mid)],
      // The panel's "added" comes from these events: a device it counted must be in the workspace after the kill.
      [`once progress said ${2 * IMPORT_BATCH} devices were added`, shown(2 * IMPORT_BATCH), 2 * IMPORT_BATCH],
    ]
    for (const [index, [when, killWhen, atLeast]] of killPoints.entries()) {
      const dataDir = join(tmp.dir, `data-${index}`)
      const { jobId, published } = await importAndKill(dataDir, file, killWhen)
      expect(jobId, when).not.toBe('')

      // The next start finds the import the process did not live to end.
      let core = await testCore(dataDir)
      const total = (await core.call('devices:list', {})).total
      const devices = new Set<string>()
      for (let offset = 0; offset < total; offset += 1000) for (const d of (await core.call('devices:list', { offset, limit: 1000 })).items) devices.add(`${d.typeId}/${d.deviceId}`)
      expect(total, when).toBeGreaterThanOrEqual(atLeast)
      expect(total, when).toBeGreaterThanOrEqual(published)
      expect(total, when).toBeLessThan(ROWS)
      const trail: AuditEntry[] = []
      for (let offset = 0; ; offset += 1000) {
        const page = await core.call('audit:list', { query: jobId, offset, limit: 1000 })
        trail.push(...page.items)
        if (trail.length >= page.total) break
      }
      const count = (action: string) => trail.filter((e) => e.action === action).length
      expect(count('devices.import.start'), when).toBe(1)
      expect(count('devices.import'), when).toBe(0)
      expect(count('devices.import.interrupted'), when).toBe(1)
      // Every row of the file is a device (line L is meter/k-(L-2)): the batches' row ranges name exactly the devices written.
      const batched = trail
        .filter((e) => e.action === 'devices.import.batch')
        .flatMap((e) => {
          const { rows, added } = e.after as { rows: [number, number]; added: number }
          expect(rows[1] - rows[0] + 1, when).toBe(added)
          return Array.from({ length: added }, (_, i) => `meter/k-${rows[0] + i - 2}`)
        })
      expect(batched.length, when).toBe(total)
      expect(new Set(batched), when).toEqual(devices)
      const interrupted = trail.find((e) => e.action === 'devices.import.interrupted')
      expect(interrupted, when).toMatchObject({ outcome: 'failed', target: 'kill.csv', actor: 'cli:importer', after: { added: total } })
      // The CLI says so on stderr as it opens the workspace (runtime.ts), from what the opening found.
      expect(core.interruptedImports, when).toEqual([{ fileName: 'kill.csv', startedAt: expect.any(String), rows: expect.any(Number), added: total, failed: 0, existing: 0 }])

      // Recorded once: the next start has nothing left to report.
      await core.close()
      core = await testCore(dataDir)
      expect((await core.call('audit:list', { query: 'devices.import.interrupted' })).total, when).toBe(1)
      expect(core.interruptedImports, when).toEqual([])
      await core.close()
    }
  })
})
