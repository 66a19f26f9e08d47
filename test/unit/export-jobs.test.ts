import { describe, expect, it } from 'vitest'
import { createExportJobs, type ExportPart } from '../../src-main/core/common/export-jobs'

describe('export jobs', () => {
  it('ends an export whose part failed: the error reaches the client, no later call says "done" over a cut file, and its slot is free', async () => {
    const jobs = createExportJobs({ onCloseError: () => {}, max: 1, chunkChars: 1 })
    async function* parts(): AsyncGenerator<ExportPart, void, undefined> {
      yield { data: 'a,b\r\n', rows: 0 }
      yield { data: '1,2\r\n', rows: 1 }
      throw new Error('index read failed')
    }
    const { jobId } = jobs.start(3, parts())
    expect(await jobs.next(jobId)).toMatchObject({ data: 'a,b\r\n', done: false })
    expect(await jobs.next(jobId)).toMatchObject({ rows: 1, done: false })
    await expect(jobs.next(jobId)).rejects.toThrow('index read failed')
    await expect(jobs.next(jobId)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(() => jobs.assertRoom()).not.toThrow()
  })

  it('refuses a fifth export while four run, and makes room when one is cancelled', async () => {
    const jobs = createExportJobs({ onCloseError: () => {} })
    async function* endless(): AsyncGenerator<ExportPart, void, undefined> {
      for (;;) yield { data: 'x\r\n', rows: 1 }
    }
    const ids = [1, 2, 3, 4].map(() => jobs.start(0, endless()).jobId)
    expect(() => jobs.assertRoom()).toThrow(/4 exports are running/)
    expect(await jobs.cancel(ids[0]!)).toBe(true)
    expect(() => jobs.assertRoom()).not.toThrow()
    await jobs.close()
  })
})
