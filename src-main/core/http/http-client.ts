// undici rather than the fetch global: per-client Agent (CAs, proxy, timeouts), the connection-level hook that
// tells whether a request reached the socket (needed to decide if a POST may be repeated), and its typed errors.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Dispatcher } from 'undici'
import { AppError } from '../common/errors'
import type { Logger } from '../log/logger'
import { createGovernor, type Governor } from './governor'
import { decodeContentEncoding } from './content-encoding'
import { assertSecureUrl } from './secure-url'
import { classifyTransportError, type TransportFailure } from './transport-errors'
import { trustedCas } from './trust'

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE' | 'PATCH'

export interface HttpTimeouts {
  /** TCP + TLS handshake (and proxy tunnel). */
  connect: number
  /** From the request leaving to the response headers arriving. */
  headers: number
  /** Longest silence between two chunks of the response body (undici's bodyTimeout). */
  body: number
}

export interface HttpClientOptions {
  baseUrl: string
  timeoutMs?: Partial<HttpTimeouts>
  /** Extra PEM certificates (a private CA), trusted in addition to the bundled and system roots. Verification stays on. */
  ca?: string[]
  /** http(s)://host:port of a forward proxy; TLS to the service is tunnelled through it end to end. */
  proxy?: string
  userAgent?: string
  /** The account's governor; without one, the client only spaces its own retries. */
  governor?: Governor
  logger?: Logger
  /** Attempts per request for what may be retried, the first included. */
  maxAttempts?: number
  /** Larger answers are refused: no Control Center or mbed answer comes near this, a runaway one must not fill memory. */
  maxBodyBytes?: number
  /** Name used in messages and logs, e.g. "Control Center". */
  service?: string
  /**
   * Shortest account pause once refusals are sustained and the service did not say when to come back (no
   * Retry-After). A service whose limit is counted per second (Control Center, docs/wire/control-center.md §1.2) has
   * room again only a second later, however fast the account's own governor was set.
   */
  minBackOffMs?: number
  /**
   * How long a refused request (429, 503) is told to stay away, in milliseconds, or null when the answer does not say.
   * Default: Retry-After. A service that announces the end of its rate-limit period in its own header (SendGrid's
   * X-RateLimit-Reset) reads it here; a wait longer than the governor's longest is not waited for and the refusal is
   * returned instead.
   */
  retryAfterMs?: (status: number, headers: Record<string, string>) => number | null
}

export type QueryValue = string | number | boolean | null | undefined

export interface HttpRequest {
  method: HttpMethod
  /** Appended to the base URL's path; starts with '/'. Path segments must already be encoded. */
  path: string
  query?: Record<string, QueryValue>
  headers?: Record<string, string>
  body?: string | Uint8Array
  /** Overrides the method's own idempotency, e.g. a SOAP read that travels as POST. */
  idempotent?: boolean
  /**
   * false: this change need not wait for earlier changes to the same path (a batch of documents that carry their own
   * ids, sent side by side with others). Default true for every method but GET and HEAD.
   */
  ordered?: boolean
  maxAttempts?: number
  /**
   * The caller gives up (an operator paused a bulk job): a request not started yet is not started, one on the wire is
   * not waited for, and no retry follows. The request then fails with `RequestAbandoned`, which says whether any
   * attempt reached the service.
   */
  signal?: AbortSignal
}

/**
 * A request its caller gave up on (`HttpRequest.signal`). Not an AppError: it reaches no operator, only the caller
 * that aborted, which decides what an unfinished call means for it. `sent`: an attempt reached the socket, so the
 * service may have acted on it.
 */
export class RequestAbandoned extends Error {
  /** Given up on at a deadline (an `AbortSignal.timeout` fired), not by a caller's choice: the service did not answer in time. */
  readonly timedOut: boolean

  constructor(
    readonly sent: boolean,
    signal?: AbortSignal,
  ) {
    super(sent ? 'The request was abandoned after it was sent' : 'The request was abandoned before it was sent')
    this.name = 'RequestAbandoned'
    this.timedOut = (signal?.reason as { name?: unknown } | undefined)?.name === 'TimeoutError'
  }
}

