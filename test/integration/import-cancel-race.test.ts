/**
 * A cancel under way while the window still sends the file: the app's import panel sends its next chunk as soon as the
 * last one is answered, so a chunk can arrive after the cancel and before the core has ended the job. Such a chunk must
 * be refused, not run after the job's end: it wrote a batch the end entry did not count, and recorded the cancelled
 * import as running again, so the next start reported it as cut short by the process stopping (a cold trial: a
 * 200,000-device file cancelled and imported again in serve mode, then SIGKILLed).
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { ImportReport } from '../../src-shared/contract'
import { IMPORT_BATCH } from '../../src-main/core/devices/import.service'
import { tempDir, testCore } from '../helpers/core'

const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => `meter,c-${from + i}`).join('\n') + '\n'
const base64 = (text: string) => Buffer.from(text).toString('base64')

describe('import: cancel while chunks are still coming', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('refuses a chunk that arrives while the cancel is under way: nothing is written after the end, the trail and the next start stay true', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    let core = await testCore(tmp.dir)
    try {
      const { jobId } = await core.call('import:start', { fileName: 'fleet.csv' })
      // The chunk in hand, the cancel, and the next chunk the panel sent before the cancel was answered: all three reach
      // the core before the first is done writing its batch.
      const first = core.dispatcher.invoke('import:chunk', { jobId, data: base64(`typeId,deviceId\n${rows(0, IMPORT_BATCH + 10)}`) })
      const cancel = core.dispatcher.invoke('import:cancel', { jobId })
      const late = core.dispatcher.invoke('import:chunk', { jobId, data: base64(rows(IMPORT_BATCH + 10, IMPORT_BATCH)) })
      const again = core.dispatcher.invoke('import:cancel', { jobId })
      const finish = core.dispatcher.invoke('import:finish', { jobId })
      // The parser keeps the last line of a chunk, which could go on in the next one.
      const added = IMPORT_BATCH + 9
      expect(await first).toMatchObject({ ok: true, value: { rows: added } })
      expect(await cancel).toEqual({ ok: true, value: { cancelled: true } })
      expect(await late).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
      expect(await again).toEqual({ ok: true, value: { cancelled: false } })
      expect(await finish).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })

      // The workspace holds what the end entry says was added, and nothing of the late chunk.
      expect((await core.call('devices:count', { selection: { query: { text: '', filters: {}, sort: 'typeId', descending: false }, except: [] }, by: [] })).total).toBe(added)
      expect(await core.dispatcher.invoke('devices:get', { typeId: 'meter', deviceId: `c-${IMPORT_BATCH + 10}` })).toMatchObject({ ok: false })
      const trail = (await core.call('audit:list', { query: jobId, limit: 50 })).items
      const ends = trail.filter((e) => e.action === 'devices.import')
      expect(ends).toHaveLength(1)
      expect(ends[0]).toMatchObject({ after: { added, cancelled: true } })
      const batches = trail.filter((e) => e.action === 'devices.import.batch')
      expect(batches.reduce((n, e) => n + (e.after as { added: number }).added, 0)).toBe(added)
    } finally {
      await core.close()
    }

    // The cancelled import is not reported as cut short by the process stopping.
    core = await testCore(tmp.dir)
    try {
      expect(core.interruptedImports).toEqual([])
      const report: ImportReport = await (async () => {
        const { jobId } = await core.call('import:start', { fileName: 'fleet.csv' })
        await core.call('import:chunk', { jobId, data: base64(`typeId,deviceId\n${rows(0, IMPORT_BATCH + 20)}`) })
        return core.call('import:finish', { jobId })
      })()
      expect(report).toMatchObject({ added: 11, existing: IMPORT_BATCH + 9 })
    } finally {
      await core.close()
    }
  })
})
