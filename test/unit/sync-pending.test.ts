/**
 * Team sync's "documents pending" each way: the server's own count when its changes feed gives one, otherwise the
 * source's latest sequence less the batch's, never negative, and unknown for an opaque sequence (CouchDB 2+, Cloudant).
 */
import { describe, expect, it } from 'vitest'
import { pendingAfterBatch, seqNumber } from '../../src-main/core/sync/sync.service'

describe('pendingAfterBatch', () => {
  it("takes the server's pending count when its changes feed gives one", () => {
    expect(pendingAfterBatch({ pending: 42, last_seq: '7-g1AAAA' }, null)).toBe(42)
  })

  it("counts the sequences left between the batch and the source's latest (numbers or digit strings)", () => {
    expect(pendingAfterBatch({ last_seq: 1000 }, 100_003)).toBe(99_003)
    expect(pendingAfterBatch({ last_seq: '2000' }, '2500')).toBe(500)
  })

  it('never goes below zero when the source was read before the batch caught up with it', () => {
    expect(pendingAfterBatch({ last_seq: 120 }, 100)).toBe(0)
  })

  it('is unknown for an opaque sequence without a pending count, or an unknown latest', () => {
    expect(pendingAfterBatch({ last_seq: '12-g1AAAAFTeJzLYWBg' }, 40)).toBeNull()
    expect(pendingAfterBatch({ last_seq: 12 }, null)).toBeNull()
    expect(seqNumber('12-abc')).toBeNull()
  })
})
