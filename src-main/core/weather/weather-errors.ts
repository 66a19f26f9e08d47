/**
 * A weather provider's refusals as AppErrors the UI can translate (keys `weather.*`). What the provider said goes into
 * `details.carrierCode` / `carrierMessage` (the contract's fields for an external service's own words). Transport
 * failures (network, TLS, timeout) come from the HTTP factory with its `errors.*` keys and are not remapped here.
 */
import { z } from 'zod'
import type { ErrorCode, MessageRef } from '../../../src-shared/contract'
import { AppError } from '../common/errors'
import type { HttpResponse } from '../http/http-client'

const MAX_QUOTE = 200

export interface ProviderContext {
  /** "The Weather Company", "Open-Meteo". */
  service: string
  /** The API base URL, named when the host does not answer like the provider. */
  url: string
  /** Redacted from anything quoted: a key echoed in a body must not reach a message or a log. */
  secret?: string
  /** Where the key came from when an environment variable gave it (serve or the CLI started with FIELDLINE_WEATHER_*). */
  keyVariable?: string
}

function quote(text: string, ctx: ProviderContext): string {
  const clean = ctx.secret ? text.split(ctx.secret).join('[redacted]') : text
  return clean.replace(/\s+/g, ' ').trim().slice(0, MAX_QUOTE)
}

function make(code: ErrorCode, message: string, ref: MessageRef, said: { code?: string; message?: string }): AppError {
  return AppError.withRef(code, message, ref, {
    ...(said.code ? { carrierCode: said.code } : {}),
    ...(said.message ? { carrierMessage: said.message } : {}),
  })
}

/** TWC's error body (docs/wire/weather.md §4, the CDN-0001 example): `{"success": false, "errors": [{"error": {code, message}}]}`. */
const twcErrorsSchema = z.object({ errors: z.array(z.object({ error: z.object({ code: z.string(), message: z.string() }) })).min(1) })

/** Open-Meteo's error body: `{"error": true, "reason": "…"}`. */
const openMeteoErrorSchema = z.object({ error: z.literal(true), reason: z.string() })

/** What the provider said about the failure, in its own words: its error code and message when it gave them. */
export function providerWords(res: HttpResponse, ctx: ProviderContext): { code?: string; message?: string } {
  const body = res.tryJson()
  const twc = twcErrorsSchema.safeParse(body)
  if (twc.success) {
    const first = twc.data.errors[0]!.error
    return { code: quote(first.code, ctx), message: quote(first.message, ctx) }
  }
  const om = openMeteoErrorSchema.safeParse(body)
  if (om.success) return { code: String(res.status), message: quote(om.data.reason, ctx) }
  if (res.isHtml()) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(res.text)?.[1]
    return { code: String(res.status), ...(title ? { message: quote(title, ctx) } : {}) }
  }
  const text = quote(res.text, ctx)
  return { code: String(res.status), ...(text ? { message: text } : {}) }
}

/** Maps a provider answer other than 200. */
export function providerError(res: HttpResponse, ctx: ProviderContext): AppError {
  const status = res.status
  const said = providerWords(res, ctx)
  const quoted = `HTTP ${status}${said.code && said.code !== String(status) ? ` ${said.code}` : ''}${said.message ? `: ${said.message}` : ''}`
  // Without a key (Open-Meteo's free API, which never asks for one) a refusal cannot be of the key: the URL is another service's.
  if ((status === 401 || status === 403) && !ctx.secret)
    return make(
      'NOT_FOUND',
      `${ctx.url} asks for credentials, which the free ${ctx.service} API never does (${quoted}); check the API URL`,
      { key: 'weather.asksForKey', params: { url: ctx.url, service: ctx.service } },
      said,
    )
  // The Weather card cannot fix a key the environment gives: the refusal names the variable instead.
  if (status === 401 && ctx.keyVariable)
    return make(
      'AUTH_FAILED',
      `${ctx.service} refused the API key (${quoted}); check ${ctx.keyVariable}`,
      { key: 'weather.envKeyRefused', params: { service: ctx.service, name: ctx.keyVariable } },
      said,
    )
  if (status === 401) return make('AUTH_FAILED', `${ctx.service} refused the API key (${quoted})`, { key: 'weather.authFailed', params: { service: ctx.service } }, said)
  if (status === 403) return make('FORBIDDEN', `${ctx.service} refused access: the key is not licensed for this data (${quoted})`, { key: 'weather.forbidden', params: { service: ctx.service } }, said)
  if (status === 429) return make('RATE_LIMITED', `${ctx.service} asked to slow down (${quoted})`, { key: 'weather.rateLimited', params: { service: ctx.service } }, said)
  if (res.isHtml() && status < 500)
    return make('NOT_FOUND', `${ctx.url} does not answer like the ${ctx.service} API (${quoted}); check the API URL`, { key: 'weather.notWeatherApi', params: { url: ctx.url } }, said)
  if (status === 400) return make('CARRIER', `${ctx.service} refused the request (${quoted})`, { key: 'weather.badRequest', params: { service: ctx.service, reason: said.message ?? '' } }, said)
  if (status >= 500) return make('CARRIER', `${ctx.service} is unavailable (${quoted})`, { key: 'weather.unavailable', params: { service: ctx.service, status } }, said)
  return make('CARRIER', `${ctx.service} could not answer (${quoted})`, { key: 'weather.failed', params: { service: ctx.service, status } }, said)
}

/** A 200 whose body is not what the provider documents. */
export function badResponse(ctx: ProviderContext, detail: string): AppError {
  return AppError.withRef('CARRIER', `${ctx.service} answered in an unexpected form (${quote(detail, ctx)})`, { key: 'weather.badResponse', params: { service: ctx.service } })
}

/** The zod issues of a body check, short enough for a message. */
export function issuesText(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
    .join('; ')
}
