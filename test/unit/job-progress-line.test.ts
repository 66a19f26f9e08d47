/** `fieldline job`: run's progress lines on stderr (the rate and time left only while the job runs; cold trial: "paused: … 0.2/s, ETA 17 min"), and a job id or status refused as typed. */
import { describe, expect, it } from 'vitest'
import { jobIdArgument, jobStatusOption, progressLine } from '../../src-main/cli/commands/job'

const counts = { total: 10, pending: 6, sending: 0, done: 3, failed: 1, unknown: 0, skipped: 0 }

describe('job run progress lines', () => {
  it('give the rate and time left of a running job', () => {
    expect(progressLine({ jobId: 'jabc123', state: 'running', counts, ratePerSecond: 2, etaSeconds: 3 })).toMatch(/^jabc123 running: 4\/10 \(done 3, failed 1, unknown 0, pending 6\), 2\.0\/s, ETA /)
  })

  it('give neither for a paused job, which sends nothing', () => {
    expect(progressLine({ jobId: 'jabc123', state: 'paused', counts, ratePerSecond: 0.2, etaSeconds: 1020 })).toBe('jabc123 paused: 4/10 (done 3, failed 1, unknown 0, pending 6)')
  })
})

describe('job run progress lines, rows on their way', () => {
  it('count the rows being sent, so that done, failed, unknown, sending and pending add up to the rows to send', () => {
    const sending = { total: 42, pending: 25, sending: 5, done: 10, failed: 0, unknown: 0, skipped: 2 }
    expect(progressLine({ jobId: 'jabc123', state: 'running', counts: sending, ratePerSecond: 5, etaSeconds: 6 })).toMatch(
      /^jabc123 running: 10\/40 \(done 10, failed 0, unknown 0, sending 5, pending 25\), 5\.0\/s/,
    )
  })
})

describe('job ids and statuses as typed', () => {
  it('refuses a mistyped job id in the command’s terms, not the core channel’s', () => {
    expect(() => jobIdArgument('nosuchjob')).toThrow('fieldline: "nosuchjob" is not a job id (j followed by letters and digits, as `job create` printed it)')
    expect(() => jobIdArgument('nosuchjob')).not.toThrow(/jobs:|jobId/)
    expect(jobIdArgument('jmxcpvimgdea10f')).toBe('jmxcpvimgdea10f')
  })

  it('takes a status in Control Center’s spelling too (which sim status documents), and refuses an unknown one with the spelling it takes', () => {
    expect(jobStatusOption('DEACTIVATED')).toBe('deactivated')
    expect(jobStatusOption('ACTIVATION_READY')).toBe('activationReady')
    expect(jobStatusOption('deactivated')).toBe('deactivated')
    expect(() => jobStatusOption('FROZEN')).toThrow(
      'fieldline: --status takes one of inventory, activationReady, activated, deactivated, retired, activatedForTest, sleeping, suspended (got "FROZEN")',
    )
  })
})
