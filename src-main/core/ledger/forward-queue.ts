/**
 * The forward queue: every device event a route accepts becomes an item, pending → submitted → committed, or failed
 * with its error by name. It is the workspace that remembers, so a restart (or kill -9) resumes exactly where the
 * last acknowledged write left off:
 *
 * - an item is written before anything is sent, under an id that is its idempotency key (a second copy of the same
 *   event is a conflict, not a second item);
 * - a call is signed, written down (state submitted, with the signed bytes) and only then sent; after a restart the
 *   same bytes are sent again, which a ledger executes at most once (docs/wire/ledger.md §2, §1);
 * - a transient failure (node down, timeout) retries with back-off and never gives up; a refusal by the contract
 *   (a revert, an endorsement error) or by the route (a transform error) fails the item, and the operator retries it
 *   after fixing the cause.
 *
 * Throughput without giving any of that up: due items are taken a batch at a time per target; their calls are signed
 * together (EVM: consecutive nonces, the gas estimates run at once), all written down, then all sent; and every
 * workspace write of the queue goes through one group writer, so writes asked for together share one synced
 * `bulkDocs` (group-writer.ts). A batch of 1 works one item at a time.
 */
import type { ForwardItem, LedgerFailure } from '../../../src-shared/models/ledger'
import { FORWARD_STATES } from '../../../src-shared/models/ledger'
import { backoffDelay } from '../common/backoff'
import { isAppError } from '../common/errors'
import type { Logger } from '../log/logger'
import { getOrNull, isConflict, type Db } from '../store/documents'
import { CallFailure, type Call, type LedgerAdapter, type SendOutcome } from './ledger-adapter'
import { scanItems, toItem, type ItemDoc } from './ledger.store'
import { createGroupWriter } from './group-writer'
import type { LaneNonces, NonceLanes } from './nonce-lanes'

/** A refusal of the room itself (no signer key, a function the ABI lacks) by its message key. */
function failureOf(e: unknown): LedgerFailure {
  if (isAppError(e)) return { code: e.code, name: e.details?.ref?.key.split('.').at(-1) ?? e.code, message: e.message.slice(0, 300) }
  return { code: 'INTERNAL', name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message.slice(0, 300) : String(e).slice(0, 300) }
}

export type Counts = Record<ForwardItem['state'], number>

/** What an item needs from the rest of the room: its call (or why there is none) and its target's adapter. */
export interface QueueDeps {
  db: Db
  lanes: NonceLanes
  logger: Logger
  resolve(item: ItemDoc): Promise<{ call: Call; targetId: string } | { failure: LedgerFailure }>
  adapter(targetId: string): Promise<LedgerAdapter>
  onChange(counts: Counts): void
  retry?: { minMs: number; maxMs: number }
  /** How often submitted items are checked for their commit. */
  confirmEveryMs?: number
  /** Items signed, written and sent together per target, and documents per workspace write (1: one at a time). */
  batch?: number
}

/** Due items taken per round of the loop (worked through `batch` at a time). */
const ROUND = 400
const CONFIRM_PARALLEL = 64

