/** `fieldline job run`'s progress lines on stderr: the rate and time left only while the job runs (cold trial: "paused: … 0.2/s, ETA 17 min"). */
import { describe, expect, it } from 'vitest'
import { progressLine } from '../../src-main/cli/commands/job'

const counts = { total: 10, pending: 6, sending: 0, done: 3, failed: 1, unknown: 0, skipped: 0 }

describe('job run progress lines', () => {
  it('give the rate and time left of a running job', () => {
    expect(progressLine({ jobId: 'jabc123', state: 'running', counts, ratePerSecond: 2, etaSeconds: 3 })).toMatch(/^jabc123 running: 4\/10 \(done 3, failed 1, unknown 0, pending 6\), 2\.0\/s, ETA /)
  })

  it('give neither for a paused job, which sends nothing', () => {
    expect(progressLine({ jobId: 'jabc123', state: 'paused', counts, ratePerSecond: 0.2, etaSeconds: 1020 })).toBe('jabc123 paused: 4/10 (done 3, failed 1, unknown 0, pending 6)')
  })
})
