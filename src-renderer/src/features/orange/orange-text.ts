import type { MessageRef } from '../../../../src-shared/contract'
import type { OrangeTestMode, OrangeTicket, OrangeTicketLine, OrangeTicketOperation, OrangeTicketState } from '../../../../src-shared/models/orange'
import { ORANGE_SIM_STATUSES, type OrangePosition } from '../../../../src-shared/models/sim'
import { wordFor, type Translate } from '../../i18n'
import { formatDateTime } from '../../lib/format'
import { statusText } from '../sim/sim-text'

/**
 * A status as Orange writes it (a requested status, a ticket's), in words. Orange's words are the normalised statuses
 * in upper snake case (sim.ts: PRE_ACTIVATED is preActivated); one this window does not know shows as it is.
 */
export function orangeStatusText(t: Translate, raw: string): string {
  if (!(ORANGE_SIM_STATUSES as readonly string[]).includes(raw)) return raw
  return statusText(
    t,
    raw.toLowerCase().replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase()),
  )
}

export const ticketStateText = (t: Translate, state: OrangeTicketState): string => wordFor(t, 'orange.ticketStates', state)

export const lineStateText = (t: Translate, state: OrangeTicketLine['processingStatus']): string => wordFor(t, 'orange.lineStates', state)

export const testModeText = (t: Translate, mode: OrangeTestMode): string => wordFor(t, 'orange.testModes', mode)

export const operationText = (t: Translate, operation: OrangeTicketOperation): string => wordFor(t, 'orange.operations', operation)

/** What a ticket asks for: "Activated for test (Europe)", or the location status. */
export function requestText(t: Translate, ticket: OrangeTicket): string {
  if (ticket.operation === 'location' || ticket.requestedStatus === null) return operationText(t, ticket.operation)
  const to = orangeStatusText(t, ticket.requestedStatus)
  return ticket.testMode ? t('orange.panel.withTestMode', { values: { status: to, mode: testModeText(t, ticket.testMode) } }) : to
}

/** A ticket's progress out of three steps (waiting, working, finished), for its progress bar. */
export function ticketProgress(state: OrangeTicketState): number {
  return state === 'WAITING' ? 1 : state === 'WORK_IN_PROGRESS' ? 2 : 3
}

/** "48.85837, 2.29448 (± 50 m), measured 1 Jun 2024, 10:00:00". */
export function positionText(t: Translate, position: OrangePosition, locale: string | null | undefined): string {
  const place = `${position.latitude.toFixed(5)}, ${position.longitude.toFixed(5)}`
  const parts = [place]
  if (position.accuracy) parts.push(t('orange.panel.accuracy', { values: { value: position.accuracy.value, unit: position.accuracy.unit } }))
  if (position.at) parts.push(t('orange.panel.measured', { values: { time: formatDateTime(position.at, locale) } }))
  return parts.join(' ')
}

/**
 * Why a typed ticket number cannot be looked up, saying what one looks like; an empty field asks for the number
 * rather than quoting nothing ("«  » is not a ticket number").
 */
export function ticketNumberProblem(typed: string): MessageRef {
  const ticket = typed.trim().slice(0, 20)
  return ticket === '' ? { key: 'orange.lookup.numberMissing' } : { key: 'orange.invalidTicket', params: { ticket } }
}
