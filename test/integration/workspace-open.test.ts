import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { OpenProgress } from '../../src-main/core/app'
import { createCore } from '../../src-main/core/app'
import { IMPORT_BATCH } from '../../src-main/core/devices/import.service'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { silentLogger, tempDir, testCore } from '../helpers/core'

async function open(dataDir: string): Promise<{ seen: OpenProgress[]; total: number }> {
  const seen: OpenProgress[] = []
  const core = await createCore({ dataDir, mode: 'cli', vault: createMemoryStore(), logger: silentLogger, onOpenProgress: (p) => seen.push(p) })
  const counted = await core.dispatcher.invoke('devices:count', { selection: { query: {} } })
  const total = counted.ok ? (counted.value as { total: number }).total : -1
  await core.close()
  return { seen, total }
}

describe('opening a workspace', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('builds the device index once for a workspace that has none, page by page with progress, then opens without reading the devices', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    const core = await testCore(t.dir)
    const { jobId } = await core.call('import:start', { fileName: 'd.csv' })
    const csv = ['typeId,deviceId', ...Array.from({ length: 5_000 }, (_, i) => `meter,o-${i}`)].join('\n')
    await core.call('import:chunk', { jobId, data: Buffer.from(csv).toString('base64') })
    await core.call('import:finish', { jobId })
    await core.close()
    // A workspace from before the index (or whose index folder was lost): built from the changes feed, 2,000 at a time.
    await rm(join(t.dir, 'indexes'), { recursive: true, force: true })

    const built = await open(t.dir)
    expect(built.total).toBe(5_000)
    expect(built.seen.every((p) => p.building)).toBe(true)
    expect(built.seen.at(-1)).toMatchObject({ devices: 5_000, done: true })
    // The devices, the import's start, one entry per batch and its end, applied in pages of 2,000.
    const changes = 5_000 + Math.ceil(5_000 / IMPORT_BATCH) + 2
    expect(built.seen.filter((p) => !p.done).map((p) => p.changes)).toEqual([2000, 4000, changes])

    // Opened again: nothing to build, nothing to catch up.
    const reopened = await open(t.dir)
    expect(reopened.total).toBe(5_000)
    expect(reopened.seen).toEqual([expect.objectContaining({ devices: 5_000, done: true, building: false, changes: 0 })])
  })
})
