/**
 * Follows Orange tickets until they are TERMINATED or ERROR: polls with back-off (the SDK's own sample waits 30 s
 * between polls), keeps every poll's answer in the ticket document, and on the final answer writes the outcome and
 * its audit entry in one bulkDocs call. Started by the core when it opens, so tickets submitted before a restart or a
 * crash are followed again.
 *
 * Orange hands a final result out once, so the follower takes one from Orange only when the disk can keep it: each poll
 * is noted in the ticket document first, and Orange is asked only once that write landed. While the disk refuses
 * writes (full, read-only), the result stays with Orange, across a restart or a crash too, and the ticket is polled
 * again on the back-off (refused-writes.ts). A disk that fills between the note and the outcome's write is the one case
 * left: that outcome is kept in memory, with its audit entry as made, and written again on the back-off until the disk
 * takes it; if the process ends first, the next start recovers it from the SIM (recoverRetrieved).
 */
import type { ErrorInfo } from '../../../../src-shared/models/errors'
import type { OrangeTicket, OrangeTicketLine } from '../../../../src-shared/models/orange'
import type { OrangeLocation } from '../../../../src-shared/models/sim'
import { backoffDelay } from '../../common/backoff'
import { AppError, isAppError } from '../../common/errors'
import { storageProblem } from '../../common/storage-errors'
import type { EventBus } from '../../common/events'
import type { Logger } from '../../log/logger'
import { createRefusedWrites } from '../../log/refused-writes'
import { auditDoc } from '../../store/audit.store'
import { assertBulkOk, isConflict, type Db } from '../../store/documents'
import { getTicket, listTickets, toOrangeTicket, type TicketDoc } from '../../store/tickets.store'
import type { OrangeAccount, OrangeAccounts } from './accounts'
import { attachOrangeLocation, cacheOrangeSim } from './sim-cache'
import type { ReportLine, SimReportAnswer, StatusTicketAnswer } from './wire'

export interface PollingOptions {
  /** First wait after a submission, and the floor of the back-off. */
  minMs: number
  /** Longest wait between two polls. */
  maxMs: number
}

export const DEFAULT_POLLING: PollingOptions = { minMs: 2_000, maxMs: 30_000 }

export interface FollowerDeps {
  db: Db
  bus: EventBus
  accounts: OrangeAccounts
  polling: PollingOptions
  logger?: Logger
}

/** A final answer and its audit entry, made once: written again as they are while the disk refuses them. */
interface Outcome {
  doc: TicketDoc & { _rev: string }
  account: OrangeAccount
  update: Update & { polls: number; nextPollAt: null }
  audit: object
}

type Update = Partial<Pick<TicketDoc, 'state' | 'final' | 'errorCode' | 'errorMessage' | 'lines' | 'unknownLines' | 'location' | 'lastError' | 'requestedStatus' | 'testMode'>>

/**
 * A ticket that ended in ERROR, as an error: Orange's own code and words go with it, as the carrier's support knows
 * them; a line's own error says more than the ticket's (LINES_IN_ERROR).
 */
export function ticketFailure(ticket: Pick<Update, 'state' | 'errorCode' | 'errorMessage' | 'lines'> & { ticketNumber: number }): ErrorInfo {
  const failedLines = (ticket.lines ?? []).filter((l) => l.processingStatus === 'ERROR')
  const carrierCode = failedLines[0]?.errorCode ?? ticket.errorCode ?? undefined
  const carrierMessage = failedLines[0]?.errorMessage ?? ticket.errorMessage ?? undefined
  const english = `Orange ticket ${ticket.ticketNumber} ended ${ticket.state}: ${[ticket.errorCode, ticket.errorMessage, ...failedLines.map((l) => `${l.serialNumber} ${l.errorCode ?? ''} ${l.errorMessage ?? ''}`.trim())].filter(Boolean).join('; ')}`
  return {
    code: 'CARRIER',
    message: english,
    details: { ref: { key: 'orange.ticketFailed', params: { ticket: ticket.ticketNumber } }, ...(carrierCode ? { carrierCode } : {}), ...(carrierMessage ? { carrierMessage } : {}) },
  }
}

export function ticketTarget(doc: Pick<TicketDoc, 'serialNumber' | 'device'>): string {
  return `orange:${doc.serialNumber}${doc.device ? ` (${doc.device.typeId}/${doc.device.deviceId})` : ''}`
}

