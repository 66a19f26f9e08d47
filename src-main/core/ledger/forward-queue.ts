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
import { CallFailure, type Call, type LedgerAdapter, type SendOutcome, type Submission } from './ledger-adapter'
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
  /** The target an item's route sends to (null once the route is gone), without resolving its call again. */
  target(item: ItemDoc): Promise<string | null>
  adapter(targetId: string): Promise<LedgerAdapter>
  /** `waiting`: why the open items wait, when the latest try of one failed (queue.waiting). */
  onChange(counts: Counts, waiting: LedgerFailure | null): void
  retry?: { minMs: number; maxMs: number }
  /** How often submitted items are checked for their commit. */
  confirmEveryMs?: number
  /** Items signed, written and sent together per target, and documents per workspace write (1: one at a time). */
  batch?: number
}

/** Due items taken per round of the loop (worked through `batch` at a time). */
const ROUND = 400
const CONFIRM_PARALLEL = 64
/** Batches whose sends may be in flight while the next one is signed. */
const SENDS_IN_FLIGHT = 2

type Written = { doc: ItemDoc; submission: Submission }

export function createForwardQueue(deps: QueueDeps) {
  const { db, lanes, logger } = deps
  const retry = deps.retry ?? { minMs: 500, maxMs: 60_000 }
  const batch = deps.batch ?? 100
  const writer = createGroupWriter(db, batch)
  /** New items get their own writer: an arriving event never waits behind a batch of state changes to be acknowledged. */
  const intake = createGroupWriter(db, batch)
  /** Items not yet final, by id; committed and failed ones live only in the workspace. */
  const open = new Map<string, ItemDoc>()
  const counts: Counts = Object.fromEntries(FORWARD_STATES.map((s) => [s, 0])) as Counts
  let running = false
  let loop: Promise<unknown> | undefined
  let wake: (() => void) | undefined
  let loaded = false
  const enqueuing = new Set<string>()
  /** Items whose signed transaction is being sent: not confirmed meanwhile (it would be sent twice at once). */
  const sending = new Set<string>()

  function changed(): void {
    deps.onChange({ ...counts }, waiting())
  }

  /**
   * Why open items wait: the failure of the latest try among them (a node away, a timeout), none when the latest try
   * worked or nothing is open. The card says it beside the counts, so "pending" is not read as "on its way".
   */
  function waiting(): LedgerFailure | null {
    let latest: ItemDoc | null = null
    for (const doc of open.values()) if (!latest || doc.updatedAt > latest.updatedAt) latest = doc
    return latest?.lastError ?? null
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
   * Signs the calls of one target together (EVM: consecutive nonces of its lane) and writes them all down; a nonce
   * whose transaction was not signed or not written is given back. Returns what may now be sent.
   */
  async function prepareAndWrite(adapter: LedgerAdapter, items: { doc: ItemDoc; call: Call }[], nonces: LaneNonces | null): Promise<Written[]> {
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
    // Written down before it is sent: from here on the same bytes are what gets sent, however often.
    const written = await Promise.all(
      prepared.map(async (p): Promise<Written | null> => {
        try {
          if (!p.submission) {
            await write(p.doc, prepareFailure(p.doc, p.error))
            return null
          }
          sending.add(p.doc._id)
          await write(p.doc, { attempts: p.doc.attempts + 1, state: 'submitted', submission: p.submission, lastError: null, nextAttemptAt: null })
          return { doc: p.doc, submission: p.submission }
        } catch (e) {
          sending.delete(p.doc._id)
          if (p.submission && p.submission.nonce !== null) nonces?.giveBack(p.submission.nonce)
          await recover(p.doc, e)
          return null
        }
      }),
    )
    return written.filter((w) => w !== null)
  }

  /** Sends what was written down, all at once; a refused transaction's nonce is given back, its call signed afresh later. */
  async function send(adapter: LedgerAdapter, written: Written[], nonces: LaneNonces | null): Promise<void> {
    const outcomes = await Promise.all(written.map((w) => adapter.send(w.submission).catch((e: unknown): SendOutcome => ({ kind: 'retry', error: failureOf(e) }))))
    await Promise.all(
      written.map((w, i) =>
        guarded(w.doc, async () => {
          const outcome = outcomes[i]!
          if (outcome.kind === 'sent') return
          if (outcome.kind === 'retry') return write(w.doc, { lastError: outcome.error, nextAttemptAt: later(w.doc) })
          if (outcome.kind === 'refused' && w.submission.nonce !== null) nonces?.giveBack(w.submission.nonce)
          await write(w.doc, { state: 'pending', submission: null, lastError: outcome.error, nextAttemptAt: later(w.doc) })
          if (outcome.kind === 'stale' && adapter.lane) lanes.resync(adapter.lane)
        }),
      ),
    )
    for (const w of written) sending.delete(w.doc._id)
  }

  /**
   * Resolves each item's call, then signs and writes down the calls a target at a time (the lane is held only for
   * that); answers with its sends, which run while the next batch is prepared.
   */
  async function processPending(docs: ItemDoc[]): Promise<{ sends: Promise<void> }> {
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
    const sends = await Promise.all(
      [...targets.values()].map(async ({ adapter, items }) => {
        try {
          let nonces: LaneNonces | null = null
          const written = adapter.lane
            ? await lanes.run(
                adapter.lane,
                () => adapter.nextNonce(),
                (lane) => {
                  nonces = lane
                  return prepareAndWrite(adapter, items, lane)
                },
              )
            : await prepareAndWrite(adapter, items, null)
          return { done: send(adapter, written, nonces) }
        } catch (e) {
          // The lane could not start (the node's nonce unreadable): every item waits for a later round.
          await Promise.all(items.map(({ doc }) => recover(doc, e)))
          return { done: Promise.resolve() }
        }
      }),
    )
    return { sends: Promise.all(sends.map((x) => x.done)).then(() => undefined) }
  }

  async function confirm(doc: ItemDoc): Promise<void> {
    const submission = doc.submission
    if (!submission) return
    const targetId = await deps.target(doc)
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

  /**
   * The pending items due now, in the order their events arrived (`open` keeps it). An item waiting for its retry holds
   * back the later items of its route: each fails and backs off on its own while a node is away, and without this the
   * first retried after its return went first, out of order (evt-5 mined before evt-4).
   */
  function duePending(now: string): ItemDoc[] {
    const held = new Set<string>()
    const pending: ItemDoc[] = []
    for (const d of open.values()) {
      if (d.state !== 'pending' || held.has(d.routeId)) continue
      if (!due(d, now)) held.add(d.routeId)
      else if (pending.push(d) >= ROUND) break
    }
    return pending
  }

  /** Pending items, a batch at a time; a batch's sends overlap the signing of the next. */
  async function sendRound(): Promise<boolean> {
    const pending = duePending(new Date().toISOString())
    const inFlight = new Set<Promise<void>>()
    for (let i = 0; i < pending.length && running; i += batch) {
      while (inFlight.size >= SENDS_IN_FLIGHT) await Promise.race(inFlight)
      const { sends } = await processPending(pending.slice(i, i + batch))
      inFlight.add(sends)
      void sends.finally(() => inFlight.delete(sends))
    }
    await Promise.all(inFlight)
    return pending.length > 0
  }

  /** Submitted items, checked for their commit together. */
  async function confirmRound(): Promise<void> {
    const now = new Date().toISOString()
    const submitted = [...open.values()].filter((d) => d.state === 'submitted' && due(d, now) && !sending.has(d._id)).slice(0, ROUND * 2)
    for (let i = 0; i < submitted.length && running; i += CONFIRM_PARALLEL) {
      await Promise.all(submitted.slice(i, i + CONFIRM_PARALLEL).map((doc) => guarded(doc, () => confirm(doc))))
    }
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

  /** Runs `round` until stopped: at once again after a round that worked, otherwise after `idleMs` or a wake-up. */
  async function loopOf(round: () => Promise<boolean>, idleMs: number, wakeable: boolean): Promise<void> {
    while (running) {
      const worked = await round().catch((e: unknown) => {
        logger.error({ err: e instanceof Error ? e.message : String(e) }, 'ledger queue: a round failed')
        return false
      })
      if (!running) return
      if (worked) continue
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, idleMs)
        if (wakeable)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
      })
      if (wakeable) wake = undefined
    }
  }

  // Two loops: sending new items never waits for the confirmation of earlier ones, nor the other way round.
  function run(): Promise<unknown> {
    const every = deps.confirmEveryMs ?? 200
    return Promise.all([loopOf(sendRound, every, true), loopOf(() => confirmRound().then(() => false), every, false)])
  }

  return {
    /** Reads every item once: counts, and the open ones to resume. */
    async load(): Promise<void> {
      if (loaded) return
      for (const s of FORWARD_STATES) counts[s] = 0
      const resumed: ItemDoc[] = []
      await scanItems(db, (doc) => {
        counts[doc.state]++
        if (doc.state === 'pending' || doc.state === 'submitted') resumed.push(doc)
      })
      // Read in id order (route, then event key): the open items resume in the order their events arrived.
      resumed.sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0))
      for (const doc of resumed) open.set(doc._id, doc)
      loaded = true
    },

    written,
    counts: (): Counts => ({ ...counts }),
    waiting,

    /** Writes a new item; an existing one with the same key is returned instead (never queued twice). */
    async enqueue(doc: ItemDoc, extra: object[] = []): Promise<{ item: ForwardItem; created: boolean }> {
      // With extra documents (an audit entry) the item is looked up first, so that they are never written for a repeat;
      // alone, its write answers (a conflict: the item exists). The set closes the gap between the look-up and the
      // write when two copies arrive at once.
      const known = open.get(doc._id) ?? (enqueuing.has(doc._id) ? doc : extra.length > 0 ? await getOrNull<ItemDoc>(db, doc._id) : null)
      if (known) return { item: toItem(known), created: false }
      enqueuing.add(doc._id)
      let results: (PouchDB.Core.Response | PouchDB.Core.Error)[]
      try {
        results = await intake.write([doc, ...extra])
      } finally {
        enqueuing.delete(doc._id)
      }
      const failed = results.find((r) => 'error' in r && r.error) as PouchDB.Core.Error | undefined
      if (failed && extra.length === 0 && isConflict(failed)) {
        const existing = await getOrNull<ItemDoc>(db, doc._id)
        if (existing) return { item: toItem(existing), created: false }
      }
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
