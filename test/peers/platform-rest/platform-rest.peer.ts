/**
 * The Watson IoT Platform REST API v0002's custom device-management packages on 127.0.0.1, written from
 * docs/wire/dm-packages.md §4 ("REST": base `/api/v0002`, HTTP basic `<apiKey>:<token>`, JSON, errors
 * `{message, exception: {id}}`, lists `{results, bookmark?}` paged with `_limit` and `_bookmark`; GET list 200, POST
 * 201, GET one 200, PUT 200, DELETE 204; the package JSON and its rules) — not from any client.
 *
 * Checks, in the order a request meets them: a path outside the API → 404; a method the path does not have → 405 [I];
 * no or wrong basic credentials → 401; an API key without the package permission → 403 [I: which keys a platform
 * refuses is its own business; the peer refuses those named in `forbiddenKeys`]; then the operation. A body is
 * refused with 400 unless it is `application/json` [I: the spec says JSON and no more] and a package by §4's rules,
 * read strictly (package-rules.ts).
 *
 * [I] marks the rest the spec does not say: POST of a bundleId already held → 409; PUT or DELETE of one not held → 404;
 * PUT whose body names another bundleId than its path → 400; `_limit` outside 1–100 or not in decimal digits, or an
 * unknown `_bookmark` → 400; a bundleId in the path whose percent-encoding is broken → 404;
 * the default page size (25, so a client must follow bookmarks); the `exception.id` values (`CUDPR…E`, the peer's own).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { packageProblem } from './package-rules'

export const API_BASE = '/api/v0002'
const BUNDLES = `${API_BASE}/mgmt/custom/bundle`
export const PEER_API_KEY = 'a-org1-peerkey0001'
export const PEER_TOKEN = 'peer-token-1234567890'
const DEFAULT_PAGE = 25
const MAX_PAGE = 100
const MAX_BODY = 6 * 1024 * 1024

export interface PlatformRestPeerOptions {
  /** API key → auth token accepted (default PEER_API_KEY → PEER_TOKEN). */
  keys?: Record<string, string>
  /** Keys that authenticate but may not manage packages (403). */
  forbiddenKeys?: string[]
  /** Packages the platform holds at start, as their JSON. */
  bundles?: Record<string, unknown>[]
  /** Serves https:// with this certificate (a test CA's), as the platform does. */
  tls?: { cert: string; key: string }
}

/**
 * Faults switched per test, each for `times` requests (default always) of `method` (default any): a status, an HTML
 * page, a dropped connection.
 */
export type PlatformRestFault = ({ kind: 'status'; status: 429 | 500 | 502 | 503 | 504 } | { kind: 'html'; status: number } | { kind: 'drop' }) & { times?: number; method?: string }

export interface PlatformRestRequest {
  method: string
  path: string
  status: number
}

export interface PlatformRestPeer {
  /** http(s)://127.0.0.1:<port>/api/v0002: the REST base a profile names. */
  url: string
  /** The packages held, by bundleId, as the last accepted body had them. */
  bundles(): Record<string, unknown>
  requests(): readonly PlatformRestRequest[]
  faults: { set(fault: PlatformRestFault): void; clear(): void }
  close(): Promise<void>
}

