import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { z } from 'zod'
import { MAX_FRAME_BYTES } from '../../src-shared/models/limits'
import type { Core } from '../core/app'
import { osActor } from '../core/common/os-actor'
import { clip, rateLimitedWarning } from '../core/log/rate-limited'
import { answer, rawAnswer, siteFor, type Site } from './site'
import { staticHandler } from './static'

export interface ServeOptions {
  core: Core
  rendererDir: string
  port?: number
}

export interface ServeHandle {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

const IPC_PATH = '/ipc'
/**
 * A request must send its headers within a few seconds and finish within ten, so connections that trickle bytes
 * (slowloris) are closed; Node checks every second instead of every thirty.
 */
const HEADERS_TIMEOUT_MS = 5_000
const REQUEST_TIMEOUT_MS = 10_000
const TIMEOUT_CHECK_MS = 1_000

/**
 * Sockets open at once that are not (yet) an accepted WebSocket: page loads, where a browser opens at most six, and
 * upgrades being checked. Each holds a file descriptor and buffers, so a local process opening thousands would run
 * the process out of both; past this many, a new one is answered 503 and closed. The timeouts above free them.
 */
const MAX_REQUEST_SOCKETS = 64

/**
 * Accepted WebSockets at once: one per open tab. Each may run MAX_CALLS_IN_FLIGHT calls, so without this bound a
 * client with the token would multiply that bound by the sockets it opens. Together with MAX_REQUEST_SOCKETS it
 * bounds the sockets open at once.
 */
const MAX_WEBSOCKETS = 16

/**
 * Requests one socket may have under way at once. HTTP lets a client send the next before the last is answered
 * (pipelining, which no browser does), and Node hands them all over at once: each opens its file, so one socket sending
 * 76,000 held 15,000 files open and 250 MB. A socket sending more than this many is cut (answers must keep their
 * order, so the excess cannot be answered apart).
 */
const MAX_PIPELINED_REQUESTS = 4

/**
 * Answers and events a socket may have waiting to be sent, in bytes. Two of the largest frames is what a client that
 * reads may have in flight at once; more means it does not read, and everything sent to it would stay in memory
 * (a paused client asking for device pages grew the process by gigabytes). Such a socket is cut: the window fails
 * its calls in flight as a lost core and connects again.
 */
const MAX_UNSENT_BYTES = 2 * MAX_FRAME_BYTES

/**
 * Calls one socket may have running at once. Each holds its answer in memory until it is sent, so a client sending
 * thousands at once would grow the process by gigabytes (3,000 device pages: 6 GB); past this many, the socket is
 * no longer read until one is answered. The window rarely has more than a few running.
 */
const MAX_CALLS_IN_FLIGHT = 32

const invokeFrame = z.object({ type: z.literal('invoke'), id: z.number().int(), channel: z.string(), input: z.unknown() })
type Frame = z.infer<typeof invokeFrame>

function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false
  const a = new TextEncoder().encode(given)
  const b = new TextEncoder().encode(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Path and tokens of an upgrade request, read without URL parsing: `//` or `//evil:1/` must not be taken for a host.
 * Every `token` parameter is kept (`tok%65n` included): two are refused, not read as the first.
 */
function splitTarget(target: string): { path: string; tokens: string[] } {
  const q = target.indexOf('?')
  return q < 0 ? { path: target, tokens: [] } : { path: target.slice(0, q), tokens: new URLSearchParams(target.slice(q + 1)).getAll('token') }
}

interface Refusal {
  status: number
  reason: string
  /** Said in the body when the status alone does not say it. */
  why?: string
  /** What the client needs to ask again (the methods allowed, the protocol versions spoken). */
  headers?: Record<string, string>
}

/** A Sec-WebSocket-Key is 16 random bytes in base64 (RFC 6455 §4.1), as `ws` checks it. */
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/

/**
 * What `ws` would refuse in a handshake, refused here first: `ws` writes its own refusals on the socket, without the
 * site's headers (no CSP, no nosniff, no no-store), where every other answer of this server carries them. Statuses and
 * headers are those `ws` sends, with the site's headers and the same body as every raw refusal.
 */
function checkHandshake(req: IncomingMessage): Refusal | null {
  if (req.method !== 'GET') return { status: 405, reason: 'method', headers: { allow: 'GET' } }
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return { status: 400, reason: 'upgrade', why: 'Upgrade must be websocket' }
  if (!WEBSOCKET_KEY.test(req.headers['sec-websocket-key'] ?? '')) return { status: 400, reason: 'key', why: 'missing or invalid Sec-WebSocket-Key' }
  const version = req.headers['sec-websocket-version']
  if (version !== '13' && version !== '8') return { status: 400, reason: 'version', why: 'missing or invalid Sec-WebSocket-Version', headers: { 'sec-websocket-version': '13, 8' } }
  return null
}

/**
 * The Host a request names, or undefined when it names none or several: Node keeps the first of two Host headers,
 * which HTTP says must be refused (RFC 9112 §3.2), so that no two parts of a chain read different hosts.
 */
function hostOf(req: IncomingMessage): string | undefined {
  let count = 0
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'host') count++
  return count === 1 ? req.headers.host : undefined
}

function checkUpgrade(req: IncomingMessage, site: Site, token: string): Refusal | null {
  if (!site.hostAllowed(hostOf(req))) return { status: 403, reason: 'host' }
  const target = splitTarget(req.url ?? '')
  if (target.path !== IPC_PATH) return { status: 404, reason: 'path' }
  if (!site.originAllowed(req.headers.origin)) return { status: 403, reason: 'origin' }
  // Ambiguous credentials: a proxy or a log could read another one than this server does.
  if (target.tokens.length > 1) return { status: 400, reason: 'tokens', why: 'more than one token' }
  if (!tokenMatches(target.tokens[0] ?? null, token)) return { status: 401, reason: 'token' }
  return checkHandshake(req)
}

/**
 * A value a client sent, as logged: clipped, with any run of 16 hex digits or more replaced. The token (or most of
 * it) sent where it does not belong, `/ipc&token=…` or `/ipc/…`, must not reach the log.
 */
function shown(value: string | undefined): string | null {
  return clip(value?.replace(/[0-9a-f]{16,}/gi, '[hex]'))
}

function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : e instanceof Error ? e.name : 'unknown'
}

