/**
 * A wire-faithful SendGrid v3 Mail Send endpoint on 127.0.0.1, written from docs/wire/mail.md §8 and SendGrid's
 * documented errors and limits (mail-send-rules.ts) — not from any client.
 *
 * `POST /v3/mail/send` with `Authorization: Bearer <key>` and a JSON body. Answers, in the order a request meets them:
 * 401 for a missing or unknown key, 413 for a body over the size limit, 429 when the key's rate limit is spent,
 * 415 for a body that is not JSON text in UTF-8, 400 `{"errors":[{"message","field","help"}]}` listing every problem
 * of the body, 403 when `from` is not a verified Sender Identity, then 200 with an empty body when
 * `mail_settings.sandbox_mode.enable` is true (validated, nothing delivered) or 202 with an empty body and an
 * `X-Message-Id` (queued; the message is kept for tests, `messages()`).
 *
 * [I] marks what neither the spec nor SendGrid's pages state and the peer assumes: the order of the checks, the
 * X-RateLimit-* headers on Mail Send (SendGrid's rate-limit page gives them, epoch-second reset included, for every v3
 * response; the spec names none), 415 (not 400) for a Content-Type other than JSON, and the texts of the 401/404/405/413/429
 * bodies (those of SendGrid's OpenAPI examples).
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { validateMailSend, type SendGridError } from './mail-send-rules'

export type { SendGridError } from './mail-send-rules'

export interface SendGridPeerOptions {
  /** Keys the peer accepts (default ['SG.test-key']). */
  apiKeys?: string[]
  /**
   * Verified Sender Identities: full addresses, or '@domain' for an authenticated domain. Compared without case.
   * Default ['admin@example.com']; null accepts any sender.
   */
  verifiedSenders?: string[] | null
  /** Largest request body in bytes (default 30 MB [I]: SendGrid's documented total message size). */
  maxBodyBytes?: number
  /** Default null = not enforced. When set, more than `limit` requests per key within `windowMs` → 429. */
  rateLimit?: RateLimit | null
  /** What the account holds that a body may name; all empty by default, so any template_id, pool or group is refused. */
  templates?: string[]
  ipPools?: string[]
  asmGroups?: number[]
  /** Clock for send_at's 72-hour limit (default real time). */
  now?: () => Date
}

export interface RateLimit {
  limit: number
  windowMs: number
}

/**
 * Faults are switched per test. `set` adds one (for each kind the first active one applies), `clear` removes all.
 * `times` limits how many requests a fault affects.
 * - latency: waits before answering.
 * - status: answers that status with SendGrid's error body (or an HTML page with `html: true`) before looking at the
 *   request; `retryAfterSeconds` adds Retry-After. A 429 carries the X-RateLimit-* headers every 429 of SendGrid's
 *   carries, its reset `resetInSeconds` from now (default 1 [I]).
 * - drop: destroys the connection. Default before the request is handled (nothing was queued); `afterAccept: true`
 *   queues the message first — the ambiguous failure a client must not repeat on its own.
 */
export type Fault =
  | { kind: 'latency'; ms: number; times?: number }
  | { kind: 'status'; status: 429 | 500 | 502 | 503 | 504; retryAfterSeconds?: number; resetInSeconds?: number; html?: boolean; times?: number }
  | { kind: 'drop'; afterAccept?: boolean; times?: number }

export interface SendGridAddress {
  email: string
  name?: string
}

/** The request body, as far as the peer checks it; anything else the client sends is kept as it came. */
export interface MailSendBody {
  personalizations: { to: SendGridAddress[]; cc?: SendGridAddress[]; bcc?: SendGridAddress[]; subject?: string; [key: string]: unknown }[]
  from: SendGridAddress
  reply_to?: SendGridAddress
  subject?: string
  content: { type: string; value: string }[]
  mail_settings?: { sandbox_mode?: { enable?: boolean } }
  [key: string]: unknown
}

export interface ReceivedMessage {
  messageId: string
  receivedAt: string
  /** The Bearer key that sent it, so a test can tell which configuration was used. */
  apiKey: string
  body: MailSendBody
}

export interface SendGridPeerStats {
  requests: number
  /** Status codes answered, e.g. { '202': 3, '401': 1 }. */
  byStatus: Record<string, number>
  sandbox: number
}

