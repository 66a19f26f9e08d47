import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { deviceDocId } from '../../src-main/core/store/devices.store'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { tempDir } from '../helpers/core'

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
