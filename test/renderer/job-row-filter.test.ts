/**
 * Cold trial: a draft or cancelled job's rows filter offered "Interrupted … (0)", a state its rows cannot be in. The
 * filter offers the states the job's rows can be in, any that has rows, and the one chosen.
 */
import { describe, expect, it } from 'vitest'
import { offeredRowStates, type JobRowState } from '../../src-shared/models/sim-jobs'

const none: Record<JobRowState, number> = { pending: 0, sending: 0, done: 0, failed: 0, unknown: 0, skipped: 0 }

describe('the job page’s rows filter', () => {
  it('offers a draft only rows to send, a checked job those and skipped ones', () => {
    expect(offeredRowStates({ state: 'draft', counts: { ...none, pending: 3 } }, '')).toEqual(['pending'])
    expect(offeredRowStates({ state: 'ready', counts: { ...none, pending: 3 } }, '')).toEqual(['pending', 'skipped'])
  })

  it('never offers rows on their way (interrupted) once a job is cancelled or done, nor rows to send in a done job', () => {
    expect(offeredRowStates({ state: 'cancelled', counts: { ...none, pending: 2 } }, '')).toEqual(['pending', 'done', 'failed', 'unknown', 'skipped'])
    expect(offeredRowStates({ state: 'done', counts: { ...none, done: 2 } }, '')).toEqual(['done', 'failed', 'unknown', 'skipped'])
  })

  it('offers every state while a job runs or is paused (a paused row on its way shows as interrupted)', () => {
    for (const state of ['running', 'paused'] as const) expect(offeredRowStates({ state, counts: none }, '')).toEqual(['pending', 'sending', 'done', 'failed', 'unknown', 'skipped'])
  })

  it('still offers a state that has rows, and the one chosen, should the job have moved on', () => {
    expect(offeredRowStates({ state: 'done', counts: { ...none, done: 1, sending: 1 } }, '')).toContain('sending')
    expect(offeredRowStates({ state: 'cancelled', counts: none }, 'sending')).toContain('sending')
  })
})