export async function startPlatformRestPeer(options: PlatformRestPeerOptions = {}): Promise<PlatformRestPeer> {
  const keys = new Map(Object.entries(options.keys ?? { [PEER_API_KEY]: PEER_TOKEN }))
  const forbidden = new Set(options.forbiddenKeys ?? [])
  const held = new Map<string, Record<string, unknown>>()
  for (const b of options.bundles ?? []) held.set(String(b.bundleId), structuredClone(b))
  const log: PlatformRestRequest[] = []
  let faults: { fault: PlatformRestFault; left: number }[] = []
  const sockets = new Set<Socket>()

  const take = (method: string): PlatformRestFault | undefined => {
    const entry = faults.find((e) => e.fault.method === undefined || e.fault.method === method)
    if (!entry) return undefined
    entry.left -= 1
    if (entry.left <= 0) faults = faults.filter((e) => e !== entry)
    return entry.fault
  }

  function reply(req: IncomingMessage, res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    log.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', status })
    const text = body === undefined ? '' : JSON.stringify(body)
    res.writeHead(status, { ...headers, ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}), 'content-length': String(Buffer.byteLength(text)) })
    res.end(text)
  }
  const error = (req: IncomingMessage, res: ServerResponse, status: number, id: string, message: string, headers: Record<string, string> = {}) =>
    reply(req, res, status, { message, exception: { id } }, headers)

  /** The body as a package, or the reason it is refused (already answered). */
  async function packageBody(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | null> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    const raw = await readBody(req)
    if (raw === null) {
      error(req, res, 400, 'CUDPR0413E', 'The request body is too large.')
      return null
    }
    if (type !== 'application/json') {
      error(req, res, 400, 'CUDPR0415E', 'The request body must be application/json.')
      return null
    }
    let body: unknown
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch {
      error(req, res, 400, 'CUDPR0400E', 'The request body is not valid JSON.')
      return null
    }
    const problem = packageProblem(body)
    if (problem) {
      error(req, res, 400, 'CUDPR0400E', `The package is not valid: ${problem}.`)
      return null
    }
    return body as Record<string, unknown>
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fault = take(req.method ?? '')
    if (fault?.kind === 'drop') {
      req.socket.destroy()
      return
    }
    if (fault?.kind === 'html') {
      req.resume()
      const html = `<!DOCTYPE html><html><head><title>${fault.status} Error</title></head><body><h1>${fault.status}</h1></body></html>`
      log.push({ method: req.method ?? '', path: req.url ?? '', status: fault.status })
      res.writeHead(fault.status, { 'content-type': 'text/html', 'content-length': String(Buffer.byteLength(html)) })
      res.end(html)
      return
    }
    if (fault?.kind === 'status') {
      req.resume()
      error(req, res, fault.status, `CUDPR0${fault.status}E`, 'The service is not available.')
      return
    }

    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const path = url.pathname
    const bundleId = path.startsWith(`${BUNDLES}/`) ? decodedSegment(path.slice(BUNDLES.length + 1)) : null
    if (path !== BUNDLES && (bundleId === null || bundleId === '' || bundleId.includes('/'))) {
      req.resume()
      return error(req, res, 404, 'CUDPR0404E', 'The resource does not exist.')
    }
    const allowed = bundleId === null ? ['GET', 'POST'] : ['GET', 'PUT', 'DELETE']
    if (!allowed.includes(req.method ?? '')) {
      req.resume()
      return error(req, res, 405, 'CUDPR0405E', 'Method not allowed.', { allow: allowed.join(', ') })
    }

    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '')?.[1]
    const [user, ...rest] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : []
    if (user === undefined || keys.get(user) !== rest.join(':')) {
      req.resume()
      return error(req, res, 401, 'CUDPR0401E', 'The API key or authentication token is not valid.', { 'www-authenticate': 'Basic realm="IoT platform"' })
    }
    if (forbidden.has(user)) {
      req.resume()
      return error(req, res, 403, 'CUDPR0403E', 'The API key is not authorised to manage device-management extensions.')
    }

    if (bundleId === null && req.method === 'GET') {
      req.resume()
      const limitText = url.searchParams.get('_limit')
      // Decimal digits only [I]: Number() would also take " 5", "1e1" and "0x10", which a platform's integer parser refuses.
      const limit = limitText === null ? DEFAULT_PAGE : /^[0-9]+$/.test(limitText) ? Number(limitText) : Number.NaN
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) return error(req, res, 400, 'CUDPR0400E', `_limit must be 1–${MAX_PAGE}.`)
      const ids = [...held.keys()].sort()
      const bookmark = url.searchParams.get('_bookmark')
      const start = bookmark === null ? 0 : ids.indexOf(Buffer.from(bookmark, 'base64url').toString('utf8'))
      if (start < 0) return error(req, res, 400, 'CUDPR0400E', 'The bookmark is not valid.')
      const page = ids.slice(start, start + limit)
      const next = ids[start + limit]
      return reply(req, res, 200, { results: page.map((id) => held.get(id)), ...(next ? { bookmark: Buffer.from(next, 'utf8').toString('base64url') } : {}) })
    }
    if (bundleId === null) {
      const body = await packageBody(req, res)
      if (!body) return
      const id = String(body.bundleId)
      if (held.has(id)) return error(req, res, 409, 'CUDPR0409E', `A bundle with the ID ${id} already exists.`)
      held.set(id, body)
      return reply(req, res, 201, body)
    }
    if (req.method === 'GET') {
      req.resume()
      const bundle = held.get(bundleId)
      return bundle ? reply(req, res, 200, bundle) : error(req, res, 404, 'CUDPR0404E', `The bundle ${bundleId} does not exist.`)
    }
    if (req.method === 'DELETE') {
      req.resume()
      if (!held.delete(bundleId)) return error(req, res, 404, 'CUDPR0404E', `The bundle ${bundleId} does not exist.`)
      return reply(req, res, 204)
    }
    const body = await packageBody(req, res)
    if (!body) return
    if (body.bundleId !== bundleId) return error(req, res, 400, 'CUDPR0400E', `The body's bundleId does not match ${bundleId}.`)
    if (!held.has(bundleId)) return error(req, res, 404, 'CUDPR0404E', `The bundle ${bundleId} does not exist.`)
    held.set(bundleId, body)
    return reply(req, res, 200, body)
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) error(req, res, 500, 'CUDPR0500E', 'Internal error.')
      else res.destroy()
    })
  }
  const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createServer(listener)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('clientError', (_e, socket) => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}${API_BASE}`,
    bundles: () => Object.fromEntries([...held].map(([k, v]) => [k, structuredClone(v)])),
    requests: () => [...log],
    faults: {
      set(fault) {
        faults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY })
      },
      clear() {
        faults = []
      },
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }),
  }
}

/**
 * A path segment decoded, or null when its percent-encoding is broken (`100%`): no resource has such a name, so that
 * is a 404 [I], not the 500 a thrown URIError would give. Clients that do not encode ids (@wiotp/sdk joins them as
 * given) can send one.
 */
function decodedSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}

/** The body, or null once it passes the size limit (the rest is drained, not kept). */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let length = 0
    req.on('data', (chunk: Buffer) => {
      length += chunk.length
      if (length <= MAX_BODY) chunks.push(chunk)
    })
    req.on('end', () => resolve(length > MAX_BODY ? null : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}
