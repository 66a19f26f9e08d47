/**
 * Orange's answers other than success, as AppErrors the UI can translate. Orange's own code and text stay in
 * `details.carrierCode` / `details.carrierMessage`: the MalimaError or TelcoISError code when there is one, else the
 * name of the fault (TooManyLineIdentifiersError…), so an operator can quote exactly what Orange said.
 */
import type { ErrorCode, MessageRef } from '../../../../src-shared/contract'
import { orangeSerialCheckDigitValid } from '../../../../src-shared/models/orange'
import { AppError } from '../../common/errors'
import type { HttpResponse } from '../../http/http-client'
import type { SoapFault } from './soap'
import { readMalimaFault } from './wire'

export interface OrangeErrorContext {
  /** The service's URL, shown when the host does not answer like Orange. */
  url: string
  operation: string
  serialNumber?: string
  ticketNumber?: number
}

const MAX_TEXT = 500

function make(code: ErrorCode, message: string, ref: MessageRef, carrierCode: string | null, carrierMessage: string | null): AppError {
  const extra: { carrierCode?: string; carrierMessage?: string } = {}
  if (carrierCode) extra.carrierCode = carrierCode.slice(0, 100)
  if (carrierMessage) extra.carrierMessage = carrierMessage.slice(0, MAX_TEXT)
  return AppError.withRef(code, message, ref, extra)
}

const short = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 200)

/** A SOAP fault: Orange's typed faults by name; any other fault is the SOAP stack refusing what was sent. */
export function faultError(fault: SoapFault, ctx: OrangeErrorContext): AppError {
  const typed = readMalimaFault(fault.detail)
  switch (typed?.kind) {
    case 'MalimaError':
      return make(
        'CARRIER',
        `Orange refused ${ctx.operation}: ${typed.code} ${short(typed.message)}`,
        { key: 'orange.malimaError', params: { code: typed.code, message: short(typed.message) } },
        typed.code,
        typed.message,
      )
    case 'TooManyLineIdentifiersError':
      return make(
        'CARRIER',
        `Orange accepts at most ${typed.max ?? '?'} lines in one ${ctx.operation} request`,
        { key: 'orange.tooManyLines', params: { max: typed.max ?? '?' } },
        'TooManyLineIdentifiersError',
        typed.max === null ? null : `maxAllowedLineIdentifiersNumber ${typed.max}`,
      )
    case 'UnknownTicketError': {
      const ticket = typed.ticketNumber ?? ctx.ticketNumber ?? '?'
      return make('NOT_FOUND', `Orange does not know ticket ${ticket}`, { key: 'orange.unknownTicket', params: { ticket } }, 'UnknownTicketError', `ticketNumber ${ticket}`)
    }
    case 'ResultAlreadyRetrievedError':
      return make(
        'CONFLICT',
        `Orange already gave the result of ticket ${ctx.ticketNumber ?? '?'}${typed.retrievalDate ? ` on ${typed.retrievalDate}` : ''}; it gives a result once`,
        { key: 'orange.resultAlreadyRetrieved', params: { ticket: ctx.ticketNumber ?? '?', date: typed.retrievalDate ?? '' } },
        'ResultAlreadyRetrievedError',
        typed.retrievalDate,
      )
    case 'TelcoISError':
      return make(
        'CARRIER',
        `Orange's network information system failed: ${short(typed.message)}`,
        { key: 'orange.telcoError', params: { message: short(typed.message) } },
        typed.code ?? 'TelcoISError',
        typed.message,
      )
    case 'InvalidParameterError':
      return make(
        'VALIDATION',
        `Orange refused a parameter: ${short(typed.message)}`,
        { key: 'orange.invalidParameter', params: { message: short(typed.message) } },
        'InvalidParameterError',
        typed.message,
      )
    default:
      return make(
        'CARRIER',
        `Orange rejected the ${ctx.operation} request Fieldline sent (${short(fault.faultCode)} ${short(fault.faultString)})`,
        { key: 'orange.soapFault', params: { fault: short(fault.faultString) || short(fault.faultCode) } },
        fault.faultCode || null,
        fault.faultString,
      )
  }
}

/** What a non-SOAP body says, in one short line: the HTML title if there is one, else the first words. */
function bodySummary(res: HttpResponse): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(res.text)?.[1]
  return short(title ?? res.text.replace(/<[^>]*>/g, ' '))
}

/** An answer that is not a SOAP envelope: authentication, an intermediary's page, the wrong host. */
export function httpError(res: HttpResponse, ctx: OrangeErrorContext): AppError {
  const said = bodySummary(res) || null
  if (res.status === 401 || res.status === 403) {
    return make('AUTH_FAILED', `Orange refused the access key and password (HTTP ${res.status})`, { key: 'orange.authFailed', params: { status: res.status } }, null, said)
  }
  if (res.status === 429) return make('RATE_LIMITED', `Orange kept asking to slow down after ${res.attempts} attempts`, { key: 'carrier.rateLimited' }, null, said)
  if (res.status >= 500) return make('CARRIER', `Orange is unavailable (HTTP ${res.status}${said ? ` ${said}` : ''})`, { key: 'carrier.unavailable', params: { status: res.status } }, null, said)
  return notOrange(res, ctx)
}

export function notOrange(res: HttpResponse, ctx: OrangeErrorContext): AppError {
  return make(
    'NOT_FOUND',
    `${ctx.url} does not answer like Orange's M2M web services (HTTP ${res.status}${res.mimeType ? ` ${res.mimeType}` : ''}). Check the base URL.`,
    { key: 'orange.notOrange', params: { url: ctx.url } },
    null,
    bodySummary(res) || null,
  )
}

/** A success whose body does not have the documented shape. */
export function badAnswer(ctx: OrangeErrorContext, detail: string): AppError {
  return make('CARRIER', `Orange answered ${ctx.operation} in an unexpected form (${short(detail)})`, { key: 'carrier.badResponse', params: { operation: ctx.operation } }, null, null)
}

/**
 * A submission whose outcome cannot be known: the request may have made a ticket. It is never sent again; the
 * operator can look the SIM up (a pending request shows as its requested status) or a ticket by number.
 */
export function submissionUnknown(host: string, operation: string, reason: string): AppError {
  return AppError.withRef(
    'UNKNOWN_OUTCOME',
    `Orange may or may not have accepted ${operation} (${reason}); it was not sent again. Refresh the SIM (a pending change shows as its requested status) or look the ticket up by number before trying again.`,
    { key: 'orange.submitUnknown', params: { host } },
  )
}

/**
 * A serial number Orange does not know. One whose check digit is wrong (docs/wire/orange.md §4.2: accepted, only
 * warned about) was most likely mistyped, which the operator is told rather than left to guess (cold trial).
 */
export function unknownSerial(serialNumber: string): AppError {
  if (orangeSerialCheckDigitValid(serialNumber)) {
    return AppError.withRef('NOT_FOUND', `Orange does not know the SIM serial number ${serialNumber}`, { key: 'orange.unknownSerial', params: { serial: serialNumber } })
  }
  return AppError.withRef('NOT_FOUND', `Orange does not know the SIM serial number ${serialNumber}, whose last digit fails its check digit: check it was typed correctly`, {
    key: 'orange.unknownSerialCheckDigit',
    params: { serial: serialNumber },
  })
}
