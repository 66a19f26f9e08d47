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
 */
import type { ForwardItem, LedgerFailure } from '../../../src-shared/models/ledger'
import { FORWARD_STATES } from '../../../src-shared/models/ledger'
import { backoffDelay } from '../common/backoff'
import { isAppError } from '../common/errors'
import type { Logger } from '../log/logger'
import { getOrNull, isConflict, type Db } from '../store/documents'
import { CallFailure, type Call, type LedgerAdapter, type Submission } from './ledger-adapter'
import { scanItems, toItem, type ItemDoc } from './ledger.store'
import type { NonceLanes } from './nonce-lanes'

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
}

const BATCH = 200
const CONFIRM_PARALLEL = 32

export function createForwardQueue(deps: QueueDeps) {
  const { db, lanes, logger } = deps
  const retry = deps.retry ?? { minMs: 500, maxMs: 60_000 }
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

  async function write(doc: ItemDoc, next: Partial<ItemDoc>): Promise<void> {
    const before = doc.state
    const updated: ItemDoc = { ...doc, ...next, updatedAt: new Date().toISOString() }
    const res = await db.put(updated)
    Object.assign(doc, updated, { _rev: res.rev })
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

  /** The lane's highest nonce written down and not committed, plus one (nonce-lanes.ts). */
  function floor(lane: string): number {
    let next = 0
    for (const doc of open.values()) if (doc.submission?.lane === lane && doc.submission.nonce !== null) next = Math.max(next, doc.submission.nonce + 1)
    return next
  }

  async function prepareAndSend(doc: ItemDoc, call: Call, adapter: LedgerAdapter): Promise<void> {
    const attempts = doc.attempts + 1
    const attempt = async (nonce: number | null): Promise<{ used: boolean; value: undefined }> => {
      let submission: Submission
      try {
        submission = await adapter.prepare(call, nonce)
      } catch (e) {
        const failure = e instanceof CallFailure ? e.failure : failureOf(e)
        const transient = e instanceof CallFailure ? e.transient : false
        await write(doc, transient ? { attempts, lastError: failure, nextAttemptAt: later({ ...doc, attempts }) } : { attempts, state: 'failed', lastError: failure, nextAttemptAt: null })
        return { used: false, value: undefined }
      }
      // Written down before it is sent: from here on the same bytes are what gets sent, however often.
      await write(doc, { attempts, state: 'submitted', submission, lastError: null, nextAttemptAt: null })
      const outcome = await adapter.send(submission)
      if (outcome.kind === 'sent') return { used: true, value: undefined }
      if (outcome.kind === 'retry') {
        await write(doc, { lastError: outcome.error, nextAttemptAt: later(doc) })
        return { used: true, value: undefined }
      }
      // Refused, or its nonce was taken: these bytes can never commit; the call is signed afresh later.
      await write(doc, { state: 'pending', submission: null, lastError: outcome.error, nextAttemptAt: later(doc) })
      if (outcome.kind === 'stale' && adapter.lane) lanes.resync(adapter.lane)
      return { used: false, value: undefined }
    }
    if (adapter.lane) await lanes.run(adapter.lane, () => adapter.nextNonce(), attempt)
    else await attempt(null)
  }

  async function processPending(doc: ItemDoc): Promise<void> {
    const resolved = await deps.resolve(doc)
    if ('failure' in resolved) {
      await write(doc, { attempts: doc.attempts + 1, state: 'failed', lastError: resolved.failure, nextAttemptAt: null })
      return
    }
    const adapter = await deps.adapter(resolved.targetId)
    await prepareAndSend(doc, resolved.call, adapter)
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
      if (adapter.lane) lanes.resync(adapter.lane)
      await write(doc, { state: 'pending', submission: null, lastError: status.error, nextAttemptAt: null })
    } else if (status.kind === 'unknown') {
      // Lost by the node (a restart emptied its pool) or never received: the same bytes again.
      const outcome = await adapter.send(submission)
      if (outcome.kind === 'retry') await write(doc, { lastError: outcome.error, nextAttemptAt: later(doc) })
      else if (outcome.kind !== 'sent') await write(doc, { state: 'pending', submission: null, lastError: outcome.error, nextAttemptAt: later(doc) })
    }
  }

  function due(doc: ItemDoc, now: string): boolean {
    return doc.nextAttemptAt === null || doc.nextAttemptAt <= now
  }

  async function step(): Promise<boolean> {
    const now = new Date().toISOString()
    const all = [...open.values()]
    const pending = all.filter((d) => d.state === 'pending' && due(d, now)).slice(0, BATCH)
    let worked = false
    for (const doc of pending) {
      if (!running) return worked
      worked = true
      await guarded(doc, () => processPending(doc))
    }
    const submitted = all.filter((d) => d.state === 'submitted' && due(d, now)).slice(0, BATCH * 5)
    for (let i = 0; i < submitted.length && running; i += CONFIRM_PARALLEL) {
      await Promise.all(submitted.slice(i, i + CONFIRM_PARALLEL).map((doc) => guarded(doc, () => confirm(doc))))
    }
    return worked
  }

  /** One item's failure (a node that went away mid-call, a conflict) never stops the others. */
  async function guarded(doc: ItemDoc, work: () => Promise<void>): Promise<void> {
    try {
      await work()
    } catch (e) {
      if (isConflict(e)) {
        // Changed elsewhere (an operator's retry): take the stored copy and look again next round.
        const fresh = (await db.get(doc._id)) as unknown as ItemDoc
        Object.assign(doc, fresh)
        return
      }
      const failure: LedgerFailure =
        e instanceof CallFailure ? e.failure : { code: 'UNAVAILABLE', name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message.slice(0, 300) : String(e) }
      logger.warn({ item: doc._id, err: failure.message }, 'ledger queue: an attempt failed; retrying later')
      await write(doc, { lastError: failure, nextAttemptAt: later({ ...doc, attempts: doc.attempts + 1 }), attempts: doc.attempts + 1 }).catch(() => undefined)
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

    floor,
    counts: (): Counts => ({ ...counts }),

    /** Writes a new item; an existing one with the same key is returned instead (never queued twice). */
    async enqueue(doc: ItemDoc, extra: object[] = []): Promise<{ item: ForwardItem; created: boolean }> {
      // Looked up first, so that an audit entry written with a new item is never written for a repeat; the set closes
      // the gap between the look-up and the write when two copies arrive at once.
      const known = open.get(doc._id) ?? (enqueuing.has(doc._id) ? doc : await getOrNull<ItemDoc>(db, doc._id))
      if (known) return { item: toItem(known), created: false }
      enqueuing.add(doc._id)
      let results: (PouchDB.Core.Response | PouchDB.Core.Error)[]
      try {
        results = await db.bulkDocs([doc, ...extra] as ItemDoc[])
      } finally {
        enqueuing.delete(doc._id)
      }
      const failed = results.find((r) => 'error' in r && r.error) as PouchDB.Core.Error | undefined
      if (failed) throw Object.assign(new Error(failed.message ?? 'write failed'), { status: failed.status })
      const stored = { ...doc, _rev: (results[0] as PouchDB.Core.Response).rev }
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
      const results = await db.bulkDocs([next, audit(doc)] as ItemDoc[])
      const bad = results.find((r) => 'error' in r && r.error) as PouchDB.Core.Error | undefined
      if (bad) throw Object.assign(new Error(bad.message ?? 'write failed'), { status: bad.status })
      const stored = { ...next, _rev: (results[0] as PouchDB.Core.Response).rev }
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