export function createForwardQueue(deps: QueueDeps) {
  const { db, lanes, logger } = deps
  const retry = deps.retry ?? { minMs: 500, maxMs: 60_000 }
  const batch = deps.batch ?? 100
  const writer = createGroupWriter(db, batch)
  /** Items not yet final, by id; committed and failed ones live only in the workspace. */
  const open = new Map<string, ItemDoc>()
  const counts: Counts = Object.fromEntries(FORWARD_STATES.map((s) => [s, 0])) as Counts
  let running = false
  let loop: Promise<void> | undefined
  let wake: (() => void) | undefined
  let loaded = false
  const enqueuing = new Set<string>()

  function changed(): void {
    deps.onChange({ ...counts })
  }

  /** Writes documents through the group writer; throws (with PouchDB's status) when any of them failed. */
  async function bulk(docs: object[]): Promise<PouchDB.Core.Response[]> {
    const results = await writer.write(docs)
    const failed = results.find((r) => 'error' in r && r.error) as PouchDB.Core.Error | undefined
    if (failed) throw Object.assign(new Error(failed.message ?? 'write failed'), { status: failed.status })
    return results as PouchDB.Core.Response[]
  }

  async function write(doc: ItemDoc, next: Partial<ItemDoc>): Promise<void> {
    const before = doc.state
    const updated: ItemDoc = { ...doc, ...next, updatedAt: new Date().toISOString() }
    const [res] = await bulk([updated])
    Object.assign(doc, updated, { _rev: res!.rev })
    if (before !== doc.state) {
      counts[before]--
      counts[doc.state]++
    }
    if (doc.state === 'committed' || doc.state === 'failed') open.delete(doc._id)
    else open.set(doc._id, doc)
    changed()
  }

  function later(doc: ItemDoc): string {
    return new Date(Date.now() + backoffDelay(doc.attempts, retry)).toISOString()
  }

  /** The nonces of the lane's transactions written down and not seen committed (nonce-lanes.ts). */
  function written(lane: string): number[] {
    const nonces: number[] = []
    for (const doc of open.values()) if (doc.submission?.lane === lane && doc.submission.nonce !== null) nonces.push(doc.submission.nonce)
    return nonces
  }

  /** What a failed prepare means for its item: wait and try again (transient), or failed by name. */
  function prepareFailure(doc: ItemDoc, e: unknown): Partial<ItemDoc> {
    const attempts = doc.attempts + 1
    const failure = e instanceof CallFailure ? e.failure : failureOf(e)
    const transient = e instanceof CallFailure ? e.transient : false
    return transient ? { attempts, lastError: failure, nextAttemptAt: later({ ...doc, attempts }) } : { attempts, state: 'failed', lastError: failure, nextAttemptAt: null }
  }

  /**
   * Signs the calls of one target together (EVM: consecutive nonces of its lane), writes them all down, then sends
   * them all. A call is sent only once its signed transaction is written; a nonce whose transaction never reaches the
   * node (not signed, not written, refused) is given back.
   */
  async function prepareAndSend(adapter: LedgerAdapter, items: { doc: ItemDoc; call: Call }[], nonces: LaneNonces | null): Promise<void> {
    const prepared = await Promise.all(
      items.map(async ({ doc, call }) => {
        const nonce = nonces ? nonces.take() : null
        try {
          return { doc, submission: await adapter.prepare(call, nonce) }
        } catch (e) {
          if (nonce !== null) nonces!.giveBack(nonce)
          return { doc, error: e }
        }
      }),
    )
    // Written down before anything is sent: from here on the same bytes are what gets sent, however often.
    const writtenDown = await Promise.all(
      prepared.map(async (p) => {
        try {
          if (p.submission) await write(p.doc, { attempts: p.doc.attempts + 1, state: 'submitted', submission: p.submission, lastError: null, nextAttemptAt: null })
          else await write(p.doc, prepareFailure(p.doc, p.error))
          return p.submission ? { doc: p.doc, submission: p.submission } : null
        } catch (e) {
          if (p.submission?.nonce !== undefined && p.submission.nonce !== null) nonces?.giveBack(p.submission.nonce)
          await recover(p.doc, e)
          return null
        }
      }),
    )
    const toSend = writtenDown.filter((w) => w !== null)
    const outcomes = await Promise.all(toSend.map((w) => adapter.send(w.submission).catch((e: unknown): SendOutcome => ({ kind: 'retry', error: failureOf(e) }))))
    await Promise.all(
      toSend.map((w, i) =>
        guarded(w.doc, async () => {
          const outcome = outcomes[i]!
          if (outcome.kind === 'sent') return
          if (outcome.kind === 'retry') return write(w.doc, { lastError: outcome.error, nextAttemptAt: later(w.doc) })
          // Refused, or its nonce was taken: these bytes can never commit; the call is signed afresh later.
          if (outcome.kind === 'refused' && w.submission.nonce !== null) nonces?.giveBack(w.submission.nonce)
          await write(w.doc, { state: 'pending', submission: null, lastError: outcome.error, nextAttemptAt: later(w.doc) })
          if (outcome.kind === 'stale' && adapter.lane) lanes.resync(adapter.lane)
        }),
      ),
    )
  }

  /** Resolves each item's call, then signs, writes down and sends them a target at a time. */
  async function processPending(docs: ItemDoc[]): Promise<void> {
    const targets = new Map<string, { adapter: LedgerAdapter; items: { doc: ItemDoc; call: Call }[] }>()
    await Promise.all(
      docs.map((doc) =>
        guarded(doc, async () => {
          const resolved = await deps.resolve(doc)
          if ('failure' in resolved) return write(doc, { attempts: doc.attempts + 1, state: 'failed', lastError: resolved.failure, nextAttemptAt: null })
          const adapter = await deps.adapter(resolved.targetId)
          const group = targets.get(resolved.targetId) ?? { adapter, items: [] }
          group.items.push({ doc, call: resolved.call })
          targets.set(resolved.targetId, group)
        }),
      ),
    )
    await Promise.all(
      [...targets.values()].map(({ adapter, items }) =>
        (adapter.lane
          ? lanes.run(
              adapter.lane,
              () => adapter.nextNonce(),
              (nonces) => prepareAndSend(adapter, items, nonces),
            )
          : prepareAndSend(adapter, items, null)
        ).catch(
          // The lane could not start (the node's nonce unreadable): every item waits for the next round.
          (e: unknown) => Promise.all(items.map(({ doc }) => recover(doc, e))),
        ),
      ),
    )
  }

  async function confirm(doc: ItemDoc): Promise<void> {
    const submission = doc.submission
    if (!submission) return
    const resolved = await deps.resolve(doc)
    const targetId = 'failure' in resolved ? null : resolved.targetId
    if (!targetId) return
    const adapter = await deps.adapter(targetId)
    const status = await adapter.commitStatus(submission)
    if (status.kind === 'committed') await write(doc, { state: 'committed', block: status.block, lastError: null, nextAttemptAt: null })
    else if (status.kind === 'failed') await write(doc, { state: 'failed', block: status.block, lastError: status.error, nextAttemptAt: null })
    else if (status.kind === 'stale') {
      await write(doc, { state: 'pending', submission: null, lastError: status.error, nextAttemptAt: null })
      if (adapter.lane) lanes.resync(adapter.lane)
    } else if (status.kind === 'unknown') {
      // Lost by the node (a restart emptied its pool) or never received: the same bytes again.
      const outcome = await adapter.send(submission)
      if (outcome.kind === 'retry') await write(doc, { lastError: outcome.error, nextAttemptAt: later(doc) })
      else if (outcome.kind !== 'sent') {
        await write(doc, { state: 'pending', submission: null, lastError: outcome.error, nextAttemptAt: later(doc) })
        // Its nonce is free again, and later ones of the lane wait for it: the lane is rebuilt around it.
        if (adapter.lane) lanes.resync(adapter.lane)
      }
    }
  }

  function due(doc: ItemDoc, now: string): boolean {
    return doc.nextAttemptAt === null || doc.nextAttemptAt <= now
  }

  async function step(): Promise<boolean> {
    const now = new Date().toISOString()
    const all = [...open.values()]
    const pending = all.filter((d) => d.state === 'pending' && due(d, now)).slice(0, ROUND)
    for (let i = 0; i < pending.length && running; i += batch) await processPending(pending.slice(i, i + batch))
    const submitted = all.filter((d) => d.state === 'submitted' && due(d, now)).slice(0, ROUND * 2)
    for (let i = 0; i < submitted.length && running; i += CONFIRM_PARALLEL) {
      await Promise.all(submitted.slice(i, i + CONFIRM_PARALLEL).map((doc) => guarded(doc, () => confirm(doc))))
    }
    return pending.length > 0
  }

  /** After a failed attempt: a conflict takes the stored copy (an operator's retry); anything else waits a while. */
  async function recover(doc: ItemDoc, e: unknown): Promise<void> {
    if (isConflict(e)) {
      const fresh = (await db.get(doc._id)) as unknown as ItemDoc
      Object.assign(doc, fresh)
      return
    }
    const failure: LedgerFailure =
      e instanceof CallFailure ? e.failure : { code: 'UNAVAILABLE', name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message.slice(0, 300) : String(e) }
    logger.warn({ item: doc._id, err: failure.message }, 'ledger queue: an attempt failed; retrying later')
    await write(doc, { lastError: failure, nextAttemptAt: later({ ...doc, attempts: doc.attempts + 1 }), attempts: doc.attempts + 1 }).catch(() => undefined)
  }

  /** One item's failure (a node that went away mid-call, a conflict) never stops the others. */
  async function guarded(doc: ItemDoc, work: () => Promise<void>): Promise<void> {
    try {
      await work()
    } catch (e) {
      await recover(doc, e).catch(() => undefined)
    }
  }

  async function run(): Promise<void> {
    const every = deps.confirmEveryMs ?? 200
    while (running) {
      const worked = await step().catch((e: unknown) => {
        logger.error({ err: e instanceof Error ? e.message : String(e) }, 'ledger queue: a round failed')
        return false
      })
      if (!running) return
      if (worked) continue
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, every)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      wake = undefined
    }
  }

  return {
    /** Reads every item once: counts, and the open ones to resume. */
    async load(): Promise<void> {
      if (loaded) return
      for (const s of FORWARD_STATES) counts[s] = 0
      await scanItems(db, (doc) => {
        counts[doc.state]++
        if (doc.state === 'pending' || doc.state === 'submitted') open.set(doc._id, doc)
      })
      loaded = true
    },

    written,
    counts: (): Counts => ({ ...counts }),

    /** Writes a new item; an existing one with the same key is returned instead (never queued twice). */
    async enqueue(doc: ItemDoc, extra: object[] = []): Promise<{ item: ForwardItem; created: boolean }> {
      // Looked up first, so that an audit entry written with a new item is never written for a repeat; the set closes
      // the gap between the look-up and the write when two copies arrive at once.
      const known = open.get(doc._id) ?? (enqueuing.has(doc._id) ? doc : await getOrNull<ItemDoc>(db, doc._id))
      if (known) return { item: toItem(known), created: false }
      enqueuing.add(doc._id)
      let results: PouchDB.Core.Response[]
      try {
        results = await bulk([doc, ...extra])
      } finally {
        enqueuing.delete(doc._id)
      }
      const stored = { ...doc, _rev: results[0]!.rev }
      open.set(stored._id, stored)
      counts.pending++
      changed()
      wake?.()
      return { item: toItem(stored), created: true }
    },

    /** A failed item back to pending, written with the caller's audit entry in one bulkDocs call. */
    async requeue(id: string, audit: (before: ItemDoc) => object): Promise<ForwardItem> {
      const doc = (await db.get(id)) as unknown as ItemDoc
      const next: ItemDoc = { ...doc, state: 'pending', submission: null, lastError: null, nextAttemptAt: null, updatedAt: new Date().toISOString() }
      const results = await bulk([next, audit(doc)])
      const stored = { ...next, _rev: results[0]!.rev }
      counts[doc.state]--
      counts.pending++
      open.set(id, stored)
      changed()
      wake?.()
      return toItem(stored)
    },

    start(): void {
      if (running) return
      running = true
      loop = run()
    },

    async stop(): Promise<void> {
      running = false
      wake?.()
      await loop
      loop = undefined
    },

    get running() {
      return running
    },
  }
}

export type ForwardQueue = ReturnType<typeof createForwardQueue>
