/**
 * A wire-faithful Orange M2M ("Malima") web-services endpoint on 127.0.0.1, written from docs/wire/orange.md §4 and the
 * Orange M2M SDK's WSDLs and schemas — not from any client. Services at `${url}/ConnectivityDirectory-1`,
 * `${url}/SimLifecycleManagement-1` and `${url}/DeviceInfo-1` (the SDK's m2m.ini paths under /MLM, which `url`
 * includes). SOAP 1.1 document/literal with HTTP Basic (access key : password).
 *
 * Order of checks: path (anything else is an HTML 404, as a web server answers) → method → authentication → content
 * type and SOAPAction → envelope and request schema → the operation.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { htmlPage, type PeerResponse } from '../control-center/wire-format'
import { seedLines, type Line, type PeerSimStatus } from './lines'
import { DECLARED_FAULTS, clientFault, faultResponse, makeFault, readRequest, runOperation, type FaultName, type PeerState } from './soap-api'
import { TicketDesk, type StatusChange, type TicketTiming } from './tickets'

export interface OrangePeerUser {
  /** The access key. */
  username: string
  password: string
}

export interface OrangePeerOptions {
  /** Lines in the account (default 20); the first six have, in order: ACTIVATED, SUSPENDED, PRE_ACTIVATED, SLEEPING, ACTIVATED_FOR_TEST, CANCELLED. */
  lines?: number
  seed?: number
  /** Default one: { username: 'ak-test', password: 'test-password' }. */
  users?: OrangePeerUser[]
  /** The peer's clock: dates it prints and how far tickets have got (default real time). */
  now?: () => Date
  /** How long a ticket waits and works (default 200 ms each, on the peer's clock). */
  ticketTiming?: TicketTiming
  /** [I] Lines per request before TooManyLineIdentifiersError (default 100). */
  maxLinesPerRequest?: number
  /** [I] Largest rangeSize (default 100; also the page size when a search names none). */
  maxRangeSize?: number
  /** [I] Lines a search lists at most before resultsNumberExceeded (default 1000). */
  maxSearchResults?: number
}

/**
 * Faults are switched per test; each applies to the operations named (all when omitted) `times` times (default
 * always). The first matching one of each kind applies.
 * - latency: waits before answering (slow service).
 * - soapFault: answers that typed fault (one the operation declares, or TelcoISError) with HTTP `status` (500).
 * - html: an nginx-style HTML page with that status instead of SOAP (a gateway or load balancer answering).
 * - status: a bare 429/502/503/504 (Retry-After when given) from an intermediary.
 * - drop: resets the connection; `afterRequest: true` carries out the operation first (a submission then makes its
 *   ticket) and drops the answer — the ambiguous failure a client must report rather than repeat.
 */
export type OrangeFault =
  | { kind: 'latency'; ms: number; operation?: string; times?: number }
  | { kind: 'soapFault'; fault: FaultName; operation?: string; status?: number; code?: string; message?: string; times?: number }
  | { kind: 'html'; status: number; operation?: string; times?: number }
  | { kind: 'status'; status: 429 | 502 | 503 | 504; retryAfterSeconds?: number; operation?: string; times?: number }
  | { kind: 'drop'; afterRequest?: boolean; operation?: string; times?: number }

export interface OrangePeerStats {
  requests: number
  /** By operation name, or "(unauthenticated)", "(not a service)". */
  byOperation: Record<string, number>
  /** Tickets made, by service. */
  submissions: { status: number; location: number }
  /** Every ticket made, oldest first: what an operator would find in Orange's portal. */
  tickets: {
    number: number
    service: 'status' | 'location'
    serials: string[]
    /** Its work is over: a poll would get the final result. */ finished: boolean
    /** Its final result handed out (once). */ resultRetrieved: boolean
  }[]
  statusChanges: StatusChange[]
}

export interface OrangePeer {
  /** http://127.0.0.1:<port>/MLM — the base URL a profile names. */
  url: string
  serials: readonly string[]
  line(serial: string): Readonly<Line>
  /** Puts a line in a state for a test (no ticket, no history); with `changedAt`, as a change made then (a search by status-change date finds it). */
  setStatus(serial: string, status: PeerSimStatus, changedAt?: Date): void
  setTicketTiming(timing: TicketTiming): void
  faults: { set(fault: OrangeFault): void; clear(): void }
  stats(): OrangePeerStats
  close(): Promise<void>
}

const DEFAULT_USERS: OrangePeerUser[] = [{ username: 'ak-test', password: 'test-password' }]
const MAX_BODY = 1_048_576
const BASE = '/MLM'
const SERVICES = new Set(['/ConnectivityDirectory-1', '/SimLifecycleManagement-1', '/DeviceInfo-1'])

