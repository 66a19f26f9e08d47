/**
 * A wire-faithful Cisco (Jasper) Control Center on 127.0.0.1, written from docs/wire/control-center.md §1–3 and §7 — not from
 * any client. REST v1 at `${url}/rws/api/v1`, the legacy SOAP API at `${url}/ws/service/{echo|terminal|billing|sms}`.
 * AT&T Control Center is the same platform (§3), so this peer stands in for it too.
 *
 * Anything that is not /rws/api/** or /ws/service/** answers an HTML 404, as a console host does (§1.1): a client
 * pointed at the wrong host must notice it is not talking to the API.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { AccountState, type PeerUser, type StatusChange } from './account-state'
import { Inventory, RATE_PLANS, SmsCenter } from './inventory'
import { REST_PREFIX, handleRest, restRouteKey, type ApiRequest } from './rest-api'
import { SOAP_PREFIX, codedFault, handleSoap, soapRouteKey } from './soap-api'
import { htmlPage, reasonPhrase, restError, soapFault, type PeerResponse } from './wire-format'

export type { PeerUser } from './account-state'

export interface ControlCenterPeerOptions {
  /** Deterministic inventory (default 1). */
  seed?: number
  /** Inventory size (default 50); attributes are generated lazily, so 100,000 starts fast. */
  devices?: number
  /** Default: one AccountAdmin {username:'ops', apiKey:'test-api-key', password:'test-password'}. */
  users?: PeerUser[]
  /** SOAP license key (default 'test-license-key'). */
  licenseKey?: string
  /** Default null = not enforced. When set: more in flight than `concurrent`, or more than `perSecond` accepted in the last second → 429. */
  rateLimit?: RateLimit | null
  /** Clock for dates, billing cycles and the SMS lifecycle (default real time). Keep it after 2024-07-01 (see inventory.ts). */
  now?: () => Date
  /** Pending → Delivered/Failed after this long on the peer's clock (default 200). */
  smsDeliveryMs?: number
  /** Billing cycle start day of month, 1–28 (default 1). */
  cycleStartDay?: number
}

export interface RateLimit {
  perSecond: number
  concurrent: number
}

/**
 * Faults are switched per test. `set` adds one (several can be active; for each kind the first matching one applies),
 * `clear` removes all. `times` limits how many requests a fault affects; `path` is tested against path + query.
 *
 * - latency: waits before handling (the request counts as in flight meanwhile). `afterRequest: true` handles the request
 *   first (the change is made) and waits before answering: a carrier that acted and sits on its answer, which a client
 *   that gives up on the call must treat as possibly applied.
 * - status: answers that status without handling; 429 gets the rate-limit body, 5xx the 30000001 envelope (SOAP:
 *   fault 400101 / 400300 with that HTTP status). `retryAfterSeconds` adds Retry-After.
 * - html: an nginx-style HTML page with that status instead of JSON/XML.
 * - drop: destroys the socket. Default before handling (nothing happened); `afterRequest: true` handles the request
 *   first (e.g. the SMS is accepted and counted) and then drops it — the ambiguous failure a client must report as
 *   an unknown outcome rather than retry.
 * - slowBody: sends the body at `bytesPerSecond` (headers at once, Content-Length set).
 * - latin1: the answer becomes an error whose message holds non-ASCII text encoded in ISO-8859-1 (REST:
 *   application/json;charset=ISO-8859-1; SOAP: an ISO-8859-1 XML fault). An error keeps its status and code; a success
 *   becomes 500 / 30000001 (SOAP 400300). The message is LATIN1_FAULT_MESSAGE.
 */
export type Fault =
  | { kind: 'latency'; ms: number; times?: number; path?: RegExp; afterRequest?: boolean }
  | { kind: 'status'; status: 500 | 502 | 503 | 504 | 429; retryAfterSeconds?: number; times?: number; path?: RegExp; method?: string }
  | { kind: 'html'; status: number; times?: number; path?: RegExp }
  | { kind: 'drop'; times?: number; path?: RegExp; afterRequest?: boolean }
  | { kind: 'slowBody'; bytesPerSecond: number; times?: number; path?: RegExp }
  | { kind: 'latin1'; times?: number; path?: RegExp }

export const LATIN1_FAULT_MESSAGE = 'Erreur inconnue du serveur : réessayez plus tard'

export interface ControlCenterPeerStats {
  requests: number
  /** "GET /devices/{iccid}" (relative to /rws/api/v1), "SOAP GetTerminalUsage", "GET (not an API path)". */
  byRoute: Record<string, number>
  rateLimited: number
  /**
   * "GET /rws/api/v1/devices/8988…", in the order the requests arrived (the latest CALL_LOG_SIZE): which SIM a client
   * asked about, and what it asked after what.
   */
  calls: string[]
  smsSent: number
  /** Messages accepted per ICCID (what a test of "at most once" counts). */
  smsByIccid: Record<string, number>
  statusChanges: StatusChange[]
}

