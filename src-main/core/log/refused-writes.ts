/**
 * A write the disk refused (full, or read-only: storageProblem) that a background task keeps and tries again within
 * the session, as the Orange ticket follower does with a ticket's outcome: how long to wait before the next attempt
 * (the back-off of backoff.ts, so a refusing disk is not hammered in a loop), and the log. The log says so once when
 * the disk starts refusing, then at most once every `remindEveryMs` with how many more refusals there were
 * (rate-limited.ts: an outage of hours shows in the log's tail without a line per attempt), and once when a write
 * lands again.
 */
import { backoffDelay } from '../common/backoff'
import { storageProblem } from '../common/storage-errors'
import type { Logger } from './logger'
import { rateLimitedWarning } from './rate-limited'

/** A quarter of an hour between two warnings of the same outage. */
export const REFUSED_WRITES_REMIND_MS = 15 * 60_000

export interface RefusedWritesOptions {
  /** What is kept, for the log: "an Orange ticket's outcome". */
  what: string
  /** The back-off between attempts; its maxMs bounds the wait once the disk takes writes again. */
  backoff: { minMs: number; maxMs: number }
  logger?: Logger | undefined
  remindEveryMs?: number
}

export function createRefusedWrites({ what, backoff, logger, remindEveryMs = REFUSED_WRITES_REMIND_MS }: RefusedWritesOptions) {
  let refusals = 0
  const warn = logger ? rateLimitedWarning(logger, `the disk refuses writes: ${what} is kept and written as soon as it takes them again`, remindEveryMs) : undefined

  return {
    /**
     * After a failed write: the delay before trying again when the disk refused it, or undefined for any other
     * failure (which is not the disk's to fix, and is not retried here).
     */
    refused(error: unknown): number | undefined {
      const problem = storageProblem(error)
      if (problem === undefined) return undefined
      refusals += 1
      warn?.({ problem, refusals })
      return backoffDelay(refusals, backoff)
    },

    /** After a write that went through: ends an outage (said in the log) and starts the back-off over. */
    landed(): void {
      if (refusals === 0) return
      // The refusals not said yet are said now, and the next outage is warned of at once.
      warn?.flush()
      logger?.info({ refusals }, `the disk takes writes again: ${what} is written`)
      refusals = 0
    },

    /** At close: the refusals not said yet. */
    flush(): void {
      warn?.flush()
    },
  }
}

export type RefusedWrites = ReturnType<typeof createRefusedWrites>