export async function startOrangePeer(options: OrangePeerOptions = {}): Promise<OrangePeer> {
  const clock = options.now ?? (() => new Date())
  const users = options.users ?? DEFAULT_USERS
  let timing: TicketTiming = options.ticketTiming ?? { waitingMs: 200, workMs: 200 }
  const state: PeerState = {
    lines: seedLines(options.lines ?? 20, options.seed ?? 1, clock().getTime()),
    desk: new TicketDesk(() => timing, options.seed ?? 1),
    now: () => clock().getTime(),
    maxLinesPerRequest: options.maxLinesPerRequest ?? 100,
    maxRangeSize: options.maxRangeSize ?? 100,
    maxSearchResults: options.maxSearchResults ?? 1000,
  }
  let faults: { fault: OrangeFault; left: number }[] = []
  const timers = new Set<NodeJS.Timeout>()
  const sockets = new Set<Socket>()
  const stats = { requests: 0, byOperation: {} as Record<string, number> }

  const take = <K extends OrangeFault['kind']>(kind: K, operation: string, applies: (f: Extract<OrangeFault, { kind: K }>) => boolean = () => true): Extract<OrangeFault, { kind: K }> | undefined => {
    const entry = faults.find((e) => e.fault.kind === kind && (e.fault.operation === undefined || e.fault.operation === operation) && applies(e.fault as Extract<OrangeFault, { kind: K }>))
    if (!entry) return undefined
    entry.left -= 1
    if (entry.left <= 0) faults = faults.filter((e) => e !== entry)
    return entry.fault as Extract<OrangeFault, { kind: K }>
  }
  const count = (key: string) => (stats.byOperation[key] = (stats.byOperation[key] ?? 0) + 1)
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t)
        resolve()
      }, ms)
      timers.add(t)
    })

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, htmlPage(500))
      else res.destroy()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('clientError', (_e, socket) => socket.destroy())

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const service = url.pathname.startsWith(`${BASE}/`) ? url.pathname.slice(BASE.length) : ''
    const body = await readBody(req)
    if (!SERVICES.has(service)) {
      count('(not a service)')
      return send(res, htmlPage(404))
    }
    if (body === null) return send(res, htmlPage(413))
    if (req.method !== 'POST') {
      // [I] A CXF endpoint answers GET without ?wsdl with a SOAP-less error; the peer says so plainly.
      return send(res, { status: 405, headers: { allow: 'POST', 'content-type': 'text/plain' }, body: Buffer.from('Method Not Allowed') })
    }
    if (!authenticated(req.headers.authorization)) {
      count('(unauthenticated)')
      // [I] The gateway in front of the services challenges for Basic credentials before any SOAP is read.
      return send(res, { ...htmlPage(401), headers: { 'content-type': 'text/html; charset=utf-8', 'www-authenticate': 'Basic realm="IOSW"' } })
    }
    // SOAP 1.1 over HTTP: text/xml, and a SOAPAction header (§6.1.1; the WSDLs give it no value, so "" is right).
    if (!/^text\/xml\b/i.test(req.headers['content-type'] ?? '')) {
      return send(res, { status: 415, headers: { 'content-type': 'text/plain' }, body: Buffer.from(`SOAP 1.1 requires Content-Type text/xml, got '${req.headers['content-type'] ?? ''}'`) })
    }
    if (req.headers.soapaction === undefined) return send(res, clientFault('Missing SOAPAction header'))
    const parsed = readRequest(service, body.toString('utf8'))
    if (!('operation' in parsed)) {
      count('(refused request)')
      return send(res, parsed)
    }
    const operation = parsed.operation
    count(operation)

    const drop = take('drop', operation)
    if (drop && !drop.afterRequest) return void req.socket.destroy()
    const latency = take('latency', operation)
    if (latency) await sleep(latency.ms)
    const html = take('html', operation)
    if (html) return send(res, htmlPage(html.status))
    const status = take('status', operation)
    if (status)
      return send(res, {
        ...htmlPage(status.status),
        headers: { 'content-type': 'text/html; charset=utf-8', ...(status.retryAfterSeconds !== undefined ? { 'retry-after': String(status.retryAfterSeconds) } : {}) },
      })
    // A typed fault goes only to operations that declare it: the peer never sends what the service could not.
    const injected = take('soapFault', operation, (f) => DECLARED_FAULTS[operation]!.includes(f.fault))
    if (injected) {
      return send(
        res,
        faultResponse(makeFault(injected.fault, service, { ...(injected.code ? { code: injected.code } : {}), ...(injected.message ? { message: injected.message } : {}) }), injected.status ?? 500),
      )
    }
    const response = runOperation(state, service, parsed)
    if (drop?.afterRequest) return void res.socket?.destroy()
    send(res, response)
  }

  function authenticated(header: string | undefined): boolean {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '')
    if (!m) return false
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    return colon > 0 && users.some((u) => u.username === decoded.slice(0, colon) && u.password === decoded.slice(colon + 1))
  }

  function send(res: ServerResponse, response: PeerResponse): void {
    if (res.destroyed) return
    res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length) })
    res.end(response.body)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const mustFind = (serial: string): Line => {
    const line = state.lines.find((l) => l.serialNumber === serial)
    if (!line) throw new Error(`no line ${serial}`)
    return line
  }

  return {
    url: `http://127.0.0.1:${port}${BASE}`,
    serials: state.lines.map((l) => l.serialNumber),
    line: (serial) => {
      state.desk.settle(state.now())
      return { ...mustFind(serial) }
    },
    setStatus(serial, status, changedAt) {
      const line = mustFind(serial)
      line.status = status
      if (changedAt) line.lastStatusChange = changedAt.getTime()
    },
    setTicketTiming(next) {
      timing = next
    },
    faults: {
      set(fault) {
        if (fault.kind === 'soapFault' && fault.operation !== undefined && !DECLARED_FAULTS[fault.operation]?.includes(fault.fault)) {
          throw new Error(`${fault.operation} does not declare ${fault.fault}`)
        }
        faults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY })
      },
      clear() {
        faults = []
      },
    },
    stats: () => {
      state.desk.settle(state.now())
      const tickets = [...state.desk.tickets.values()]
      return {
        requests: stats.requests,
        byOperation: { ...stats.byOperation },
        submissions: { status: tickets.filter((t) => t.service === 'slm').length, location: tickets.filter((t) => t.service === 'dis').length },
        tickets: tickets.map((t) => ({
          number: t.number,
          service: t.service === 'slm' ? ('status' as const) : ('location' as const),
          serials: t.lines.map((l) => l.identifier.value),
          finished: t.finishedAt !== null,
          resultRetrieved: t.retrievedAt !== null,
        })),
        statusChanges: state.desk.applied.map((c) => ({ ...c })),
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t)
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
