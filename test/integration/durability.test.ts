import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { deviceDocId } from '../../src-main/core/store/devices.store'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { tempDir } from '../helpers/core'
import { missingService } from '../helpers/system'

const writer = fileURLToPath(new URL('./fixtures/acked-writer.ts', import.meta.url))

describe('workspace durability', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('keeps every acknowledged write when the writer is killed with SIGKILL mid-stream', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const child = spawn(process.execPath, ['--import', 'tsx', writer, tmp.dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    const acked: string[] = []
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    let partial = ''
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const lines = (partial + d.toString()).split('\n')
        partial = lines.pop() ?? ''
        acked.push(...lines.filter(Boolean))
        // Kill while writes are still streaming, well past start-up.
        if (acked.length >= 300 && !child.killed) {
          child.kill('SIGKILL')
          resolve()
        }
      })
      child.on('exit', () => reject(new Error(`writer exited early: ${stderr}`)))
    })
    expect(await exited).toBe('SIGKILL')

    const ws = await openWorkspace(tmp.dir)
    try {
      const ids = acked.map((deviceId) => deviceDocId({ typeId: 'durable', deviceId }))
      const found = await ws.db.allDocs({ keys: ids })
      const missing = found.rows.filter((r) => !('value' in r) || !r.value || (r.value as { deleted?: boolean }).deleted).map((r) => r.key)
      expect(missing).toEqual([])
      // Each acknowledged change also has its audit entry (written in the same batch).
      const audit = await ws.db.allDocs({ startkey: 'audit:', endkey: 'audit:\ufff0' })
      expect(audit.rows.length).toBeGreaterThanOrEqual(acked.length)
    } finally {
      await ws.close()
    }
  })
})

function straceSkipReason(): string | null {
  try {
    execFileSync('strace', ['-f', '-qq', '-e', 'trace=fdatasync', 'true'], { stdio: 'ignore' })
    return null
  } catch (e) {
    return missingService('strace', `strace cannot trace here (${(e as Error).message}); apt-get install strace`)
  }
}

const WRITES = 40

describe.skipIf(straceSkipReason() !== null)('durability to power loss', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  /**
   * A power cut loses what the operating system had not written to the disk yet, so an acknowledged write must have
   * been synced. strace records, in order, every fsync/fdatasync (with the file it synced) and every write the
   * writer makes, its acknowledgements on stdout included: between two acknowledgements LevelDB's log file must
   * have been synced.
   */
  it("syncs LevelDB's log to the disk before each write is acknowledged", async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const dataDir = join(tmp.dir, 'data')
    const trace = join(tmp.dir, 'trace')
    const r = spawnSync('strace', ['-f', '-y', '-qq', '-e', 'trace=fsync,fdatasync,write', '-e', 'signal=none', '-o', trace, process.execPath, '--import', 'tsx', writer, dataDir, String(WRITES)], {
      encoding: 'utf8',
      timeout: 120_000,
    })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(WRITES)

    const workspaceLog = new RegExp(`^\\d+\\s+f(?:data)?sync\\(\\d+<${join(dataDir, 'workspace').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\d+\\.log>`)
    const ack = /^\d+\s+write\(1<[^>]*>, "d-(\d+)\\n"/
    let syncedSinceAck = 0
    const unsyncedAcks: number[] = []
    let acks = 0
    for (const line of (await readFile(trace, 'utf8')).split('\n')) {
      if (workspaceLog.test(line)) syncedSinceAck++
      const m = ack.exec(line)
      if (!m) continue
      acks++
      if (syncedSinceAck === 0) unsyncedAcks.push(Number(m[1]))
      syncedSinceAck = 0
    }
    expect(acks).toBe(WRITES)
    expect(unsyncedAcks).toEqual([])
  })
})
