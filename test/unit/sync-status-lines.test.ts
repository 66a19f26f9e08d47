/**
 * `sync status` and `sync start` print the status with counts as the rest of the CLI writes them (1,000,000), whatever
 * the locale, and one document or batch in the singular.
 */
import { describe, expect, it } from 'vitest'
import { stoppedSyncStatus } from '../../src-shared/models/sync'
import { statusLines } from '../../src-main/cli/commands/sync'

describe('the team sync status in the CLI', () => {
  it('writes its counts with thousands separators (cold trial: "pushed 177049"), and one batch as one batch', () => {
    const s = stoppedSyncStatus(true)
    s.push = { ...s.push, docs: 177049, pending: 1200 }
    s.pull = { ...s.pull, docs: 1, pending: null }
    s.firstSync = { batches: 1, docs: 1500, total: 200003, secondsLeft: null }
    s.deniedTotal = 2500
    const lines = statusLines(s)
    expect(lines).toContain('pushed       177,049 (1,200 pending)')
    expect(lines).toContain('pulled       1')
    expect(lines).toContain('first sync   1,500 of 200,003 documents in 1 batch')
    expect(lines).toContain('refused      2,500')
  })
  it("says the server's total is not known yet rather than '0 of 0 documents' (cold trial: credentials refused)", () => {
    const s = stoppedSyncStatus(true)
    s.firstSync = { batches: 0, docs: 0, total: null, secondsLeft: null }
    expect(statusLines(s)).toContain('first sync   reaching the server')
    s.firstSync = { batches: 2, docs: 1, total: null, secondsLeft: null }
    expect(statusLines(s)).toContain('first sync   1 document so far in 2 batches')
  })
})
