import { afterEach, describe, expect, it } from 'vitest'
import type { OpenProgress } from '../../src-main/core/app'
import { createCore } from '../../src-main/core/app'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { tempDir, testCore } from '../helpers/core'

describe('opening a workspace', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('reports how many devices it has read, page by page, and when it is done', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    const core = await testCore(t.dir)
    const { jobId } = await core.call('import:start', { fileName: 'd.csv' })
    const csv = ['typeId,deviceId', ...Array.from({ length: 12_000 }, (_, i) => `meter,o-${i}`)].join('\n')
    await core.call('import:chunk', { jobId, data: Buffer.from(csv).toString('base64') })
    await core.call('import:finish', { jobId })
    await core.close()

    const seen: OpenProgress[] = []
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }
    const reopened = await createCore({ dataDir: t.dir, mode: 'cli', vault: createMemoryStore(), logger: silent, onOpenProgress: (p) => seen.push(p) })
    await reopened.close()
    expect(seen.map((p) => [p.devices, p.done])).toEqual([
      [5000, false],
      [10_000, false],
      [12_000, false],
      [12_000, true],
    ])
  })
})
