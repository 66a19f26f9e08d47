/**
 * Orange rows of a bulk job (docs/wire/orange.md §4.4, §4.6): identified by their 13-digit serial number, checked
 * against the transitions Orange is taken to refuse, and changed by an Orange status ticket — submitted once, then
 * followed until Orange says how it ended. Orange offers no rate-plan change and no SMS: those rows are refused.
 */
import { ORANGE_REQUESTABLE_STATUSES, orangeSerialCheckDigitValid, type OrangeRequestableStatus } from '../../../src-shared/models/orange'
import type { JobOperation, PreflightIssue, SimSide } from '../../../src-shared/models/sim-jobs'
import type { SimStatus } from '../../../src-shared/models/sim'
import { orangeStatusValue } from '../carriers/sim-model'
import type { OrangeService } from '../carriers/orange/orange.service'
import { ticketFailure } from '../carriers/orange/ticket-follower'
import { checkDigits } from './identifiers'
import type { JobRowDoc } from './jobs.store'

/** What a job needs of the Orange service: accounts, reads, submissions and the tickets' outcomes. */
export type OrangeJobPort = Pick<OrangeService, 'accounts' | 'bySerial' | 'waitFor'>

const SERIAL_LENGTH = 13

/** A serial number as a cell gives it, or null with why it names none; a wrong check digit only warns (§4.2). */
export function checkSerial(raw: string): { iccid: string | null; issues: PreflightIssue[] } {
  const checked = checkDigits(raw, SERIAL_LENGTH, SERIAL_LENGTH)
  if (!checked.iccid) return checked
  return { iccid: checked.iccid, issues: orangeSerialCheckDigitValid(checked.iccid) ? [] : [{ code: 'luhn', severity: 'warning' }] }
}

/** Orange's word for a state a ticket may request, or null when no ticket can request it (§4.4). */
export function orangeRequest(status: SimStatus | null | undefined): OrangeRequestableStatus | null {
  const value = status ? orangeStatusValue(status) : undefined
  return (ORANGE_REQUESTABLE_STATUSES as readonly string[]).includes(value ?? '') ? (value as OrangeRequestableStatus) : null
}

/** What an Orange row asks for, or why Orange cannot be asked. */
export function orangeIntended(operation: JobOperation, status: SimStatus | null): { after: SimSide; issues: PreflightIssue[] } {
  if (operation === 'refresh') return { after: {}, issues: [] }
  if (operation !== 'status') return { after: {}, issues: [{ code: 'unsupported', severity: 'error', detail: `orange ${operation}` }] }
  if (!orangeRequest(status)) return { after: {}, issues: [{ code: 'unsupported', severity: 'error', detail: `orange ${status}` }] }
  return { after: { status }, issues: [] }
}

/** The transitions Fieldline refuses before a ticket is submitted (§4.6, decisions marked [I] there). */
export function orangeTransition(before: { status: SimStatus; pending: string | null }, after: SimSide): PreflightIssue[] {
  const from = orangeStatusValue(before.status) ?? before.status
  const to = orangeRequest(after.status)
  if (!to) return []
  const refused = (): PreflightIssue[] => [{ code: 'transition', severity: 'error', detail: `${from} → ${to}` }]
  if (from === 'CANCELLED') return refused()
  if (from === to) return [{ code: 'noChange', severity: 'skip' }]
  if (before.pending) return [{ code: 'pendingChange', severity: 'error', detail: before.pending }]
  if (to === 'ACTIVATED_FOR_TEST' && from !== 'PRE_ACTIVATED') return refused()
  if ((to === 'SLEEPING' || to === 'SUSPENDED') && from === 'PRE_ACTIVATED') return refused()
  return []
}

/** An Orange row whose ticket ended, at `at`: done when Orange TERMINATED it, failed with Orange's reason otherwise. */
export function endByTicket(row: JobRowDoc, ticket: Parameters<typeof ticketFailure>[0], at: string): void {
  const ok = ticket.state === 'TERMINATED'
  row.state = ok ? 'done' : 'failed'
  row.error = ok ? null : ticketFailure(ticket)
  row.at = at
}
