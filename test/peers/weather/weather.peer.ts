/**
 * Both weather providers on 127.0.0.1 (docs/wire/weather.md §4, "Test peer"): The Weather Company's
 * `/v3/wx/observations/current` and `/v3/wx/forecast/daily/5day`, and Open-Meteo's `/v1/forecast`, answering about one
 * deterministic world (sky.ts). Written from the spec, not from Fieldline's clients; where the spec is silent the
 * choice is marked [I] where it is made.
 *
 * Answers are gzip-compressed whenever the request accepts gzip (TWC requires that it does), errors included. Any
 * other path is an HTML 404 from the web server; any method but GET is [I] a 405.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import { htmlPage, type PeerResponse } from '../control-center/wire-format'
import { openMeteoAnswer, openMeteoError } from './open-meteo-api'
import { TWC_PRODUCTS, twcAnswer, twcError, type TwcProduct } from './twc-api'

export { SITES } from './sky'
export type { TwcProduct } from './twc-api'

export interface WeatherPeerOptions {
  /** The peer's clock: observation times, expiries and the local hour (the after-15:00 rule). Default: real time. */
  now?: () => Date
  /** TWC API keys and the products each is licensed for. Default: `twc-test-key` licensed for both. */
  twcKeys?: Record<string, readonly TwcProduct[]>
  /** Makes `/v1/forecast` the commercial host: `apikey` required and one of these. Default: the free host. */
  openMeteoCommercialKeys?: readonly string[]
  /** Open-Meteo free calls before it answers 429 (spec: about 10,000 a day). Default 10,000. */
  openMeteoDailyLimit?: number
  /** Serve HTTPS with this certificate instead of plain HTTP. */
  tls?: { cert: string; key: string }
}

/** Faults, switched per test; each applies to one path (all when omitted) `times` times (default always). */
export type WeatherFault =
  | { kind: 'status'; status: 404 | 429 | 500 | 502 | 503 | 504; retryAfterSeconds?: number; path?: string; times?: number }
  | { kind: 'latency'; ms: number; path?: string; times?: number }
  | { kind: 'html'; status: number; path?: string; times?: number }
  | { kind: 'drop'; path?: string; times?: number }
  | { kind: 'malformed'; path?: string; times?: number }

export interface WeatherPeerRequest {
  method: string
  path: string
  query: URLSearchParams
  acceptEncoding: string
  /** Whether the answer went out gzip-compressed. */
  gzipped: boolean
  status: number
}

export interface WeatherPeer {
  /** http(s)://127.0.0.1:<port>: the base URL for either provider. */
  url: string
  faults: { set(fault: WeatherFault): void; clear(): void }
  requests(): readonly WeatherPeerRequest[]
  close(): Promise<void>
}

export const TWC_TEST_KEY = 'twc-test-key'
const OPEN_METEO_PATH = '/v1/forecast'
const TWC_PATHS: Record<string, TwcProduct> = Object.fromEntries(TWC_PRODUCTS.map((p) => [`/v3/wx/${p}`, p]))

function statusBody(path: string, status: number): PeerResponse {
  if (path === OPEN_METEO_PATH) {
    // [I] Open-Meteo's 429 and 404 reasons are not in the spec.
    return openMeteoError(status, status === 429 ? 'Minutely API request limit exceeded. Please try again in one minute.' : status === 404 ? 'No data found' : 'Service unavailable')
  }
  // [I] TWC's code for these is not in the spec: the peer's own code says it is the peer speaking. A 404 in TWC's
  // envelope stands for an answer the spec does not describe (no data for the point, a product withdrawn).
  const message = status === 429 ? 'Too many requests.' : status === 404 ? 'No data found.' : 'Service unavailable.'
  return twcError(status, `PEER-0${status}`, message)
}

export async function startWeatherPeer(options: WeatherPeerOptions = {}): Promise<WeatherPeer> {
  const clock = options.now ?? (() => new Date())
  const twcKeys = new Map(Object.entries(options.twcKeys ?? { [TWC_TEST_KEY]: TWC_PRODUCTS }).map(([k, v]) => [k, new Set(v)]))
  const commercialKeys = options.openMeteoCommercialKeys ? new Set(options.openMeteoCommercialKeys) : null
  const dailyLimit = options.openMeteoDailyLimit ?? 10_000
  let openMeteoCalls = 0
  let faults: { fault: WeatherFault; left: number }[] = []
  const log: WeatherPeerRequest[] = []
  const sockets = new Set<Socket>()
  // Aborted at close, so a request held by a latency fault does not keep the peer alive.
  const closing = new AbortController()

  const take = <K extends WeatherFault['kind']>(kind: K, path: string): Extract<WeatherFault, { kind: K }> | undefined => {
    const entry = faults.find((e) => e.fault.kind === kind && (e.fault.path === undefined || e.fault.path === path))
    if (!entry) return undefined
    entry.left -= 1
    if (entry.left <= 0) faults = faults.filter((e) => e !== entry)
    return entry.fault as Extract<WeatherFault, { kind: K }>
  }

  function answer(req: IncomingMessage, path: string, query: URLSearchParams, acceptEncoding: string): PeerResponse {
    const product = TWC_PATHS[path]
    if (!product && path !== OPEN_METEO_PATH) return htmlPage(404)
    if (req.method !== 'GET') return { ...htmlPage(405), headers: { 'content-type': 'text/html; charset=utf-8', allow: 'GET' } }
    const status = take('status', path)
    if (status) {
      const r = statusBody(path, status.status)
      return status.retryAfterSeconds === undefined ? r : { ...r, headers: { ...r.headers, 'retry-after': String(status.retryAfterSeconds) } }
    }
    const html = take('html', path)
    if (html) return htmlPage(html.status)
    if (take('malformed', path)) return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from('{"temperature": 21.5, "relativeHum', 'utf8') }
    if (product) return twcAnswer(product, query, acceptEncoding, { now: () => clock().getTime(), keys: twcKeys })
    if (!commercialKeys && ++openMeteoCalls > dailyLimit) return openMeteoError(429, 'Daily API request limit exceeded. Please try again tomorrow.')
    return openMeteoAnswer(query, { now: () => clock().getTime(), commercialKeys })
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://peer')
    const acceptEncoding = String(req.headers['accept-encoding'] ?? '')
    // Requests carry no body; whatever was sent is read and dropped so the connection can be reused.
    req.resume()
    const latency = take('latency', url.pathname)
    if (latency) await delay(latency.ms, undefined, { signal: closing.signal })
    if (take('drop', url.pathname)) {
      req.socket.destroy()
      return
    }
    const r = answer(req, url.pathname, url.searchParams, acceptEncoding)
    const gzip = /(^|,)\s*gzip\s*(;|,|$)/i.test(acceptEncoding)
    const body = gzip ? gzipSync(r.body) : r.body
    log.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, acceptEncoding, gzipped: gzip, status: r.status })
    res.writeHead(r.status, { ...r.headers, ...(gzip ? { 'content-encoding': 'gzip', vary: 'Accept-Encoding' } : {}), 'content-length': String(body.length) })
    res.end(body)
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
      else res.destroy()
    })
  }
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createHttpServer(listener)
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    faults: {
      set(fault) {
        faults.push({ fault, left: fault.times ?? Infinity })
      },
      clear() {
        faults = []
      },
    },
    requests: () => log,
    async close() {
      closing.abort()
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