export function updateFromStatus(answer: StatusTicketAnswer): Update {
  return {
    state: answer.state,
    final: answer.state === 'TERMINATED' || answer.state === 'ERROR',
    errorCode: answer.errorCode,
    errorMessage: answer.errorMessage,
    lines: answer.lines,
    unknownLines: answer.unknown,
    requestedStatus: answer.requestedStatus,
    testMode: answer.testMode,
  }
}

export function updateFromReport(answer: SimReportAnswer, serialNumber: string, ticketNumber: number): Update {
  const line = answer.lines.find((l) => l.serialNumber === serialNumber)
  const final = answer.state === 'TERMINATED' || answer.state === 'ERROR'
  return {
    state: answer.state,
    final,
    errorCode: answer.errorCode,
    errorMessage: answer.errorMessage,
    lines: answer.lines.map(taskLine),
    unknownLines: answer.unknown,
    location: final && line && line.processingStatus === 'TERMINATED' ? toLocation(line, ticketNumber) : null,
  }
}

function taskLine(l: ReportLine): OrangeTicketLine {
  return {
    serialNumber: l.serialNumber,
    processingStatus: l.processingStatus,
    progressMessage: l.progressMessage,
    errorCode: l.errorCode,
    errorMessage: l.errorMessage,
    errorDate: l.errorDate,
    updateDate: l.updateDate,
  }
}

function toLocation(l: ReportLine, ticketNumber: number): OrangeLocation {
  return {
    connectivity: l.connectivity,
    ip: l.ip,
    sessionTime: l.sessionTime,
    roaming: l.roaming,
    cell: l.cell,
    position: l.position,
    lastKnownPosition: l.lastKnownPosition,
    reportedAt: l.updateDate,
    ticketNumber,
  }
}