export interface HttpResponse {
  status: number
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>
  /** Lower-case essence of Content-Type (`application/json`), or '' when absent or unparsable. */
  mimeType: string
  /** Label the body was decoded with. */
  charset: string
  text: string
  attempts: number
  /** Whether Content-Type says JSON (`application/json`, `…+json`). */
  isJson(): boolean
  /** The parsed body, or `undefined` when it is empty or not JSON whatever Content-Type says. */
  tryJson(): unknown
  /** Whether the body is an HTML page (a console, a proxy or a load balancer answering instead of the API). */
  isHtml(): boolean
}

export interface HttpClient {
  readonly baseUrl: URL
  readonly governor: Governor
  request(req: HttpRequest): Promise<HttpResponse>
  close(): Promise<void>
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = { connect: 10_000, headers: 30_000, body: 30_000 }

/** undici loads with the first request: the core builds several clients that a CLI command never uses. */
let undiciModule: Promise<typeof import('undici')> | undefined
const loadUndici = () => (undiciModule ??= import('undici'))
const DEFAULT_MAX_ATTEMPTS = 5
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
const IDEMPOTENT_METHODS = new Set<HttpMethod>(['GET', 'HEAD', 'PUT', 'DELETE'])

/**
 * Retries for idempotent requests. 502 is added to the 503/504 that the services document: it is what a
 * reverse proxy answers while the service behind it restarts, and repeating a read or a PUT is harmless.
 */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504])

/**
 * A request that gets no answer at all (refused, reset, timed out) is retried a little, for a blip, but not with
 * the account-wide back-off: the service did not ask anyone to slow down, the link is down, and an operator on
 * a dead link should hear so in about a second rather than after the back-off has grown to half a minute.
 */
const TRANSPORT_ATTEMPTS = 3
const TRANSPORT_RETRY_MS = 200

