/**
 * Control Center's answers other than success, as AppErrors the UI can translate. The carrier's own code and text
 * stay in `details.carrierCode` / `details.carrierMessage` (docs/wire/control-center.md §1.3 for REST, §2.1 for SOAP faults).
 */
import { z } from 'zod'
import type { ErrorCode, MessageRef } from '../../../../src-shared/contract'
import { AppError } from '../../common/errors'
import type { HttpResponse } from '../../http/http-client'

export interface ErrorContext {
  /** "Control Center" or "AT&T Control Center", for English messages. */
  service: string
  /** The REST base, shown when the host does not look like a Control Center API. */
  apiUrl: string
  /** The SIM the call was about, for "SIM … not found". */
  iccid?: string
  /** The SMS the call was about. */
  smsMsgId?: string
}

const envelopeSchema = z.object({
  errorMessage: z.string().nullish(),
  errorCode: z.union([z.string(), z.number()]).nullish(),
})

/** The error envelope's code and message, or nulls when the body is not one. */
export function readEnvelope(res: HttpResponse): { code: string | null; message: string | null } {
  const parsed = envelopeSchema.safeParse(res.tryJson())
  if (!parsed.success) return { code: null, message: null }
  return { code: parsed.data.errorCode == null ? null : String(parsed.data.errorCode), message: parsed.data.errorMessage ?? null }
}

/** Codes about what the operator asked for (a status, a page size, SMS parameters, a zone, a date): VALIDATION. */
const INPUT_CODES = new Set(['10000002', '10000003', '10000004', '10000005', '10000006', '10000007', '10000017', '10000018', '10000019', '10000020', '10000031'])
/**
 * Codes about the request Fieldline built (JSON not well formed, API version, a query parameter the service does
 * not know): the operator cannot fix these, so they are CARRIER errors rather than validation of their input.
 */
const REQUEST_CODES = new Set(['10000023', '10000024', '10000028'])
/** Codes that say the user's role may not do this. */
const PERMISSION_CODES = new Set(['10000008', '10000009', '10000010', '10000030'])

const MAX_CARRIER_MESSAGE = 500

/** What a non-JSON body says, in one short line: the HTML title if there is one, else the first words of the text. */
export function bodySummary(res: HttpResponse): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(res.text)?.[1]
  const text = (title ?? res.text.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim()
  return text.slice(0, 200)
}

function make(code: ErrorCode, message: string, ref: MessageRef, carrierCode: string | null, carrierMessage: string | null): AppError {
  const extra: { carrierCode?: string; carrierMessage?: string } = {}
  if (carrierCode !== null) extra.carrierCode = carrierCode
  if (carrierMessage !== null && carrierMessage !== '') extra.carrierMessage = carrierMessage.slice(0, MAX_CARRIER_MESSAGE)
  return AppError.withRef(code, message, ref, extra)
}

/** Maps a REST answer that is not a success. */
export function restError(res: HttpResponse, ctx: ErrorContext): AppError {
  const { code, message } = readEnvelope(res)
  const status = res.status
  const said = message ?? (code === null ? bodySummary(res) : null)
  const quote = `${code ?? `HTTP ${status}`}${said ? ` ${said}` : ''}`

  if (code === null && message === null) {
    // Not Control Center's envelope: a console host, a proxy, a load balancer.
    if (status === 404 || (res.isHtml() && status < 500 && status !== 429 && status !== 401)) return notControlCenter(ctx, res)
    if (status === 429) return rateLimited(ctx, res, null, said)
    if (status === 401 || status === 403) return make('AUTH_FAILED', `${ctx.service} refused the request (${quote})`, { key: 'carrier.authRequired' }, null, said)
    if (status >= 500) return make('CARRIER', `${ctx.service} is unavailable (${quote})`, { key: 'carrier.unavailable', params: { status } }, null, said)
    return make('CARRIER', `${ctx.service} gave an unexpected answer (${quote})`, { key: 'carrier.unexpectedAnswer', params: { status } }, null, said)
  }

  if (code === '10000001') {
    return make('AUTH_FAILED', `${ctx.service} refused the user name and API key, or this computer's address (${quote})`, { key: 'carrier.invalidCredentials' }, code, message)
  }
  if (status === 401 || status === 403) {
    return make('AUTH_FAILED', `${ctx.service} asks for authentication (${quote})`, { key: 'carrier.authRequired' }, code, message)
  }
  // 20000001 is "Resource not found - Invalid ICCID"; other 2000000x codes name other resources (an SMS id).
  if (code === '20000001' || (status === 404 && code?.startsWith('2000000'))) {
    if (ctx.smsMsgId !== undefined) return make('NOT_FOUND', `SMS ${ctx.smsMsgId} was not found (${quote})`, { key: 'sim.smsNotFound', params: { smsMsgId: ctx.smsMsgId } }, code, message)
    if (ctx.iccid !== undefined) return make('NOT_FOUND', `SIM ${ctx.iccid} is not known to ${ctx.service} (${quote})`, { key: 'sim.notFound', params: { iccid: ctx.iccid } }, code, message)
    return make('NOT_FOUND', `${ctx.service} did not find it (${quote})`, { key: 'carrier.resourceNotFound' }, code, message)
  }
  if (code !== null && PERMISSION_CODES.has(code)) {
    return make('FORBIDDEN', `This ${ctx.service} user's role may not do this (${quote})`, { key: 'carrier.notAllowed' }, code, message)
  }
  if (code !== null && REQUEST_CODES.has(code)) {
    return make('CARRIER', `${ctx.service} rejected the request Fieldline sent (${quote})`, { key: 'carrier.requestRejected', params: { code } }, code, message)
  }
  if (code === '30000002') {
    return make('CARRIER', `${ctx.service} could not hand the SMS to the SMS centre; it was not sent (${quote})`, { key: 'sim.smsNotSubmitted' }, code, message)
  }
  if (status === 429) return rateLimited(ctx, res, code, message)
  if (status === 404) {
    return make('NOT_FOUND', `${ctx.service} did not find it (${quote})`, { key: 'carrier.resourceNotFound' }, code, message)
  }
  if ((code !== null && INPUT_CODES.has(code)) || status === 400) {
    return make('VALIDATION', `${ctx.service} refused the request: ${message ?? quote}`, { key: 'carrier.invalidRequest', params: { message: (message ?? quote).slice(0, 200) } }, code, message)
  }
  if (status >= 500) {
    return make('CARRIER', `${ctx.service} reported an internal error (${quote})`, { key: 'carrier.serverError' }, code, message)
  }
  return make('CARRIER', `${ctx.service} gave an unexpected answer (${quote})`, { key: 'carrier.unexpectedAnswer', params: { status } }, code, message)
}