export interface ControlCenterPeer {
  /** http://127.0.0.1:<port> */
  url: string
  /** The one enterprise account the peer serves (what a GET /devices/{iccid} names as accountId). */
  accountId: string
  iccids: readonly string[]
  ratePlans: readonly string[]
  faults: { set(fault: Fault): void; clear(): void }
  stats(): ControlCenterPeerStats
  setRateLimit(limit: RateLimit | null): void
  close(): Promise<void>
}

const DEFAULT_USERS: PeerUser[] = [{ username: 'ops', apiKey: 'test-api-key', password: 'test-password', role: 'AccountAdmin' }]
const MAX_BODY = 1_048_576
/** Enough for any test's story, bounded for the benchmarks that send millions of requests. */
const CALL_LOG_SIZE = 1000

export async function startControlCenterPeer(options: ControlCenterPeerOptions = {}): Promise<ControlCenterPeer> {
  const size = options.devices ?? 50
  if (!Number.isInteger(size) || size < 0 || size > 10_000_000) throw new RangeError(`devices must be an integer 0–10,000,000, got ${size}`)
  const cycleStartDay = options.cycleStartDay ?? 1
  // Days 29–31 do not exist every month; real accounts pick 1–28.
  if (!Number.isInteger(cycleStartDay) || cycleStartDay < 1 || cycleStartDay > 28) throw new RangeError(`cycleStartDay must be 1–28, got ${cycleStartDay}`)
  const clock = options.now ?? (() => new Date())
  const inventory = new Inventory(options.seed ?? 1, size, cycleStartDay)
  const state = new AccountState(
    inventory,
    new SmsCenter(inventory.smsIdBase(), options.smsDeliveryMs ?? 200),
    (options.users ?? DEFAULT_USERS).map((u) => ({ ...u })),
    options.licenseKey ?? 'test-license-key',
    clock,
  )

  let rateLimit: RateLimit | null = options.rateLimit ?? null
  let inFlight = 0
  /** performance.now() of requests accepted in the last second: the limit is real time even when `now` is frozen. */
  let window: number[] = []
  let faults: { fault: Fault; left: number }[] = []
  const timers = new Set<NodeJS.Timeout>()
  const sockets = new Set<Socket>()
  const stats = { requests: 0, byRoute: {} as Record<string, number>, rateLimited: 0, calls: [] as string[] }

  const matches = (fault: Fault, target: string, method: string): boolean => {
    if (fault.path) {
      fault.path.lastIndex = 0
      if (!fault.path.test(target)) return false
    }
    return fault.kind !== 'status' || fault.method === undefined || fault.method.toUpperCase() === method
  }
  /** The first active fault of one of `kinds` matching this request; consumes one of its `times`. */
  const take = <K extends Fault['kind']>(kinds: K[], target: string, method: string, where: (f: Extract<Fault, { kind: K }>) => boolean = () => true): Extract<Fault, { kind: K }> | undefined => {
    const entry = faults.find((e) => (kinds as string[]).includes(e.fault.kind) && matches(e.fault, target, method) && where(e.fault as Extract<Fault, { kind: K }>))
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

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, htmlPage(500), 0)
      else res.destroy()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('clientError', (_error, socket) => socket.destroy())

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = req.method ?? 'GET'
    const api = url.pathname.startsWith(REST_PREFIX) ? 'rest' : url.pathname.startsWith(SOAP_PREFIX) ? 'soap' : 'other'
    const route = api === 'rest' ? restRouteKey(method, url.pathname) : api === 'soap' ? soapRouteKey({ url, headers: req.headers }) : `${method} (not an API path)`
    stats.requests++
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1
    stats.calls.push(`${method} ${url.pathname}`)
    if (stats.calls.length > CALL_LOG_SIZE) stats.calls.shift()
    const target = url.pathname + url.search

    // §1.2 / §7.7: Cisco asks for one call at a time and ≤ 5/s; the REST answer is 429 with code 40000029
    // (docs/wire/control-center.md §1.2), SOAP's is fault 400101 "license over API rate limit" (§2.1). [I] the limit is per peer
    // (one account, REST and SOAP together) and counts accepted calls only. No Retry-After: §1.2 documents no
    // rate-limit header, and Cisco's sample retries on its own schedule. Off unless a test sets it: the cap Control
    // Center enforces is per account and not published, only the guidance is.
    if (api !== 'other' && rateLimit) {
      const t = performance.now()
      window = window.filter((w) => t - w < 1000)
      if (inFlight >= rateLimit.concurrent || window.length >= rateLimit.perSecond) {
        stats.rateLimited++
        req.resume()
        send(res, api === 'soap' ? codedFault('400101') : restError(429, { errorMessage: 'Too many requests: API rate limit exceeded', errorCode: '40000029' }), 0)
        return
      }
      window.push(t)
    }
    inFlight++
    res.on('close', () => inFlight--)

    if (take(['drop'], target, method, (f) => !f.afterRequest)) {
      req.socket.destroy()
      return
    }
    const latency = take(['latency'], target, method, (f) => !f.afterRequest)
    if (latency) await sleep(latency.ms)

    const body = await readBody(req)
    if (body === null) {
      send(res, htmlPage(413), 0)
      return
    }

    const forced = take(['status', 'html'], target, method)
    if (forced) {
      send(res, forcedResponse(forced, api), 0)
      return
    }

    const request: ApiRequest = { method, url, headers: req.headers, body }
    let response = (api === 'rest' ? handleRest(state, request) : api === 'soap' ? handleSoap(state, request) : null) ?? htmlPage(404)

    if (take(['drop'], target, method, (f) => f.afterRequest === true)) {
      res.socket?.destroy()
      return
    }
    const late = take(['latency'], target, method, (f) => f.afterRequest === true)
    if (late) await sleep(late.ms)
    if (api !== 'other' && take(['latin1'], target, method)) response = latin1Error(response, api)
    const slow = take(['slowBody'], target, method)
    send(res, response, slow?.bytesPerSecond ?? 0)
  }

  function send(res: ServerResponse, response: PeerResponse, bytesPerSecond: number): void {
    if (res.destroyed) return
    res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length) })
    if (bytesPerSecond <= 0 || response.body.length === 0) {
      res.end(response.body)
      return
    }
    const tick = 50
    const chunk = Math.max(1, Math.round((bytesPerSecond * tick) / 1000))
    let offset = 0
    const timer = setInterval(() => {
      if (res.destroyed) {
        clearInterval(timer)
        timers.delete(timer)
        return
      }
      const part = response.body.subarray(offset, offset + chunk)
      offset += chunk
      if (offset >= response.body.length) {
        clearInterval(timer)
        timers.delete(timer)
        res.end(part)
      } else {
        res.write(part)
      }
    }, tick)
    timers.add(timer)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    accountId: inventory.accountId,
    iccids: inventory.iccids,
    ratePlans: Object.freeze(RATE_PLANS.map((p) => p.name)),
    faults: {
      set(fault: Fault) {
        faults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY })
      },
      clear() {
        faults = []
      },
    },
    stats: () => ({
      requests: stats.requests,
      byRoute: { ...stats.byRoute },
      rateLimited: stats.rateLimited,
      calls: [...stats.calls],
      smsSent: state.smsSent,
      smsByIccid: state.sms.all().reduce<Record<string, number>>((by, r) => ({ ...by, [r.iccid]: (by[r.iccid] ?? 0) + 1 }), {}),
      statusChanges: state.statusChanges.map((c) => ({ ...c })),
    }),
    setRateLimit(limit: RateLimit | null) {
      rateLimit = limit
      window = []
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

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let length = 0
    let tooBig = false
    req.on('data', (chunk: Buffer) => {
      length += chunk.length
      if (length > MAX_BODY) tooBig = true
      else chunks.push(chunk)
    })
    req.on('end', () => resolve(tooBig ? null : Buffer.concat(chunks)))
    req.on('error', () => resolve(null))
  })
}