/**
 * Builds the one HTTP client every external service uses. Policy, in short:
 * - URLs must be https://, or http:// to a loopback host (see assertSecureUrl); certificates are always verified.
 * - Idempotent requests (GET, HEAD, PUT, DELETE, or `idempotent: true`) are retried on 429/502/503/504 up to
 *   `maxAttempts`, and on connection failures and timeouts up to 3 attempts, 200 then 400 ms apart.
 * - Other requests (POST) are retried only when the service certainly did not act on them: a 429, a 503 that
 *   carries Retry-After (the service refused and said when to come back), or a transient failure before the
 *   request reached the socket (refused connection, connect timeout). After a timeout or a dropped connection
 *   once the request was sent, or a 502/504 or a 503 without Retry-After (an intermediary answered; the service
 *   behind it may or may not have acted), the request is never repeated: UNKNOWN_OUTCOME. Any other status,
 *   500 included, is the service's own answer and goes back to the caller, which knows its error envelope.
 * - TLS failures and unknown hosts are never retried: another attempt would meet them again.
 * - A refused request (429, 503, or a gateway's 502/504) waits on its own (Retry-After honoured, else exponential
 *   back-off with jitter) and is retried ahead of requests that have not started, while the account keeps its rate;
 *   only sustained refusals slow the account down (governor.ts). Requests to one resource keep their order.
 * - Logs carry method, host, path, query parameter names, status and timing: never header values, bodies or
 *   query values (they may hold keys).
 * - A compressed answer (Content-Encoding gzip, deflate, br) is decompressed, capped at `maxBodyBytes` too; asking
 *   for one (Accept-Encoding) is the client's choice.
 * Retries are made here rather than by undici's retry interceptor because every attempt has to pass through the
 * account's governor (its rate and its back-off), and because whether a POST may be repeated depends on whether
 * it reached the socket, which the interceptor does not tell.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const baseUrl = assertSecureUrl(options.baseUrl)
  const timeouts: HttpTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeoutMs }
  const governor = options.governor ?? createGovernor({ concurrency: Infinity, perSecond: Infinity })
  const service = options.service ?? baseUrl.host
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const readRetryAfter = options.retryAfterMs ?? ((_status: number, headers: Record<string, string>) => parseRetryAfter(headers['retry-after']))
  const userAgent = options.userAgent ?? 'Fieldline'
  const logger = options.logger
  const makeAgent = dispatcherFactory(options, timeouts)
  let agent: Promise<Dispatcher> | undefined
  let closed = false
  const basePath = baseUrl.pathname.replace(/\/+$/, '')

  async function attemptOnce(req: HttpRequest, url: string): Promise<Tried> {
    // Set when undici hands the request to a connected socket: before that, the service cannot have seen it.
    let sent = false
    const { request: undiciRequest } = await loadUndici()
    const dispatcher = await (agent ??= makeAgent())
    // A client closed before its first request keeps refusing, as undici's closed dispatcher does: none is left open.
    if (closed) await dispatcher.close()
    const tracked = dispatcher.compose(
      (dispatch) => (opts, handler) =>
        dispatch(
          opts,
          trackSent(handler, () => (sent = true)),
        ),
    )
    const started = Date.now()
    try {
      const res = await undiciRequest(url, {
        dispatcher: tracked,
        method: req.method,
        headers: { 'user-agent': userAgent, ...req.headers },
        body: req.body,
        signal: req.signal,
      })
      const headers = flattenHeaders(res.headers)
      const bytes = await decodeContentEncoding(await readBody(res.body, maxBodyBytes, service), headers['content-encoding'], maxBodyBytes, service)
      return { kind: 'response', status: res.statusCode, headers, bytes, ms: Date.now() - started }
    } catch (err) {
      if (req.signal?.aborted) return { kind: 'abandoned', sent }
      if (err instanceof AppError) throw err
      const failure = classifyTransportError(err)
      if (!failure) throw err
      return { kind: 'failure', failure, sent, ms: Date.now() - started }
    }
  }

  return {
    baseUrl,
    governor,
    async request(req) {
      const url = `${baseUrl.origin}${basePath}${req.path}${queryString(req.query)}`
      const idempotent = req.idempotent ?? IDEMPOTENT_METHODS.has(req.method)
      const maxAttempts = Math.max(1, req.maxAttempts ?? options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)
      const where = { service, method: req.method, host: baseUrl.host, path: `${basePath}${req.path.split('?')[0] ?? ''}`, query: Object.keys(req.query ?? {}) }

      // Changes to one resource stay in order unless the request says it needs none (a read changes nothing and needs
      // none either); every attempt waits for the account's governor (its rate and its slow-down).
      const ordered = req.ordered ?? !(req.method === 'GET' || req.method === 'HEAD')
      const inOrder = <T>(run: () => Promise<T>): Promise<T> => (ordered ? governor.inOrder(where.path, run) : run())
      /** Whether an attempt reached the socket: after that, abandoning the request leaves its outcome open. */
      let sent = false
      return inOrder(async () => {
        for (let attempt = 1; ; attempt++) {
          const last = attempt >= maxAttempts
          const outcome = await governor
            .run(
              async (): Promise<Outcome> => {
                if (req.signal?.aborted) return { next: 'abandoned' }
                const result = await attemptOnce(req, url)
                if (result.kind === 'abandoned' || result.kind === 'failure') sent ||= result.sent
                if (result.kind === 'abandoned') return { next: 'abandoned' }
                if (result.kind === 'response') sent = true
                const verdict = judge(result, idempotent)
                if (result.kind === 'response') {
                  logger?.debug({ ...where, status: result.status, attempt, ms: result.ms }, 'http')
                  if (RETRYABLE_STATUS.has(result.status)) {
                    // This request waits and is retried by itself; the account slows down only if refusals are sustained.
                    const retryAfterMs = result.status === 429 || result.status === 503 ? readRetryAfter(result.status, result.headers) : null
                    const backOff = governor.refused(retryAfterMs, attempt, options.minBackOffMs)
                    const retry = verdict === 'retry' && !last && backOff.withinLimit
                    logger?.warn({ ...where, status: result.status, attempt, waitMs: backOff.delayMs, accountSlowed: backOff.accountSlowed, retry }, 'http back-off')
                    return retry ? { next: 'retry', delayMs: backOff.delayMs } : { next: 'done', result, attempts: attempt }
                  }
                  if (result.status < 500) governor.succeeded()
                  return { next: 'done', result, attempts: attempt }
                }
                logger?.debug({ ...where, failure: result.failure.code, sent: result.sent, attempt, ms: result.ms }, 'http failure')
                if (verdict === 'retry' && attempt < Math.min(maxAttempts, TRANSPORT_ATTEMPTS)) {
                  const delayMs = TRANSPORT_RETRY_MS * 2 ** (attempt - 1)
                  logger?.warn({ ...where, failure: result.failure.code, attempt, pauseMs: delayMs }, 'http retry')
                  return { next: 'retry', delayMs }
                }
                return { next: 'done', result, attempts: attempt }
              },
              { retry: attempt > 1, signal: req.signal },
            )
            .catch((e: unknown): Outcome => {
              // Given up on while it waited for the account (governor.ts): it never left this computer.
              if (req.signal?.aborted) return { next: 'abandoned' }
              throw e
            })
          if (outcome.next === 'abandoned') throw new RequestAbandoned(sent, req.signal)
          if (outcome.next === 'retry') {
            if (outcome.delayMs) await pause(outcome.delayMs, req.signal)
            if (req.signal?.aborted) throw new RequestAbandoned(sent, req.signal)
            continue
          }

          const { result, attempts } = outcome
          if (result.kind === 'failure') {
            throw judge(result, idempotent) === 'unknown-outcome' ? unknownOutcome(where, result.failure.reason) : transportError(result.failure, where, timeouts)
          }
          if (!idempotent && (result.status === 502 || result.status === 504 || (result.status === 503 && result.headers['retry-after'] === undefined))) {
            throw unknownOutcome(where, `HTTP ${result.status}`)
          }
          return toResponse(result, attempts, (await loadUndici()).parseMIMEType)
        }
      })
    },
    async close() {
      // Once: a dispatcher made after it was closed itself (attemptOnce).
      if (closed) return
      closed = true
      if (agent) await (await agent).close()
    },
  }
}