export interface SendGridPeer {
  /** http://127.0.0.1:<port> — the API base URL (the client appends /v3/mail/send). */
  url: string
  faults: { set(fault: Fault): void; clear(): void }
  /** Messages accepted with 202 (sandbox requests are never kept: nothing is delivered). */
  messages(): ReceivedMessage[]
  stats(): SendGridPeerStats
  setVerifiedSenders(senders: string[] | null): void
  setRateLimit(limit: RateLimit | null): void
  close(): Promise<void>
}

export const DEFAULT_API_KEY = 'SG.test-key'
export const DEFAULT_VERIFIED_SENDERS = ['admin@example.com']
const DEFAULT_MAX_BODY = 30 * 1024 * 1024
const MAIL_SEND = '/v3/mail/send'

export async function startSendGridPeer(options: SendGridPeerOptions = {}): Promise<SendGridPeer> {
  const apiKeys = new Set(options.apiKeys ?? [DEFAULT_API_KEY])
  let verifiedSenders: string[] | null = options.verifiedSenders === undefined ? DEFAULT_VERIFIED_SENDERS : options.verifiedSenders
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY
  let rateLimit: RateLimit | null = options.rateLimit ?? null
  const account = { templates: new Set(options.templates ?? []), ipPools: new Set(options.ipPools ?? []), asmGroups: new Set(options.asmGroups ?? []) }
  const clock = options.now ?? (() => new Date())
  /** Per key: when its accepted requests arrived, for the sliding window. */
  let windows = new Map<string, number[]>()
  let faults: { fault: Fault; left: number }[] = []
  const stored: ReceivedMessage[] = []
  const stats: SendGridPeerStats = { requests: 0, byStatus: {}, sandbox: 0 }
  const timers = new Set<NodeJS.Timeout>()
  const sockets = new Set<Socket>()

  const take = <K extends Fault['kind']>(kind: K, where: (f: Extract<Fault, { kind: K }>) => boolean = () => true): Extract<Fault, { kind: K }> | undefined => {
    const entry = faults.find((e) => e.fault.kind === kind && where(e.fault as Extract<Fault, { kind: K }>))
    if (!entry) return undefined
    entry.left -= 1
    if (entry.left <= 0) faults = faults.filter((e) => e !== entry)
    return entry.fault as Extract<Fault, { kind: K }>
  }

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)
      timers.add(timer)
    })

  const reply = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    stats.byStatus[String(status)] = (stats.byStatus[String(status)] ?? 0) + 1
    if (res.destroyed) return
    const type = body === '' ? {} : { 'content-type': headers['content-type'] ?? 'application/json' }
    res.writeHead(status, { ...headers, ...type, 'content-length': String(Buffer.byteLength(body)) })
    res.end(body)
  }
  const errors = (res: ServerResponse, status: number, list: SendGridError[], headers: Record<string, string> = {}): void => reply(res, status, JSON.stringify({ errors: list }), headers)

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')

    if (take('drop', (f) => !f.afterAccept)) {
      req.socket.destroy()
      return
    }
    const latency = take('latency')
    if (latency) await sleep(latency.ms)
    const forced = take('status')
    if (forced) {
      req.resume()
      const headers: Record<string, string> = forced.retryAfterSeconds === undefined ? {} : { 'retry-after': String(forced.retryAfterSeconds) }
      if (forced.status === 429) {
        // [I] the limit of a key with no rate limit set: SendGrid's default for its rate-limited v2 endpoints.
        Object.assign(headers, rateLimitHeaders(rateLimit?.limit ?? 600, 0, Math.ceil(Date.now() / 1000 + (forced.resetInSeconds ?? 1))))
      }
      if (forced.html) reply(res, forced.status, htmlPage(forced.status), { ...headers, 'content-type': 'text/html' })
      else errors(res, forced.status, [{ field: null, message: forced.status === 429 ? 'too many requests' : 'internal server error', help: null }], headers)
      return
    }

    if (url.pathname !== MAIL_SEND) {
      req.resume()
      errors(res, 404, [{ field: null, message: 'not found', help: null }])
      return
    }
    if (req.method !== 'POST') {
      req.resume()
      errors(res, 405, [{ field: null, message: 'method not allowed', help: null }], { allow: 'POST' })
      return
    }

    const key = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (key === undefined || !apiKeys.has(key)) {
      req.resume()
      const message = key === undefined ? 'authorization required' : 'The provided authorization grant is invalid, expired, or revoked'
      errors(res, 401, [{ field: null, message, help: null }])
      return
    }

    const raw = await readBody(req, maxBodyBytes)
    if (raw === null) {
      errors(res, 413, [{ field: null, message: 'content too large', help: null }])
      return
    }

    if (rateLimit) {
      const now = Date.now()
      const recent = (windows.get(key) ?? []).filter((t) => now - t < rateLimit!.windowMs)
      if (recent.length >= rateLimit.limit) {
        errors(res, 429, [{ field: null, message: 'too many requests', help: null }], rateLimitHeaders(rateLimit.limit, 0, resetOf(recent, rateLimit)))
        windows.set(key, recent)
        return
      }
      recent.push(now)
      windows.set(key, recent)
      // SendGrid's rate-limit page: every response of a rate-limited endpoint says what is left and when it resets.
      // [I] which answers count (those past the 401 and 413 checks, as the order of the checks above assumes).
      for (const [name, value] of Object.entries(rateLimitHeaders(rateLimit.limit, rateLimit.limit - recent.length, resetOf(recent, rateLimit)))) res.setHeader(name, value)
    }

    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== 'application/json') {
      errors(res, 415, [{ field: null, message: 'Content-Type should be application/json.', help: null }])
      return
    }
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw)
    } catch {
      // Documented ("Encoding Errors"): the payload, attachments included, must be UTF-8.
      errors(res, 415, [{ field: null, message: 'Invalid UTF8 in request', help: null }])
      return
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      errors(res, 400, [{ field: null, message: 'Bad Request', help: null }])
      return
    }
    const problems = validateMailSend(parsed, account, clock().getTime())
    if (problems.length > 0) {
      errors(res, 400, problems)
      return
    }
    const body = parsed as MailSendBody

    if (verifiedSenders !== null && !isVerified(body.from.email, verifiedSenders)) {
      errors(res, 403, [
        {
          field: 'from',
          message:
            'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements',
          help: null,
        },
      ])
      return
    }

    if (body.mail_settings?.sandbox_mode?.enable === true) {
      stats.sandbox++
      reply(res, 200, '')
      return
    }

    const messageId = randomBytes(16).toString('base64url')
    stored.push({ messageId, receivedAt: new Date().toISOString(), apiKey: key, body })
    if (take('drop', (f) => f.afterAccept === true)) {
      res.socket?.destroy()
      return
    }
    reply(res, 202, '', { 'x-message-id': messageId })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) errors(res, 500, [{ field: null, message: 'internal server error', help: null }])
      else res.destroy()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('clientError', (_error, socket) => socket.destroy())

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    faults: {
      set(fault) {
        faults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY })
      },
      clear() {
        faults = []
      },
    },
    messages: () => stored.map((m) => structuredClone(m)),
    stats: () => ({ requests: stats.requests, byStatus: { ...stats.byStatus }, sandbox: stats.sandbox }),
    setVerifiedSenders(senders) {
      verifiedSenders = senders
    },
    setRateLimit(limit) {
      rateLimit = limit
      windows = new Map()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }),
  }
}