function forcedResponse(fault: Extract<Fault, { kind: 'status' | 'html' }>, api: 'rest' | 'soap' | 'other'): PeerResponse {
  const headers: Record<string, string> = fault.kind === 'status' && fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}
  if (fault.kind === 'html') return htmlPage(fault.status, headers)
  if (api === 'soap') return codedFault(fault.status === 429 ? '400101' : '400300', { status: fault.status, headers })
  if (fault.status === 429) return restError(429, { errorMessage: 'Too many requests: API rate limit exceeded', errorCode: '40000029' }, headers)
  return restError(fault.status, { errorMessage: fault.status === 500 ? 'Unknown server error' : reasonPhrase(fault.status), errorCode: '30000001' }, headers)
}

function latin1Error(response: PeerResponse, api: 'rest' | 'soap'): PeerResponse {
  if (api === 'rest') {
    const original = response.error?.api === 'rest' ? response.error : null
    return restError(original?.status ?? 500, { errorMessage: LATIN1_FAULT_MESSAGE, errorCode: original?.body.errorCode ?? '30000001' }, pickHeaders(response))
  }
  const original = response.error?.api === 'soap' ? response.error : null
  return soapFault(original?.faultstring ?? '400300', LATIN1_FAULT_MESSAGE, { status: original?.status ?? 500, latin1: true })
}

/** Keeps the challenge and Allow headers of an error when its message is rewritten. */
function pickHeaders(response: PeerResponse): Record<string, string> {
  return Object.fromEntries(Object.entries(response.headers).filter(([k]) => k === 'www-authenticate' || k === 'allow' || k === 'retry-after'))
}
