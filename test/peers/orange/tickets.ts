/**
 * Asynchronous requests (docs/wire/orange.md §4): a submission answers at once with a ticket number; the work then goes
 * WAITING → WORK_IN_PROGRESS → TERMINATED or ERROR on the peer's clock. A status change is applied to the line when
 * its ticket finishes, whoever looks first (a directory read or a ticket poll), so every answer agrees.
 */
import { refusal, type Line, type Requestable } from './lines'

export type TicketState = 'WAITING' | 'WORK_IN_PROGRESS' | 'TERMINATED' | 'ERROR'

export interface TicketLine {
  /** The identifier as the request gave it. */
  identifier: { kind: string; value: string }
  line: Line | null
  state: TicketState
  errorCode: string | null
  errorMessage: string | null
  updateDate: number | null
  errorDate: number | null
}

export interface Ticket {
  number: number
  service: 'slm' | 'dis'
  submittedAt: number
  lines: TicketLine[]
  unknown: { kind: string; value: string }[]
  requestedStatus: Requestable | null
  testMode: string | null
  /** Set once the final result has been handed out (ResultAlreadyRetrievedError afterwards). */
  retrievedAt: number | null
  finishedAt: number | null
}

export interface TicketTiming {
  /** Time in WAITING after submission. */
  waitingMs: number
  /** Time in WORK_IN_PROGRESS before the ticket is final. */
  workMs: number
}

export interface StatusChange {
  serialNumber: string
  from: string
  to: string
  ticketNumber: number
}

export class TicketDesk {
  readonly tickets = new Map<string, Ticket>()
  readonly applied: StatusChange[] = []
  #next = { slm: 0, dis: 0 }

  constructor(
    private readonly timing: () => TicketTiming,
    seed: number,
  ) {
    // [I] Ticket numbers are xs:int; distinct services number their tickets apart.
    this.#next = { slm: 700_000 + seed * 1000, dis: 900_000 + seed * 1000 }
  }

  submit(
    service: 'slm' | 'dis',
    now: number,
    found: { identifier: { kind: string; value: string }; line: Line }[],
    unknown: { kind: string; value: string }[],
    requested: Requestable | null,
    testMode: string | null,
  ): Ticket {
    this.#next[service] += 1
    const ticket: Ticket = {
      number: this.#next[service],
      service,
      submittedAt: now,
      lines: found.map(({ identifier, line }) => ({ identifier, line, state: 'WAITING', errorCode: null, errorMessage: null, updateDate: null, errorDate: null })),
      unknown,
      requestedStatus: requested,
      testMode,
      retrievedAt: null,
      finishedAt: null,
    }
    if (requested) {
      for (const l of ticket.lines) {
        // [I] A second request for a line whose change is still pending fails for that line only.
        if (l.line!.requestedStatus !== null) {
          l.errorCode = 'REQUEST_PENDING'
          l.errorMessage = `A change to ${l.line!.requestedStatus} is already pending`
          continue
        }
        l.line!.requestedStatus = requested
        l.line!.statusChangeRequest = now
      }
    }
    this.tickets.set(`${service}:${ticket.number}`, ticket)
    return ticket
  }

  get(service: 'slm' | 'dis', number: number): Ticket | undefined {
    return this.tickets.get(`${service}:${number}`)
  }

  /** Moves every ticket to where the clock says it is, applying the status changes of those that finish. */
  settle(now: number): void {
    const { waitingMs, workMs } = this.timing()
    for (const ticket of this.tickets.values()) {
      if (ticket.finishedAt !== null) continue
      const elapsed = now - ticket.submittedAt
      if (elapsed < waitingMs) continue
      if (elapsed < waitingMs + workMs) {
        for (const l of ticket.lines) if (l.state === 'WAITING') l.state = 'WORK_IN_PROGRESS'
        continue
      }
      const at = ticket.submittedAt + waitingMs + workMs
      for (const l of ticket.lines) this.finishLine(ticket, l, at)
      ticket.finishedAt = at
    }
  }

  private finishLine(ticket: Ticket, l: TicketLine, at: number): void {
    const line = l.line!
    const ownsRequest = ticket.requestedStatus !== null && l.errorCode === null
    const refused = l.errorCode !== null ? { code: l.errorCode, message: l.errorMessage ?? '' } : ticket.requestedStatus ? refusal(line, ticket.requestedStatus) : null
    if (ownsRequest) {
      line.requestedStatus = null
      line.statusChangeRequest = null
    }
    if (refused) {
      Object.assign(l, { state: 'ERROR', errorCode: refused.code, errorMessage: refused.message, errorDate: at })
      return
    }
    if (ticket.requestedStatus) {
      this.applied.push({ serialNumber: line.serialNumber, from: line.status, to: ticket.requestedStatus, ticketNumber: ticket.number })
      line.status = ticket.requestedStatus
      line.suspensionReason = ticket.requestedStatus === 'SUSPENDED' ? 'Customer request' : null
      line.lastStatusChange = at
      line.lastStatusRefresh = at
    }
    Object.assign(l, { state: 'TERMINATED', updateDate: at })
  }

  /** The global state: ERROR when any line failed, TERMINATED when all finished, else the least advanced. */
  static state(ticket: Ticket): TicketState {
    if (ticket.finishedAt === null) return ticket.lines.some((l) => l.state === 'WORK_IN_PROGRESS') ? 'WORK_IN_PROGRESS' : 'WAITING'
    return ticket.lines.some((l) => l.state === 'ERROR') || ticket.lines.length === 0 ? 'ERROR' : 'TERMINATED'
  }
}