export function createTicketFollower({ db, bus, accounts, polling, logger }: FollowerDeps) {
  const timers = new Map<string, NodeJS.Timeout>()
  const running = new Map<string, Promise<void>>()
  const waiters = new Map<string, Set<{ resolve: (t: OrangeTicket) => void; reject: (e: Error) => void }>>()
  /** Final outcomes the disk refused, by ticket id. */
  const unwritten = new Map<string, Outcome>()
  const refusedWrites = createRefusedWrites({ what: "the Orange tickets' progress and outcomes", backoff: polling, logger })
  let closed = false

  function schedule(id: string, delayMs: number): void {
    if (closed) return
    const existing = timers.get(id)
    if (existing) clearTimeout(existing)
    timers.set(
      id,
      setTimeout(() => {
        timers.delete(id)
        void poll(id)
      }, delayMs),
    )
  }

  /** One poll at a time per ticket: a poll asked for while one runs waits for it rather than racing it. */
  function poll(id: string): Promise<void> {
    const current = running.get(id)
    if (current) return current
    const run = pollOnce(id)
      .catch((e: unknown) => {
        // A write the disk refused: the ticket is polled again, or its kept outcome written again, after the back-off.
        const retryIn = refusedWrites.refused(e)
        if (retryIn === undefined) logger?.error({ err: e, ticket: id }, 'orange ticket poll failed unexpectedly')
        else schedule(id, retryIn)
      })
      .finally(() => running.delete(id))
    running.set(id, run)
    return run
  }

  async function save(doc: TicketDoc & { _rev: string }, update: Update & { polls?: number; nextPollAt?: string | null }, audit?: object): Promise<TicketDoc & { _rev: string }> {
    const now = new Date().toISOString()
    const next: TicketDoc & { _rev: string } = { ...doc, ...update, updatedAt: now, finishedAt: update.final ? now : doc.finishedAt }
    try {
      const results = await db.bulkDocs(audit ? [next, audit as TicketDoc] : [next])
      assertBulkOk(results)
      next._rev = (results[0] as PouchDB.Core.Response).rev
      refusedWrites.landed()
    } catch (e) {
      // Only a replica writing the same ticket can conflict; its copy wins and the next poll starts from it.
      if (!isConflict(e)) throw e
      const fresh = await getTicket(db, doc._id)
      if (!fresh) throw e
      return fresh
    }
    bus.emit('orange:ticket', toOrangeTicket(next))
    if (audit) bus.emit('audit:changed', {})
    return next
  }

  async function pollOnce(id: string): Promise<void> {
    if (closed) return
    // Its final answer is in hand already: Orange would not give it again.
    const kept = unwritten.get(id)
    if (kept) return land(kept)
    let doc = await getTicket(db, id)
    if (!doc || doc.final) return
    const account = await accounts.forTicket(doc)
    if (!account) {
      // Not followed until a core that can reach the account opens (its profile, or the same FIELDLINE_ORANGE_*).
      await save(doc, {
        lastError: AppError.withRef('NOT_FOUND', `Ticket ${doc.ticketNumber} belongs to the Orange account ${doc.account.username} at ${doc.account.baseUrl}, which this session cannot reach`, {
          key: 'orange.ticketAccountUnavailable',
          params: { ticket: doc.ticketNumber, username: doc.account.username },
        }).toInfo(),
        nextPollAt: null,
      })
      return
    }
    // Before Orange is asked (its answer may be the final result, handed out once): the disk takes a write now, so the
    // answer can be kept. A refusal here leaves the result with Orange and polls again on the back-off.
    const noted = await save(doc, { nextPollAt: new Date().toISOString() })
    if (noted.final) return
    doc = noted
    let update: Update
    try {
      const client = await account.client()
      update =
        doc.operation === 'status' ? updateFromStatus(await client.statusTicket(doc.ticketNumber)) : updateFromReport(await client.locationTicket(doc.ticketNumber), doc.serialNumber, doc.ticketNumber)
    } catch (e) {
      if (isAppError(e) && e.details?.carrierCode === 'ResultAlreadyRetrievedError') update = await recoverRetrieved(doc, account, e)
      else if (isAppError(e) && e.details?.carrierCode === 'UnknownTicketError') update = { state: 'ERROR', final: true, errorCode: 'UnknownTicketError', errorMessage: e.message }
      else {
        const polls = doc.polls + 1
        const delay = backoffDelay(polls, polling)
        logger?.warn({ ticket: id, code: isAppError(e) ? e.code : 'INTERNAL', polls }, 'orange ticket poll failed; will retry')
        await save(doc, { lastError: isAppError(e) ? e.toInfo() : { code: 'INTERNAL', message: 'Unexpected failure' }, polls, nextPollAt: new Date(Date.now() + delay).toISOString() })
        schedule(id, delay)
        return
      }
    }
    const polls = doc.polls + 1
    if (!update.final) {
      const delay = backoffDelay(polls, polling)
      await save(doc, { ...update, lastError: null, polls, nextPollAt: new Date(Date.now() + delay).toISOString() })
      schedule(id, delay)
      return
    }
    await finish(doc, account, { ...update, lastError: null, polls, nextPollAt: null })
  }

  /**
   * Orange hands a final result out once. Asked again (the answer to the first retrieval was lost in a crash), the SIM
   * itself says how it ended: a status ticket TERMINATED when the SIM shows the requested status, ERROR otherwise.
   */
  async function recoverRetrieved(doc: TicketDoc, account: OrangeAccount, e: AppError): Promise<Update> {
    const note = `Orange had already given this ticket's result${e.details?.carrierMessage ? ` (${e.details.carrierMessage})` : ''}`
    if (doc.operation !== 'status') return { state: 'ERROR', final: true, errorCode: 'ResultAlreadyRetrievedError', errorMessage: `${note}; the location report is lost, ask again` }
    const sim = await cacheOrangeSim(db, bus, await (await account.client()).getSim(doc.serialNumber))
    const reached = sim.statusRaw === doc.requestedStatus
    return {
      state: reached ? 'TERMINATED' : 'ERROR',
      final: true,
      errorCode: reached ? null : 'ResultAlreadyRetrievedError',
      errorMessage: `${note}; the SIM is now ${sim.statusRaw ?? 'of unknown status'}`,
    }
  }

  async function finish(doc: TicketDoc & { _rev: string }, account: OrangeAccount, update: Update & { polls: number; nextPollAt: null }): Promise<void> {
    const ok = update.state === 'TERMINATED'
    const ticketNumber = doc.ticketNumber
    const audit = auditDoc({
      actor: doc.actor,
      action: doc.operation === 'status' ? 'orange.changeStatus' : 'orange.locate',
      target: ticketTarget(doc),
      outcome: ok ? 'ok' : 'failed',
      ...(doc.operation === 'status'
        ? { before: { status: doc.statusBefore }, after: { ticketNumber, status: update.requestedStatus ?? doc.requestedStatus, ...(doc.testMode ? { testMode: doc.testMode } : {}) } }
        : { after: { ticketNumber } }),
      ...(ok ? {} : { error: ticketFailure({ ...update, ticketNumber }) }),
    })
    await land({ doc, account, update, audit })
  }

  async function land(outcome: Outcome): Promise<void> {
    const { doc, account, update, audit } = outcome
    let saved: TicketDoc & { _rev: string }
    try {
      // The same audit entry (its id made once) each time: one that landed before is a conflict, not a second entry.
      saved = await save(doc, update, audit)
    } catch (e) {
      if (storageProblem(e)) unwritten.set(doc._id, outcome)
      throw e
    }
    unwritten.delete(doc._id)
    // The outcome is kept; refreshing the cached SIM is a courtesy that may fail while offline.
    try {
      const client = await account.client()
      if (doc.operation === 'status') await cacheOrangeSim(db, bus, await client.getSim(doc.serialNumber))
      else if (saved.location) await attachOrangeLocation(db, bus, doc.serialNumber, saved.location, () => client.getSim(doc.serialNumber))
    } catch (e) {
      logger?.warn({ ticket: doc._id, code: isAppError(e) ? e.code : 'INTERNAL' }, 'orange SIM refresh after a ticket failed')
    }
    for (const w of waiters.get(doc._id) ?? []) w.resolve(toOrangeTicket(saved))
    waiters.delete(doc._id)
  }

  return {
    /** Starts following a ticket just submitted or adopted. */
    follow(doc: TicketDoc): void {
      schedule(doc._id, polling.minMs)
    },

    /** Follows every ticket the workspace holds that is not final yet (at start-up). */
    async resumeAll(): Promise<number> {
      const open = (await listTickets(db)).filter((t) => !t.final)
      for (const t of open) {
        const due = t.nextPollAt ? Date.parse(t.nextPollAt) - Date.now() : 0
        schedule(t._id, Math.min(Math.max(due, 0), polling.maxMs))
      }
      return open.length
    },

    /** Polls now (an operator asking), and returns the ticket as it then stands. */
    async pollNow(id: string): Promise<OrangeTicket | null> {
      const timer = timers.get(id)
      if (timer) clearTimeout(timer)
      timers.delete(id)
      await poll(id)
      const doc = await getTicket(db, id)
      return doc ? toOrangeTicket(doc) : null
    },

    /** Resolves with the ticket once it is final. */
    async waitFor(id: string): Promise<OrangeTicket> {
      let entry: { resolve: (t: OrangeTicket) => void; reject: (e: Error) => void } | undefined
      const waiter = new Promise<OrangeTicket>((resolve, reject) => {
        entry = { resolve, reject }
        const set = waiters.get(id) ?? new Set()
        set.add(entry)
        waiters.set(id, set)
      })
      // Registered before reading, so a ticket finishing in between still resolves this waiter.
      const doc = await getTicket(db, id)
      if (!doc || doc.final) {
        if (entry) waiters.get(id)?.delete(entry)
        if (!doc) throw AppError.withRef('NOT_FOUND', `No ticket ${id} in this workspace`, { key: 'orange.ticketNotKept', params: { id: id.slice(0, 120) } })
        return toOrangeTicket(doc)
      }
      return waiter
    },

    /** Stops polling; a poll under way finishes first, so nothing is written to a closed workspace. */
    async close(): Promise<void> {
      closed = true
      for (const t of timers.values()) clearTimeout(t)
      timers.clear()
      await Promise.allSettled([...running.values()])
      refusedWrites.flush()
      if (unwritten.size > 0)
        logger?.warn({ tickets: [...unwritten.keys()] }, 'orange ticket outcomes the disk refused are not written; Fieldline asks Orange again (the SIM itself) when it next opens')
      for (const set of waiters.values()) {
        for (const w of set)
          w.reject(AppError.withRef('TIMEOUT', 'Stopped waiting for the ticket: the workspace is closing; it is followed again when Fieldline next opens', { key: 'orange.stoppedWaiting' }))
      }
      waiters.clear()
    },
  }
}

export type TicketFollower = ReturnType<typeof createTicketFollower>
