/**
 * The platform REST API's refusals (docs/wire/dm-packages.md §4 "REST") as AppErrors the window translates (keys
 * `dmPlatform.*`). The platform's own words, `{message, exception: {id}}` (docs/wire/dm-packages.md §4 "REST"), go into
 * `details.carrierCode` / `carrierMessage`. Transport failures keep the HTTP factory's `errors.*` keys; only their
 * text is redacted here.
 */
import { z } from 'zod'
import type { ErrorCode, MessageRef } from '../../../src-shared/contract'
import { AppError, isAppError } from '../common/errors'
import type { HttpResponse } from '../http/http-client'

const MAX_QUOTE = 200

export interface PlatformRestContext {
  host: string
  /** The API base URL, named when the host does not answer like the platform. */
  url: string
  /** Redacted from anything quoted or passed on: a key or token echoed back must reach no message or log. */
  secrets: readonly string[]
}

/** docs/wire/dm-packages.md §4 "REST": clients switch on `exception.id`. */
const errorBodySchema = z.object({ message: z.string().optional(), exception: z.object({ id: z.string() }).optional() })

function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s !== '').reduce((t, s) => t.split(s).join('[redacted]'), text)
}

function quote(text: string, ctx: PlatformRestContext): string {
  return redact(text, ctx.secrets).replace(/\s+/g, ' ').trim().slice(0, MAX_QUOTE)
}

/** What the platform said, in its own words. */
function platformWords(res: HttpResponse, ctx: PlatformRestContext): { code?: string; message?: string } {
  const body = errorBodySchema.safeParse(res.tryJson())
  if (body.success && (body.data.message || body.data.exception)) {
    return { ...(body.data.exception ? { code: quote(body.data.exception.id, ctx) } : {}), ...(body.data.message ? { message: quote(body.data.message, ctx) } : {}) }
  }
  if (res.isHtml()) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(res.text)?.[1]
    return title ? { message: quote(title, ctx) } : {}
  }
  const text = quote(res.text, ctx)
  return text ? { message: text } : {}
}

function make(code: ErrorCode, message: string, ref: MessageRef, said: { code?: string; message?: string }): AppError {
  return AppError.withRef(code, message, ref, { ...(said.code ? { carrierCode: said.code } : {}), ...(said.message ? { carrierMessage: said.message } : {}) })
}

/** An answer the operation does not expect; `bundleId` names the package the request was about. */
export function platformRestError(res: HttpResponse, ctx: PlatformRestContext, bundleId?: string): AppError {
  const status = res.status
  const said = platformWords(res, ctx)
  const quoted = `HTTP ${status}${said.code ? ` ${said.code}` : ''}${said.message ? `: ${said.message}` : ''}`
  if (status === 401)
    return make(
      'AUTH_FAILED',
      `The platform (${ctx.host}) refused the API key or its token (${quoted}); check the API key (the platform profile's user name, or FIELDLINE_MQTT_USERNAME) and its token (the password, or FIELDLINE_MQTT_PASSWORD)`,
      { key: 'dmPlatform.authFailed', params: { host: ctx.host } },
      said,
    )
  if (status === 403)
    return make('FORBIDDEN', `The platform (${ctx.host}) does not let this API key manage device-management packages (${quoted})`, { key: 'dmPlatform.forbidden', params: { host: ctx.host } }, said)
  if (status === 429) return make('RATE_LIMITED', `The platform (${ctx.host}) asked to slow down (${quoted})`, { key: 'dmPlatform.rateLimited', params: { host: ctx.host } }, said)
  if (res.isHtml() && status < 500)
    return make('NOT_FOUND', `${ctx.url} does not answer like the platform's REST API (${quoted}); check the REST API URL`, { key: 'dmPlatform.notPlatformApi', params: { url: ctx.url } }, said)
  if (status === 404 && bundleId) return make('NOT_FOUND', `The platform holds no package ${bundleId}`, { key: 'dmPlatform.notOnPlatform', params: { bundleId } }, said)
  if (status === 409 && bundleId) return make('CONFLICT', `The platform already holds a package ${bundleId}`, { key: 'dmPlatform.alreadyOnPlatform', params: { bundleId } }, said)
  if (status === 400) return make('VALIDATION', `The platform refused the request (${quoted})`, { key: 'dmPlatform.refused', params: { reason: said.message ?? said.code ?? `HTTP ${status}` } }, said)
  if (status >= 500) return make('CARRIER', `The platform (${ctx.host}) is unavailable (${quoted})`, { key: 'dmPlatform.unavailable', params: { host: ctx.host, status } }, said)
  return make('CARRIER', `The platform (${ctx.host}) could not answer (${quoted})`, { key: 'dmPlatform.failed', params: { host: ctx.host, status } }, said)
}

/** A success status whose body is not what the API documents. */
export function platformBadResponse(ctx: PlatformRestContext, detail: string): AppError {
  return AppError.withRef('CARRIER', `The platform (${ctx.host}) answered in an unexpected form (${quote(detail, ctx)})`, { key: 'dmPlatform.badResponse', params: { host: ctx.host } })
}

/** A transport failure from the HTTP factory, its text redacted; its code and reference are kept. */
export function platformTransportError(err: unknown, ctx: PlatformRestContext): unknown {
  return isAppError(err) ? new AppError(err.code, redact(err.message, ctx.secrets), err.details) : err
}