/**
 * Serve mode: the renderer over HTTP and the IPC transport over a WebSocket, on 127.0.0.1 only. The Host must be
 * this server's own (DNS rebinding), and the socket needs the per-launch token and this server's Origin, all
 * checked during the HTTP upgrade, before any handler can run — so another local user or a web page open in the
 * operator's browser cannot drive the core. Nothing a client sends can stop the process: every request, upgrade,
 * socket and frame has its error path, and what is refused is logged at most once a second.
 */
export async function startServe({ core, rendererDir, port = 0 }: ServeOptions): Promise<ServeHandle> {
  // Serve mode listens on 127.0.0.1 behind a per-launch token: whoever uses it is the user who started it.
  const actor = osActor()
  const token = randomBytes(24).toString('hex')
  let site: Site | null = null
  const refused = rateLimitedWarning(core.logger, 'serve: refused a connection')
  const dropped = rateLimitedWarning(core.logger, 'serve: an error on a connection')
  const crowded = rateLimitedWarning(core.logger, 'serve: too many connections, refused one')

  const serveStatic = staticHandler({
    root: rendererDir,
    headers: () => site?.headers ?? {},
    fail: (res, status, extra) => answer(res, site!, status, extra),
  })

  /** Requests each socket has under way (see MAX_PIPELINED_REQUESTS). */
  const underWay = new WeakMap<Duplex, number>()

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket
    // Answered 503 when it connected, or cut: what it sent since is not read.
    if (crowdedOut.has(socket) || socket.destroyed) return void res.destroy()
    const count = (underWay.get(socket) ?? 0) + 1
    if (count > MAX_PIPELINED_REQUESTS) {
      refused({ kind: 'http', reason: 'pipelined', limit: MAX_PIPELINED_REQUESTS })
      return void socket.destroy()
    }
    underWay.set(socket, count)
    res.once('close', () => underWay.set(socket, (underWay.get(socket) ?? 1) - 1))
    if (!site) return void res.writeHead(503).end()
    if (!site.hostAllowed(hostOf(req))) {
      refused({ kind: 'http', status: 403, reason: 'host', host: shown(req.headers.host) })
      return answer(res, site, 403)
    }
    await serveStatic(req, res)
  }

  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS }, (req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      dropped({ kind: 'http', error: errorCode(e) })
      if (!res.headersSent && site) answer(res, site, 500)
      else res.destroy()
    })
  })
  // An Expect other than 100-continue: refused like any other request, with the site's headers and a body.
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    if (!site) return void res.writeHead(503).end()
    refused({ kind: 'http', status: 417, reason: 'expect' })
    answer(res, site, 417)
  })
  // Requests Node cannot parse, oversized headers, and requests too slow to arrive: answered by hand, then closed.
  server.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) => {
    refused({ kind: 'malformed', reason: e.code ?? 'unknown' })
    if (!socket.writable || e.code === 'ECONNRESET') return void socket.destroy()
    const status = e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : e.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
    closeWith(socket, status)
  })

  /** Answers on a raw socket and closes it: nothing after a refusal is read. */
  function closeWith(socket: Duplex, status: number, why?: string, extra: Record<string, string> = {}): void {
    socket.end(rawAnswer(status, { ...site?.headers, ...extra }, why), () => socket.destroy())
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES })
  // What checkHandshake does not check (a malformed Sec-WebSocket-Protocol) `ws` hands over here rather than answer
  // it itself, without the site's headers.
  wss.on('wsClientError', (e: Error, socket: Duplex) => {
    refused({ kind: 'upgrade', status: 400, reason: 'handshake', why: clip(e.message) })
    closeWith(socket, 400, e.message)
  })
  /** Every socket open, to close them all at the end; those carrying an accepted WebSocket are also in `upgraded`. */
  const sockets = new Set<Duplex>()
  const upgraded = new Set<Duplex>()
  /** Sockets answered 503 when they connected: the HTTP parser is already on them, so what they send is dropped. */
  const crowdedOut = new WeakSet<Duplex>()
  server.on('connection', (s: Socket) => {
    if (sockets.size - upgraded.size >= MAX_REQUEST_SOCKETS) {
      crowdedOut.add(s)
      crowded({ kind: 'http', limit: MAX_REQUEST_SOCKETS })
      return closeWith(s, 503, 'too many connections')
    }
    sockets.add(s)
    s.on('close', () => {
      sockets.delete(s)
      upgraded.delete(s)
    })
  })

  // CONNECT (a proxy tunnel) hands the socket over like an upgrade; without this, Node closes it without a word.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', (e) => dropped({ kind: 'connect', error: errorCode(e) }))
    if (crowdedOut.has(socket)) return void socket.destroy()
    refused({ kind: 'http', status: 405, reason: 'connect' })
    closeWith(socket, 405, undefined, { allow: 'GET, HEAD' })
  })

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // From here the socket is ours, not the HTTP server's: it needs its own error listener.
    socket.on('error', (e) => dropped({ kind: 'upgrade', error: errorCode(e) }))
    if (crowdedOut.has(socket)) return void socket.destroy()
    try {
      const refusal: Refusal | null = site ? checkUpgrade(req, site, token) : { status: 503, reason: 'starting' }
      if (refusal) {
        refused({ kind: 'upgrade', ...refusal, host: shown(req.headers.host), origin: shown(req.headers.origin), path: shown(splitTarget(req.url ?? '').path) })
        return closeWith(socket, refusal.status, refusal.why, refusal.headers)
      }
      if (upgraded.size >= MAX_WEBSOCKETS) {
        crowded({ kind: 'upgrade', limit: MAX_WEBSOCKETS })
        return closeWith(socket, 503, 'too many WebSockets')
      }
      upgraded.add(socket)
      wss.handleUpgrade(req, socket, head, attach)
    } catch (e) {
      dropped({ kind: 'upgrade', error: errorCode(e) })
      closeWith(socket, 400)
    }
  })

  function reply(ws: WebSocket, frame: unknown): void {
    if (ws.readyState !== ws.OPEN) return
    const text = JSON.stringify(frame)
    const unsent = ws.bufferedAmount + Buffer.byteLength(text)
    if (unsent > MAX_UNSENT_BYTES) {
      dropped({ kind: 'websocket', error: 'not reading', unsent })
      return ws.terminate()
    }
    ws.send(text)
  }

  function attach(ws: WebSocket): void {
    // ws closes the socket itself (1009 for a frame over the limit, 1002 for a protocol error) and then reports
    // the error here; without a listener that report would end the process.
    ws.on('error', (e) => dropped({ kind: 'websocket', error: errorCode(e), message: clip(e.message) }))
    const unsubscribe = core.bus.subscribe((event, payload) => reply(ws, { type: 'event', event, payload }))
    let inFlight = 0
    /** Calls read while MAX_CALLS_IN_FLIGHT ran: at most what one read of the socket held before it paused. */
    const waiting: Frame[] = []
    ws.on('close', () => {
      unsubscribe()
      // Their caller is gone and has already failed them as a lost core: they must not change anything now.
      waiting.length = 0
    })

    function run(frame: Frame): void {
      inFlight++
      core.dispatcher
        .invoke(frame.channel, frame.input, { actor })
        .then((result) => reply(ws, { type: 'result', id: frame.id, result }))
        .catch((e: unknown) => {
          // The dispatcher promises never to throw; should it break that promise, the caller still gets an answer.
          dropped({ kind: 'dispatch', channel: shown(frame.channel), error: errorCode(e) })
          reply(ws, { type: 'result', id: frame.id, result: { ok: false, error: { code: 'INTERNAL', message: `Unexpected failure in ${clip(frame.channel, 80)}` } } })
        })
        .finally(() => {
          inFlight--
          const next = waiting.shift()
          if (next) run(next)
          else if (ws.isPaused && ws.readyState === ws.OPEN) ws.resume()
        })
    }

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return ws.close(1003, 'text frames only')
      let frame: Frame
      try {
        frame = invokeFrame.parse(JSON.parse(data.toString()))
      } catch {
        return ws.close(1007, 'malformed frame')
      }
      if (inFlight < MAX_CALLS_IN_FLIGHT) return run(frame)
      // Backpressure: the client's further calls wait in its own socket until one of these is answered.
      waiting.push(frame)
      ws.pause()
    })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  // Once listening, a failure to accept (too many open files) is logged; the connections already open carry on.
  server.on('error', (e) => dropped({ kind: 'server', error: errorCode(e) }))
  const actualPort = (server.address() as AddressInfo).port
  site = siteFor(actualPort)
  const origin = site.origin

  return {
    url: `${origin}/#token=${token}`,
    port: actualPort,
    token,
    async close() {
      for (const c of wss.clients) c.terminate()
      wss.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
      refused.flush()
      dropped.flush()
      crowded.flush()
    },
  }
}