type Attempt = { kind: 'response'; status: number; headers: Record<string, string>; bytes: Uint8Array; ms: number } | { kind: 'failure'; failure: TransportFailure; sent: boolean; ms: number }

/** Waits `ms`, or until `signal` aborts. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(ms, undefined, { signal }).catch((e: unknown) => {
    if (!signal?.aborted) throw e
  })
}

/** One try: an answer, a transport failure, or nothing to tell because the caller gave up meanwhile. */
type Tried = Attempt | { kind: 'abandoned'; sent: boolean }

type Outcome = { next: 'retry'; delayMs?: number } | { next: 'done'; result: Attempt; attempts: number } | { next: 'abandoned' }

type Verdict = 'retry' | 'final' | 'unknown-outcome'

function judge(result: Attempt, idempotent: boolean): Verdict {
  if (result.kind === 'response') {
    if (!RETRYABLE_STATUS.has(result.status)) return 'final'
    if (idempotent || result.status === 429) return 'retry'
    if (result.status === 503 && result.headers['retry-after'] !== undefined) return 'retry'
    return 'unknown-outcome'
  }
  if (!result.sent || idempotent) return result.failure.transient ? 'retry' : 'final'
  return 'unknown-outcome'
}

interface Where {
  service: string
  method: string
  host: string
  path: string
}

function unknownOutcome(where: Where, reason: string): AppError {
  return AppError.withRef('UNKNOWN_OUTCOME', `${where.service} may or may not have carried out ${where.method} ${where.path}: ${reason}; it was not repeated. Check before trying again.`, {
    key: 'errors.unknownOutcome',
    params: { host: where.host },
  })
}

function transportError(failure: TransportFailure, where: Where, timeouts: HttpTimeouts): AppError {
  if (failure.kind === 'tls') {
    return AppError.withRef('TLS', `The secure connection to ${where.host} could not be verified: ${failure.explained}`, {
      key: 'errors.tls',
      params: { host: where.host, reason: failure.code },
    })
  }
  if (failure.kind === 'timeout') {
    const phase = failure.phase ?? 'connect'
    const seconds = Math.round(timeouts[phase] / 100) / 10
    return AppError.withRef('TIMEOUT', `${where.service} (${where.host}) did not answer in time (${phase} timeout, ${seconds} s)`, {
      key: 'errors.timeout',
      params: { host: where.host, seconds },
    })
  }
  return AppError.withRef('NETWORK', `Cannot reach ${where.service} at ${where.host}: ${failure.explained}`, {
    key: 'errors.network',
    params: { host: where.host, reason: failure.code },
  })
}