function rateLimited(ctx: ErrorContext, res: HttpResponse, code: string | null, message: string | null): AppError {
  return make('RATE_LIMITED', `${ctx.service} kept asking to slow down after ${res.attempts} attempts`, { key: 'carrier.rateLimited' }, code, message)
}

/** The host answered, but not as a Control Center API does (HTML page, non-JSON body, unknown JSON). */
export function notControlCenter(ctx: ErrorContext, res: HttpResponse | null): AppError {
  const what = res ? `HTTP ${res.status}${res.mimeType ? ` ${res.mimeType}` : ''}` : 'an unreadable answer'
  return make(
    'NOT_FOUND',
    `${ctx.apiUrl} does not answer like a Control Center API (${what}). Check the API URL: the console's address is not the API's.`,
    { key: 'carrier.notControlCenter', params: { url: ctx.apiUrl } },
    null,
    res ? bodySummary(res) : null,
  )
}

/** A success status whose body does not have the documented shape. */
export function badResponse(ctx: ErrorContext, operation: string, detail: string): AppError {
  return make('CARRIER', `${ctx.service} answered ${operation} in an unexpected form (${detail.slice(0, 200)})`, { key: 'carrier.badResponse', params: { operation } }, null, null)
}

/**
 * SOAP faults carry their code as the faultstring (§2.1). Auth and licence faults are told apart because the
 * operator fixes them in different fields (the GUI password vs the licence key).
 */
export function soapFaultError(faultCode: string, detail: string | null, ctx: ErrorContext): AppError {
  const quote = `${faultCode}${detail ? ` ${detail}` : ''}`
  switch (faultCode) {
    case '100100':
      return make('NOT_FOUND', `SIM ${ctx.iccid ?? ''} is not known to ${ctx.service} (${quote})`, { key: 'sim.notFound', params: { iccid: ctx.iccid ?? '' } }, faultCode, detail)
    case '100101':
      return make('VALIDATION', `${ctx.service} says the ICCID ${ctx.iccid ?? ''} is invalid (${quote})`, { key: 'sim.invalidIccid', params: { iccid: ctx.iccid ?? '' } }, faultCode, detail)
    case '200200':
      return make('NOT_FOUND', `${ctx.service} has no usage for SIM ${ctx.iccid ?? ''} in that cycle (${quote})`, { key: 'sim.noUsage', params: { iccid: ctx.iccid ?? '' } }, faultCode, detail)
    case '400100':
      return make('AUTH_FAILED', `${ctx.service} refused the API licence key (${quote})`, { key: 'carrier.invalidLicenseKey' }, faultCode, detail)
    case '400101':
      return make('RATE_LIMITED', `${ctx.service} says the licence is over its API rate limit (${quote})`, { key: 'carrier.rateLimited' }, faultCode, detail)
    case '400200':
      return make('AUTH_FAILED', `${ctx.service} refused the user name and password (${quote})`, { key: 'carrier.invalidPassword' }, faultCode, detail)
    case '400201':
      return make('FORBIDDEN', `This ${ctx.service} user's role may not do this (${quote})`, { key: 'carrier.notAllowed' }, faultCode, detail)
    case '400300':
      return make('CARRIER', `${ctx.service} reported an internal error (${quote})`, { key: 'carrier.serverError' }, faultCode, detail)
    default:
      return make('CARRIER', `${ctx.service} returned SOAP fault ${quote}`, { key: 'carrier.soapFault', params: { code: faultCode } }, faultCode, detail)
  }
}