function isVerified(email: string, senders: string[]): boolean {
  const address = email.toLowerCase()
  const domain = address.slice(address.lastIndexOf('@'))
  return senders.some((s) => {
    const sender = s.toLowerCase()
    return sender.startsWith('@') ? sender === domain : sender === address
  })
}

function htmlPage(status: number): string {
  return `<!DOCTYPE html><html><head><title>${status}</title></head><body><h1>${status}</h1></body></html>`
}

/** Reads the body, or resolves null once it passes `max` bytes (the rest is drained, not kept). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let length = 0
    req.on('data', (chunk: Buffer) => {
      length += chunk.length
      if (length <= max) chunks.push(chunk)
    })
    req.on('end', () => resolve(length > max ? null : Buffer.concat(chunks)))
    req.on('error', () => resolve(null))
  })
}

/**
 * SendGrid's rate-limit headers (twilio.com/docs/sendgrid, "Rate Limits"): the requests allowed per refresh period,
 * those left in it, and when it resets, in Unix epoch seconds.
 */
function rateLimitHeaders(limit: number, remaining: number, resetEpochSeconds: number): Record<string, string> {
  return { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(Math.max(0, remaining)), 'x-ratelimit-reset': String(resetEpochSeconds) }
}

/** [I] The period is a sliding window per key: it resets (room for one more) when its oldest request leaves it. */
function resetOf(recent: readonly number[], limit: RateLimit): number {
  return Math.ceil(((recent[0] ?? Date.now()) + limit.windowMs) / 1000)
}
