/**
 * The import panel, cancelled while a chunk is on its way, then given the same file again before the core answered:
 * the cancelled run stops for good. It used to read a flag the next run set back, send the rest of its file to the
 * cancelled job, and, once the core refused that job, cancel the next run's job and show "This import is no longer
 * running" over it (a cold trial in serve mode, with a 200,000-device file).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Input } from '../../src-shared/contract'
import { ok } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { importJob } = await import('../../src-renderer/src/lib/state/import.svelte')

/** A CSV of a few chunks. */
const file = () => new File([`typeId,deviceId\n${Array.from({ length: 60_000 }, (_, i) => `meter,m-${i}`).join('\n')}\n`], 'fleet.csv', { type: 'text/csv' })
const chunkOf = (jobId: string) => (input: Input<'import:chunk'>) => input.jobId === jobId
const chunksOf = (jobId: string) => fake.pending('import:chunk').filter((c) => (c.input as Input<'import:chunk'>).jobId === jobId)

describe('the import panel', () => {
  beforeEach(() => {
    fake.calls.length = 0
    importJob.reset()
  })

  it('stops a cancelled run for good when the next file starts before the core answered its last chunk', async () => {
    const first = importJob.run(file())
    fake.answer('import:start', ok({ jobId: 'job-1', format: 'csv' }))
    await vi.waitFor(() => expect(chunksOf('job-1')).toHaveLength(1))

    // Cancelled while its chunk is on its way; the operator closes the panel and picks the file again.
    const cancelled = importJob.cancel()
    fake.answer('import:cancel', ok({ cancelled: true }))
    await cancelled
    importJob.reset()
    const second = importJob.run(file())
    fake.answer('import:start', ok({ jobId: 'job-2', format: 'csv' }))
    await vi.waitFor(() => expect(chunksOf('job-2')).toHaveLength(1))

    // The core answers the first run's chunk: that run sends nothing more.
    fake.answerWhere('import:chunk', chunkOf('job-1'), ok({ rows: 9000 }))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(chunksOf('job-1')).toHaveLength(0)
    expect(fake.pending('import:finish')).toHaveLength(0)
    expect(fake.pending('import:cancel')).toHaveLength(0)
    expect(importJob).toMatchObject({ phase: 'running', fileName: 'fleet.csv', error: null })
    await first

    // The second run goes on to its end, and its report is what the panel shows.
    for (;;) {
      await vi.waitFor(() => expect(fake.pending('import:chunk').length + fake.pending('import:finish').length).toBeGreaterThan(0))
      if (fake.pending('import:finish').length > 0) break
      fake.answerWhere('import:chunk', chunkOf('job-2'), ok({ rows: 0 }))
    }
    fake.answer('import:finish', ok({ jobId: 'job-2', rows: 60_000, added: 0, failed: 60_000, existing: 60_000, errors: [] }))
    await second
    expect(importJob).toMatchObject({ phase: 'done', rows: 60_000, failed: 60_000, error: null })
  })

  it('says the refusal of a cancelled run only while the panel still shows it', async () => {
    const first = importJob.run(file())
    fake.answer('import:start', ok({ jobId: 'job-1', format: 'csv' }))
    await vi.waitFor(() => expect(chunksOf('job-1')).toHaveLength(1))
    const cancelled = importJob.cancel()
    fake.answer('import:cancel', { ok: false, error: { code: 'INTERNAL', message: 'the core could not end it' } })
    await cancelled
    expect(importJob.error).toMatchObject({ message: 'the core could not end it' })
    fake.answerWhere('import:chunk', chunkOf('job-1'), ok({ rows: 9000 }))
    await first
    expect(importJob.phase).toBe('cancelled')
  })

  it('shows only the refusal of a file refused for its header: no bytes sent, no bar, no counts of nothing', async () => {
    const semicolons = new File(['typeId;deviceId\nmeter;m-1\n'], 'fleet.csv', { type: 'text/csv' })
    const run = importJob.run(semicolons)
    expect(importJob).toMatchObject({ showsProgress: true, showsCounts: true })
    fake.answer('import:start', ok({ jobId: 'job-h', format: 'csv' }))
    await vi.waitFor(() => expect(chunksOf('job-h')).toHaveLength(1))
    fake.answer('import:chunk', { ok: false, error: { code: 'VALIDATION', message: 'bad header', details: { ref: { key: 'import.otherSeparator', params: { separator: ';' } } } } })
    await vi.waitFor(() => expect(fake.pending('import:cancel')).toHaveLength(1))
    fake.answer('import:cancel', ok({ cancelled: true }))
    await run
    expect(importJob).toMatchObject({ phase: 'failed', error: { message: 'bad header' }, showsProgress: false, showsCounts: false })
  })

  it('keeps the counts of the rows read before a refusal further into the file', async () => {
    const run = importJob.run(file())
    fake.answer('import:start', ok({ jobId: 'job-r', format: 'csv' }))
    await vi.waitFor(() => expect(chunksOf('job-r')).toHaveLength(1))
    fake.emit('job:progress', { jobId: 'job-r', kind: 'import', rows: 9000, added: 9000, failed: 0, existing: 0, done: false })
    fake.answer('import:chunk', { ok: false, error: { code: 'VALIDATION', message: 'not UTF-8' } })
    await vi.waitFor(() => expect(fake.pending('import:cancel')).toHaveLength(1))
    fake.answer('import:cancel', ok({ cancelled: true }))
    await run
    expect(importJob).toMatchObject({ phase: 'failed', rows: 9000, showsProgress: false, showsCounts: true })
  })
})