function toResponse(result: Extract<Attempt, { kind: 'response' }>, attempts: number, parseMIMEType: typeof import('undici').parseMIMEType): HttpResponse {
  const contentType = result.headers['content-type'] ?? ''
  const parsed = contentType ? parseMIMEType(contentType) : 'failure'
  const mimeType = parsed === 'failure' ? '' : parsed.essence
  const declared = parsed === 'failure' ? undefined : parsed.parameters.get('charset')
  const { text, charset } = decodeBody(result.bytes, declared)
  let parsedJson: { value: unknown } | undefined
  return {
    status: result.status,
    headers: result.headers,
    mimeType,
    charset,
    text,
    attempts,
    isJson: () => mimeType === 'application/json' || mimeType.endsWith('+json'),
    tryJson() {
      if (!parsedJson) {
        try {
          parsedJson = { value: text.trim() === '' ? undefined : (JSON.parse(text) as unknown) }
        } catch {
          parsedJson = { value: undefined }
        }
      }
      return parsedJson.value
    },
    isHtml: () => mimeType === 'text/html' || mimeType === 'application/xhtml+xml' || /^\s*<(!doctype\s+html|html[\s>])/i.test(text),
  }
}

/**
 * Decodes with the declared charset (Control Center declares ISO-8859-1 on its error bodies). Without one, the
 * body is read as UTF-8 if it is valid UTF-8 and as Latin-1 otherwise, so an undeclared Latin-1 accent shows
 * as itself rather than as U+FFFD. The WHATWG decoder maps the labels latin1/iso-8859-1 to windows-1252, which
 * agrees with ISO-8859-1 on every printable character.
 */
export function decodeBody(bytes: Uint8Array, declared: string | undefined): { text: string; charset: string } {
  if (declared) {
    try {
      const decoder = new TextDecoder(declared)
      return { text: decoder.decode(bytes), charset: decoder.encoding }
    } catch {
      // An unknown label: fall through to the content-based choice rather than fail on a cosmetic header.
    }
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), charset: 'utf-8' }
  } catch {
    return { text: new TextDecoder('latin1').decode(bytes), charset: 'windows-1252' }
  }
}

/** Retry-After as delta-seconds or an HTTP-date, in milliseconds from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined) return null
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

function queryString(query: HttpRequest['query']): string {
  if (!query) return ''
  // encodeURIComponent, not URLSearchParams: the latter writes spaces as '+', which some servers keep as '+'.
  const parts = Object.entries(query)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined && entry[1] !== null)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

async function readBody(body: AsyncIterable<Uint8Array> & { destroy(err?: Error): unknown }, max: number, service: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.byteLength
    if (size > max) {
      body.destroy()
      throw AppError.withRef('TOO_LARGE', `${service} sent an answer larger than ${max} bytes`, { key: 'errors.responseTooLarge', params: { max } })
    }
    chunks.push(chunk)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/** Wraps a dispatch handler to report the moment the request is handed to a connected socket. */
function trackSent(handler: Dispatcher.DispatchHandler, onSent: () => void): Dispatcher.DispatchHandler {
  return {
    onRequestStart(controller, context) {
      onSent()
      handler.onRequestStart?.(controller, context)
    },
    onRequestUpgrade: (controller, statusCode, headers, socket) => handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
    onResponseStart: (controller, statusCode, headers, statusMessage) => handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
    onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
    onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
    onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
  }
}

/** Checks the CAs and the proxy now (a bad one is refused when the client is built); the dispatcher is made at the first request. */
function dispatcherFactory(options: HttpClientOptions, timeouts: HttpTimeouts): () => Promise<Dispatcher> {
  const tlsOptions = { ca: trustedCas(options.ca ?? []), timeout: timeouts.connect }
  const common = { headersTimeout: timeouts.headers, bodyTimeout: timeouts.body }
  if (!options.proxy) return () => loadUndici().then(({ Agent }) => new Agent({ ...common, connect: tlsOptions }))
  let proxy: URL
  try {
    proxy = new URL(options.proxy)
  } catch {
    throw AppError.withRef('VALIDATION', 'The proxy is not a valid URL', { key: 'errors.invalidProxy' })
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw AppError.withRef('VALIDATION', 'The proxy must be an http:// or https:// URL', { key: 'errors.invalidProxy' })
  }
  // The tunnel carries TLS end to end, so an http:// proxy never sees credentials bound for an https:// service.
  return () => loadUndici().then(({ ProxyAgent }) => new ProxyAgent({ uri: proxy.href, ...common, requestTls: tlsOptions, proxyTls: tlsOptions }))
}
