/**
 * Abandoning a large draft: a cold trial in serve mode waited seconds on a draft of 75,300 rows while its page still
 * said "Draft". The core read every row to find those on the wire, which a job that never ran cannot have; it now
 * abandons a draft without reading its rows, and leaves them as they were.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { countRows, readRows } from '../../src-main/core/jobs/jobs.store'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

const ROWS = 75_300
/** Distinct 20-digit ICCIDs; pre-flight would find their Luhn digits wrong, which a draft never checks. */
const iccids = Array.from({ length: ROWS }, (_, i) => `8988216716${String(i).padStart(10, '0')}`)

describe('abandoning a draft of 75,300 rows', () => {
  let core: TestCore
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir)
    await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: 'http://127.0.0.1:9', username: 'ops' }, secrets: { apiKey: 'draft-test-key-Q7' } })
  }, 120_000)
  afterAll(async () => {
    await core.close()
    await cleanup()
  })

  it('reads none of its rows, leaves them as they were, and says the job is cancelled', async () => {
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: ['iccid', ...iccids].join('\n') }, params: { status: 'deactivated' } })
    expect(job).toMatchObject({ state: 'draft', counts: { total: ROWS } })
    const before = countRows(await readRows(core.workspace.db, job.id))

    const reads = vi.spyOn(core.workspace.db, 'allDocs')
    const started = performance.now()
    const cancelled = await core.call('jobs:cancel', { jobId: job.id })
    // Measured, not asserted (no timed assertions): the report quotes it.
    console.info(`abandoning a draft of ${ROWS} rows took ${Math.round(performance.now() - started)} ms`)
    const rowReads = reads.mock.calls.filter(([options]) => String((options as { startkey?: string } | undefined)?.startkey ?? '').includes(job.id))
    reads.mockRestore()

    expect(rowReads).toEqual([])
    expect(cancelled).toMatchObject({ id: job.id, state: 'cancelled', counts: { total: ROWS } })
    expect(countRows(await readRows(core.workspace.db, job.id))).toEqual(before)
    expect((await core.call('jobs:status', { jobId: job.id })).job.state).toBe('cancelled')
  }, 300_000)
})
