import { createHash } from 'node:crypto'
import type { OrangeTicket } from '../../../src-shared/models/orange'
import { getOrNull, type BaseDoc, type Db } from './documents'
import { CURRENT_SCHEMA } from './schema'

/**
 * A carrier's asynchronous request (an Orange ticket) as the workspace follows it: written when submitted, updated
 * at each poll, final once the carrier says TERMINATED or ERROR. Kept so polling resumes after a restart or a crash,
 * and so the per-line results stay readable afterwards.
 *
 * The id names the account by a digest of its base URL and user name, not by profile: Orange numbers tickets per
 * account, and the same account reached through a profile and through FIELDLINE_ORANGE_* variables is one account.
 */
export interface TicketDoc extends BaseDoc, Omit<OrangeTicket, 'id'> {
  kind: 'ticket'
  carrier: 'orange'
  /** Which account to poll (no secret: the password is in the vault or the environment). */
  account: { baseUrl: string; username: string }
  finishedAt: string | null
}

export function accountKey(account: { baseUrl: string; username: string }): string {
  return createHash('sha256')
    .update(`${account.baseUrl.replace(/\/+$/, '')}\n${account.username}`)
    .digest('hex')
    .slice(0, 16)
}

export function ticketDocId(operation: string, account: { baseUrl: string; username: string }, ticketNumber: number): string {
  return `ticket:orange:${operation}:${accountKey(account)}:${String(ticketNumber).padStart(10, '0')}`
}

export function newTicketDoc(input: Omit<TicketDoc, '_id' | 'kind' | 'schemaVersion' | 'carrier'>): TicketDoc {
  return { ...input, _id: ticketDocId(input.operation, input.account, input.ticketNumber), kind: 'ticket', schemaVersion: CURRENT_SCHEMA.ticket, carrier: 'orange' }
}

export function getTicket(db: Db, id: string): Promise<(TicketDoc & { _rev: string }) | null> {
  return id.startsWith('ticket:') ? getOrNull<TicketDoc>(db, id) : Promise.resolve(null)
}

export async function listTickets(db: Db): Promise<(TicketDoc & { _rev: string })[]> {
  const page = await db.allDocs({ include_docs: true, startkey: 'ticket:', endkey: 'ticket:\ufff0' })
  return page.rows.map((r) => r.doc as unknown as TicketDoc & { _rev: string })
}

export function toOrangeTicket(doc: TicketDoc): OrangeTicket {
  const { _id, _rev: _r, kind: _k, schemaVersion: _s, carrier: _c, account: _a, finishedAt: _f, ...rest } = doc
  return { id: _id, ...rest }
}
