/**
 * A weather provider's refusals as AppErrors the UI can translate (keys `weather.*`). What the provider said goes into
 * `details.carrierCode` / `carrierMessage` (the contract's fields for an external service's own words). Transport
 * failures (network, TLS, timeout) come from the HTTP factory with its `errors.*` keys; only those that say the
 * configured URL may be wrong (no such host, nothing listening there) are remapped, to say where the URL is set.
 *
 * Where the operator fixes what was refused: the Weather card (saved settings), or the environment variable the CLI or
 * serve mode was started with (FIELDLINE_WEATHER_*), which the card cannot change; each refusal names the one in use.
 */
import { z } from 'zod'
import type { ErrorCode, MessageRef } from '../../../src-shared/contract'
import { WEATHER_DEFAULT_URLS } from '../../../src-shared/models/weather'
import { AppError, isAppError } from '../common/errors'
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
  /** Likewise the URL: FIELDLINE_WEATHER_URL, or the provider's own host when that variable is not set. */
  urlVariable?: string
}

/** A client's context without its key: the service, the URL, and the environment variables that gave them, if any. */
export function providerContext(service: string, options: { baseUrl: string; keyVariable?: string; urlVariable?: string }): ProviderContext {
  return {
    service,
    url: options.baseUrl,
    ...(options.keyVariable ? { keyVariable: options.keyVariable } : {}),
    ...(options.urlVariable ? { urlVariable: options.urlVariable } : {}),
  }
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

/**
 * What the provider said about the failure, in its own words: its error code and message when it gave them. `own`:
 * the body is the provider's own error envelope, so the URL reached the provider's API.
 */
function providerWords(res: HttpResponse, ctx: ProviderContext): { code?: string; message?: string; own: boolean } {
  const body = res.tryJson()
  const twc = twcErrorsSchema.safeParse(body)
  if (twc.success) {
    const first = twc.data.errors[0]!.error
    return { code: quote(first.code, ctx), message: quote(first.message, ctx), own: true }
  }
  const om = openMeteoErrorSchema.safeParse(body)
  if (om.success) return { code: String(res.status), message: quote(om.data.reason, ctx), own: true }
  if (res.isHtml()) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(res.text)?.[1]
    return { code: String(res.status), ...(title ? { message: quote(title, ctx) } : {}), own: false }
  }
  const text = quote(res.text, ctx)
  return { code: String(res.status), ...(text ? { message: text } : {}), own: false }
}

/** A refusal of the key: the Weather card holds it (in the vault), or the environment variable that gave it. */
function keyRefusal(code: ErrorCode, ctx: ProviderContext, text: string, quoted: string, keys: { card: string; env: string }, said: { code?: string; message?: string }): AppError {
  if (ctx.keyVariable) return make(code, `${text} (${quoted}); check ${ctx.keyVariable}`, { key: keys.env, params: { service: ctx.service, name: ctx.keyVariable } }, said)
  return make(code, `${text} (${quoted}); check the key in Extensions → Weather → Configure`, { key: keys.card, params: { service: ctx.service } }, said)
}

/** A URL that does not lead to the provider's API: set in the Weather card, or by the environment variable. */
function urlRefusal(ctx: ProviderContext, quoted: string, said: { code?: string; message?: string }): AppError {
  const text = `${ctx.url} does not answer like the ${ctx.service} API (${quoted})`
  if (ctx.urlVariable) return make('NOT_FOUND', `${text}; check ${ctx.urlVariable}`, { key: 'weather.envNotWeatherApi', params: { url: ctx.url, name: ctx.urlVariable } }, said)
  return make('NOT_FOUND', `${text}; check the API URL in Extensions → Weather → Configure`, { key: 'weather.notWeatherApi', params: { url: ctx.url } }, said)
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
  if (status === 401) return keyRefusal('AUTH_FAILED', ctx, `${ctx.service} refused the API key`, quoted, { card: 'weather.authFailed', env: 'weather.envKeyRefused' }, said)
  // TWC licenses each product to a key ("Access Denied" for one it does not cover, docs/wire/weather.md §4.1).
  if (status === 403)
    return keyRefusal('FORBIDDEN', ctx, `${ctx.service} refused access: the key is not licensed for this data`, quoted, { card: 'weather.forbidden', env: 'weather.envForbidden' }, said)
  // The provider's words say when to try again (Open-Meteo: "…try again in one minute" or "…tomorrow"): the window says them too.
  if (status === 429) {
    const ref: MessageRef = said.message ? { key: 'weather.rateLimitedSaid', params: { service: ctx.service, said: said.message } } : { key: 'weather.rateLimited', params: { service: ctx.service } }
    return make('RATE_LIMITED', `${ctx.service} asked to slow down (${quoted})`, ref, said)
  }
  // A web server's own page, or a 404 without the provider's error envelope: the path is not the provider's API.
  if ((res.isHtml() && status < 500) || (status === 404 && !said.own)) return urlRefusal(ctx, quoted, said)
  if (status === 400) return make('CARRIER', `${ctx.service} refused the request (${quoted})`, { key: 'weather.badRequest', params: { service: ctx.service, reason: said.message ?? '' } }, said)
  if (status >= 500) return make('CARRIER', `${ctx.service} is unavailable (${quoted})`, { key: 'weather.unavailable', params: { service: ctx.service, status } }, said)
  return make('CARRIER', `${ctx.service} could not answer (${quoted})`, { key: 'weather.failed', params: { service: ctx.service, status } }, said)
}

/** Transport failures that say the URL itself may be wrong: no host has that name, or nothing listens at its port. */
const WRONG_ADDRESS = new Set(['ENOTFOUND', 'ENOENT', 'ECONNREFUSED'])
const DEFAULT_URLS = new Set<string>(Object.values(WEATHER_DEFAULT_URLS))

/**
 * The HTTP factory's NETWORK failure, when its cause says the configured URL may be wrong, restated to say where the
 * URL is set; anything else as it is. The cause stays a code (`reason`), which the window says in words.
 */
export function unreachableError(e: unknown, ctx: ProviderContext): unknown {
  if (!isAppError(e) || e.code !== 'NETWORK') return e
  const reason = e.details?.ref?.params?.reason
  if (typeof reason !== 'string' || !WRONG_ADDRESS.has(reason)) return e
  // The provider's own host failing (a DNS that cannot answer offline says ENOTFOUND) says nothing about the URL.
  if (DEFAULT_URLS.has(ctx.url)) return e
  const params = { service: ctx.service, url: ctx.url, reason }
  if (ctx.urlVariable)
    return AppError.withRef('NETWORK', `${e.message}; if the address is wrong, correct ${ctx.urlVariable}`, { key: 'weather.envUnreachable', params: { ...params, name: ctx.urlVariable } })
  return AppError.withRef('NETWORK', `${e.message}; if the address is wrong, correct the API URL in Extensions → Weather → Configure`, { key: 'weather.unreachable', params })
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
