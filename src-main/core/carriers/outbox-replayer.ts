import type { Output } from '../../../src-shared/contract'
import { backoffDelay } from '../common/backoff'
import type { EventBus } from '../common/events'
import type { Logger } from '../log/logger'

type ReplayCounts = Output<'outbox:replay'>

export interface OutboxReplayerDeps {
  bus: EventBus
  /** Accounts (carrier-reach.ts) with a queued change an automatic replay would send. */
  waiting(): Promise<string[]>
  /** The automatic replay of one account's queued changes (sim.service.ts outboxReplay). */
  replay(account: string): Promise<ReplayCounts>
  /** Back-off of the tries while changes wait and their carrier cannot be reached. */
  retry: { minMs: number; maxMs: number }
  logger?: Logger
  random?: () => number
}

/**
 * Sends, by itself, the queued changes that are safe to send twice (a status, a rate plan) once their carrier answers
 * again: when a call to the account succeeds after one could not reach it, and on a timer that backs off while changes
 * wait. Which changes go and which wait for the operator (an SMS, and what follows it for the same SIM) is the
 * automatic replay's rule (sim.service.ts). Runs in the core, so the CLI and serve mode replay as the window does; the
 * views hear `outbox:replayed` and offer to send what was held.
 */
export function createOutboxReplayer({ bus, waiting, replay, retry, logger, random }: OutboxReplayerDeps) {
  /** The replay running per account: one at a time, and an ask while one runs is answered by it. */
  const running = new Map<string, Promise<ReplayCounts | null>>()
  let timer: NodeJS.Timeout | null = null
  let failures = 0
  let closed = false

  function replayAccount(account: string): Promise<ReplayCounts | null> {
    const current = running.get(account)
    if (current) return current
    const run = replay(account)
      .then((counts) => {
        // A replay the carrier stopped (still unreachable) has nothing to tell yet; the next one will.
        if (counts.pending === 0 && counts.done + counts.failed + counts.unknown + counts.held > 0) bus.emit('outbox:replayed', { done: counts.done, failed: counts.failed, held: counts.held })
        return counts
      })
      .catch((e: unknown) => {
        logger?.warn({ err: e, account }, 'the automatic replay of the outbox failed')
        return null
      })
      .finally(() => running.delete(account))
    running.set(account, run)
    return run
  }

  function arm(): void {
    if (timer || closed) return
    timer = setTimeout(() => void tick(), backoffDelay(failures + 1, retry, random))
    timer.unref?.()
  }

  async function tick(): Promise<void> {
    timer = null
    let offline = false
    try {
      for (const account of await waiting()) {
        if (closed) return
        const counts = await replayAccount(account)
        if (!counts || counts.pending > 0) offline = true
      }
    } catch (e) {
      logger?.warn({ err: e }, 'the outbox could not be read for its automatic replay')
      offline = true
    }
    if (!offline) {
      failures = 0
      return
    }
    failures++
    arm()
  }

  const unsubscribe = bus.subscribe((event, payload) => {
    if (event === 'outbox:changed' && (payload as { pending: number }).pending > 0) arm()
  })
  // Changes an earlier session queued wait for the first try.
  arm()

  return {
    /** A call to `account` could not reach it (carrier-reach.ts watchReturns): its changes wait for the tries. */
    lost(): void {
      if (!closed) arm()
    },

    /** A call to `account` succeeded after one could not reach it (carrier-reach.ts watchReturns). */
    back(account: string): void {
      if (!closed) void replayAccount(account)
    },

    async close(): Promise<void> {
      closed = true
      unsubscribe()
      if (timer) clearTimeout(timer)
      timer = null
      await Promise.all(running.values())
    },
  }
}

export type OutboxReplayer = ReturnType<typeof createOutboxReplayer>
