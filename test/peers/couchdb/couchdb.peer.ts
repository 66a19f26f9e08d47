/**
 * A Cloudant-like CouchDB on 127.0.0.1 for the historian's tests (docs/wire/couchdb-kafka.md §1): express-pouchdb 4.2 with
 * PouchDB 9 does the database work (a real CouchDB API implementation, faithful for `PUT db` 201/412, `_bulk_docs`
 * per-row results, `_all_docs` ranges, `_all_dbs`, `DELETE db`), behind a small front written from the spec that adds
 * what express-pouchdb lacks and avoids what crashes it (§1.4):
 *
 * - IBM Cloud IAM on the same server: `POST /identity/token`, form-encoded `grant_type=urn:ibm:params:oauth:grant-type:
 *   apikey&apikey=KEY` → 200 `{access_token (a JWT-shaped, unsigned token), refresh_token, token_type, expires_in,
 *   expiration, scope}`; an unknown key → 400 `{errorCode: "BXNIM0415E", errorMessage, …}` (§1.2: a bad key surfaced
 *   IAM's 400); a body that is not that form → 400 `BXNIM0109E` [I: the code].
 * - Auth on everything else: `Authorization: Bearer <token>` (issued here, not expired, not revoked) or Basic with a
 *   configured user; otherwise 401 `{"error":"unauthorized",…}`. A key or user with the role 'reader' may read but
 *   not write: 403 `{"error":"forbidden",…}` [I: Cloudant's IAM reader role].
 * - Request bodies in `Content-Encoding: gzip` (IBM's SDK compresses every one, §1.1) or `deflate` are decoded here.
 * - Limits: a request body over 64 MB (decoded) → 413 `{"error":"too_large",…}`; one document over 1 MB, in
 *   `_bulk_docs` or written alone → 413 `{"error":"document_too_large",…}` (§1.3; both configurable for tests)
 *   [I: the body texts].
 * - Database names checked against `^[a-z][a-z0-9_$()+/-]*$`: 400 `illegal_database_name` (express-pouchdb accepts
 *   any name); a name with '/' keeps it (express-pouchdb drops it: see innerName).
 * - `GET /_all_dbs` with its range parameters and `DELETE` of a database that does not exist (404) are answered
 *   here, as CouchDB does (express-pouchdb ignores the range and answers 200).
 * - Faults on request: 429 `{"error":"too_many_requests",…}` with or without Retry-After [I: Cloudant's 429 body text
 *   and whether it sends Retry-After are not in the spec], 5xx, an HTML 503 page as a load balancer sends it, and
 *   per-row `_bulk_docs` failures in a 201 answer.
 * - `GET /` answers CouchDB's welcome (see `welcome`).
 * - Avoided: every request reaches express-pouchdb authenticated as the server admin (it runs in "admin party": no
 *   admin is configured, so its anonymous-database-creation crash cannot happen), and `_changes?filter=_selector`,
 *   which kills express-pouchdb, is refused with 400 here [I: CouchDB 2+ accepts it; the historian never asks for it].
 *
 * With `couchUsers` (team sync's tests, docs/wire/couchdb-sync.md §3) express-pouchdb does its own authorisation: a server
 * admin is configured (so it is no longer an "admin party"), Basic credentials go through to it unchanged and are checked
 * against its `_users` database, and each database's `_security` and `validate_doc_update` apply to the user's roles. An
 * IAM token goes through as the server admin (Cloudant's IAM Manager). A request with no credentials is refused here
 * with 401 (express-pouchdb never answers an anonymous database creation once an admin exists, §1.4). A user who
 * writes their own `_users` document with other roles is refused here with 403, as CouchDB does (express-pouchdb
 * stores it: docs/wire/couchdb-sync.md §6).
 *
 * `stop()` closes the listener and every open connection (clients then meet refused connections: an outage);
 * `start()` listens again on the same port with the data intact.
 */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent, request as httpRequest, createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import expressPouchdb from 'express-pouchdb'
import PouchDB from 'pouchdb'
import { gunzipSync, inflateSync } from 'node:zlib'
import { restartableServer } from '../restartable-server'

export type Role = 'manager' | 'reader'

export interface CouchPeerOptions {
  /** IAM API keys and their role. Default { 'iam-test-key': 'manager' }. */
  apiKeys?: Record<string, Role>
  /** Basic-auth users. Default none. */
  users?: Record<string, { password: string; role: Role }>
  /** Lifetime of an IAM token. Default 3600 s. */
  tokenTtlSeconds?: number
  maxRequestBytes?: number
  maxDocBytes?: number
  now?: () => number
  /** CouchDB's own users, roles, `_security` and validation (see above); the server admin's name and password. */
  couchUsers?: { admin: string; password: string }
}

export type CouchFault =
  | { kind: 'status'; status: 401 | 429 | 500 | 502 | 503; retryAfterSeconds?: number; html?: boolean; times?: number; path?: RegExp }
  /** The next `_bulk_docs` answers 201 with these rows failed (by position): the rest is written. */
  | { kind: 'rowErrors'; rows: { index: number; error: string; reason: string }[]; times?: number }

export interface CouchPeer {
  url: string
  /** IAM's base URL (the same server). */
  iamUrl: string
  port: number
  /** Adds a fault; each applies to `times` requests (default 1). */
  fault(f: CouchFault): void
  clearFaults(): void
  /** Makes every issued token invalid (a rotation on the server side): the next request with one gets 401. */
  revokeTokens(): void
  /** The documents of a database, read directly (not through the front). */
  docs(db: string): Promise<Record<string, unknown>[]>
  /** Database names, read directly. */
  databases(): Promise<string[]>
  /** Requests the front answered: method, path (no query), status. */
  log(): { method: string; path: string; status: number }[]
  /**
   * Milliseconds the front has spent with n requests in flight (received, not yet answered), by n: whether a writer
   * keeps the server fed (the historian benchmark).
   */
  inFlightTime(): number[]
  /** Tokens issued so far. */
  tokensIssued(): number
  /** The server's data folder (LevelDB files of every database), to search for what must never reach it. */
  dataDir: string
  /** With `couchUsers`: adds (or replaces) a CouchDB user with these roles. */
  addUser(name: string, password: string, roles: string[]): Promise<void>
  stop(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

const DB_NAME = /^[a-z][a-z0-9_$()+/-]*$/

/**
 * express-pouchdb drops a '/' from a database name (`PUT /a%2Fb` creates `ab`); CouchDB and Cloudant keep it (§1.3).
 * The server behind the front holds such a database under the name with '.' for '/', a character a database name
 * never holds (DB_NAME), and the front turns it back in every name it answers or lists.
 */
const innerName = (name: string): string => name.replaceAll('/', '.')
const outerName = (name: string): string => name.replaceAll('.', '/')

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

/** The request's path and query for the server behind the front: the database segment under its inner name. */
function innerUrl(url: string): string {
  const match = /^\/([^/?]+)(.*)$/s.exec(url)
  const name = match?.[1] && !match[1].startsWith('_') ? safeDecode(match[1]) : undefined
  return name === undefined ? url : `/${encodeURIComponent(innerName(name))}${match?.[2] ?? ''}`
}

/**
 * express-pouchdb's validation plugin (pouchdb-validation 4) sets every incoming document's `_revisions` to the stored
 * document's before it writes, whatever `new_edits` says. A replicated update (`_bulk_docs` with `new_edits:false`,
 * which carries its revision history in `_revisions`) to a document that exists is then silently not stored — the
 * server answers 201 `[]` — as soon as the database has a `validate_doc_update` (found by team sync's tests;
 * docs/wire/couchdb-sync.md §6). CouchDB stores it. The front keeps each such document's own history here, and the
 * database's `bulkDocs`, which runs after the validation, puts it back.
 */
const replicatedHistories = new Map<string, unknown>()
const historyKey = (id: unknown, rev: unknown) => `${String(id)}\u0000${String(rev)}`

/** Installed on each database express-pouchdb opens: its adapter's `_bulkDocs` runs after the validation wrapper. */
function keepReplicatedHistories(_name: string, db: { _bulkDocs: (req: { docs: Record<string, unknown>[] }, ...rest: unknown[]) => unknown }, next: () => void): void {
  const original = db._bulkDocs
  db._bulkDocs = function (this: unknown, req, ...rest) {
    for (const doc of req.docs) {
      const key = historyKey(doc._id, doc._rev)
      if (replicatedHistories.has(key)) {
        doc._revisions = replicatedHistories.get(key)
        replicatedHistories.delete(key)
      }
    }
    return original.call(this, req, ...rest)
  }
  next()
}

/** A document of a `_bulk_docs` request, and a row of its answer. */
type BulkDoc = { _id?: unknown }
type BulkRow = { id?: unknown; ok?: boolean; rev?: string; error?: string; reason?: string }

/**
 * CouchDB answers `_bulk_docs` with its rows in the order of the request's docs (with `new_edits:false` only the failed
 * ones, in that order). express-pouchdb does not: its validation, security and `_users` plugins (pouchdb-bulkdocs-wrapper)
 * check each document asynchronously, give PouchDB the ones that passed in the order their checks finished (a design or
 * local document, not checked, before all the others; the rest by a race on LevelDB reads) and put the refused ones
 * first; with `new_edits:false` PouchDB also sorts the documents by id. Each doc takes the first row not yet taken with
 * its `_id` (a doc without one has been given one: withIds), a doc with no row (a `new_edits:false` success) none.
 * Where a batch repeats an id, the k-th row with it goes to the k-th doc with it: PouchDB writes same-id documents one
 * after the other, the first getting the revision and the others a conflict, as CouchDB answers; but which body came
 * first is the wrapper's race, so the stored one may be a later doc's [I: not fixed here]. A row no doc takes (none is
 * expected) is kept, after the others: nothing the server answered is dropped.
 */
function rowsByDoc(docs: BulkDoc[], rows: BulkRow[]): { byDoc: (BulkRow | undefined)[]; untaken: BulkRow[] } {
  const left = [...rows]
  const byDoc = docs.map((doc) => {
    const i = left.findIndex((row) => row.id === doc._id)
    return i === -1 ? undefined : left.splice(i, 1)[0]
  })
  return { byDoc, untaken: left }
}

function inRequestOrder(docs: BulkDoc[], rows: BulkRow[]): BulkRow[] {
  const { byDoc, untaken } = rowsByDoc(docs, rows)
  return [...byDoc.filter((row) => row !== undefined), ...untaken]
}

/**
 * A `_bulk_docs` body whose new documents without an `_id` have one, so that each row of the answer can be matched to its
 * document (inRequestOrder): the id CouchDB would have generated, 32 hex digits (its default uuid algorithm) [I: random,
 * not its sequential prefix]. With `new_edits:false` a document without an id is PouchDB's to refuse.
 */
function withIds<T extends { docs: unknown[]; new_edits?: boolean }>(bulk: T): T {
  const lacking = (d: unknown): d is object => d !== null && typeof d === 'object' && !Array.isArray(d) && !('_id' in d)
  if (bulk.new_edits === false || !bulk.docs.some(lacking)) return bulk
  return { ...bulk, docs: bulk.docs.map((d) => (lacking(d) ? { _id: randomBytes(16).toString('hex'), ...d } : d)) }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > max) return null
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/**
 * The request body as JSON text: Cloudant takes `Content-Encoding: gzip` (IBM's SDK compresses every request body,
 * §1.1) and `deflate` [I: deflate]; express-pouchdb's body parser would too, but the front reads the body for its
 * limits. The limits apply to the decoded body [I: the spec does not say which size counts].
 */
function decodedBody(req: IncomingMessage, raw: Buffer, max: number): Buffer | 'too_large' | 'undecodable' {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase()
  if (encoding === 'identity') return raw
  const decode = encoding === 'gzip' ? gunzipSync : encoding === 'deflate' ? inflateSync : null
  if (!decode) return 'undecodable'
  try {
    return decode(raw, { maxOutputLength: max })
  } catch (e) {
    return (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too_large' : 'undecodable'
  }
}

/**
 * Writes of one document: `PUT /{db}/{doc}` (a design or local document has two segments after the db), `POST /{db}`
 * (not `POST /_session` or `/_replicate`, server endpoints; the system databases are databases).
 */
function documentWrite(method: string, segments: string[]): boolean {
  if (method === 'POST') return segments.length === 1 && (!segments[0]!.startsWith('_') || segments[0] === '_users' || segments[0] === '_replicator')
  if (method !== 'PUT') return false
  return segments.length === 2 ? !segments[1]!.startsWith('_') : segments.length === 3 && (segments[1] === '_design' || segments[1] === '_local')
}

/**
 * `GET /_all_dbs` with CouchDB's range parameters (§1.3): `startkey`/`start_key` and `endkey`/`end_key` (JSON
 * strings, inclusive), `descending` (then the range runs from the high key down), `skip`, `limit`. A value that is not
 * JSON, or a count that is not a non-negative integer → 400 [I: CouchDB's error text].
 */
function allDbsPage(all: string[], params: URLSearchParams): { page: string[] } | { error: string; reason: string } {
  const key = (a: string, b: string): string | undefined | null => {
    const text = params.get(a) ?? params.get(b)
    if (text === null) return undefined
    try {
      const value: unknown = JSON.parse(text)
      return typeof value === 'string' ? value : null
    } catch {
      return null
    }
  }
  const count = (name: string): number | undefined | null => {
    const text = params.get(name)
    if (text === null) return undefined
    return /^\d+$/.test(text) ? Number(text) : null
  }
  const start = key('startkey', 'start_key')
  const end = key('endkey', 'end_key')
  const skip = count('skip')
  const limit = count('limit')
  const descending = params.get('descending') === 'true'
  if (start === null || end === null) return { error: 'bad_request', reason: 'Invalid JSON in start_key or end_key (a database name is a JSON string).' }
  if (skip === null || limit === null) return { error: 'query_parse_error', reason: 'skip and limit must be non-negative integers.' }
  const sorted = [...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  if (descending) sorted.reverse()
  const inRange = sorted.filter((name) =>
    descending ? (start === undefined || name <= start) && (end === undefined || name >= end) : (start === undefined || name >= start) && (end === undefined || name <= end),
  )
  return { page: inRange.slice(skip ?? 0, limit === undefined ? undefined : (skip ?? 0) + limit) }
}

/**
 * express-pouchdb opens `_users` and `_replicator` in the background after it starts; a peer closed before they are open
 * has its directory removed under LevelDB, whose open then fails as an unhandled rejection. They are open once
 * `_all_dbs` lists them.
 */
async function systemDatabasesOpen(port: number, authorization: string): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const names = (await (await fetch(`http://127.0.0.1:${port}/_all_dbs`, { headers: authorization ? { authorization } : {} })).json()) as string[]
    if (names.includes('_users') && names.includes('_replicator')) return
    if (Date.now() > deadline) throw new Error(`express-pouchdb did not open its system databases (it lists ${JSON.stringify(names)})`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export async function startCouchPeer(options: CouchPeerOptions = {}): Promise<CouchPeer> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldline-couch-'))
  const now = options.now ?? Date.now
  const apiKeys = options.apiKeys ?? { 'iam-test-key': 'manager' }
  const users = options.users ?? {}
  const ttl = options.tokenTtlSeconds ?? 3600
  const maxRequest = options.maxRequestBytes ?? 64 * 1024 * 1024
  const maxDoc = options.maxDocBytes ?? 1024 * 1024
  // PouchDB's one static emitter takes a 'created' and a 'destroyed' listener per open database; a server that holds a
  // database per bucket passes Node's warning threshold of 10 without leaking anything.
  ;(PouchDB as unknown as { setMaxListeners(n: number): void }).setMaxListeners(1000)
  const Pouch = PouchDB.defaults({ prefix: `${dir}/` })
  const couchUsers = options.couchUsers
  if (couchUsers) writeFileSync(join(dir, 'config.json'), JSON.stringify({ admins: { [couchUsers.admin]: couchUsers.password } }))
  const adminHeader = couchUsers ? `Basic ${Buffer.from(`${couchUsers.admin}:${couchUsers.password}`).toString('base64')}` : ''
  const app = expressPouchdb(Pouch, { mode: 'fullCouchDB', configPath: join(dir, 'config.json'), logPath: join(dir, 'log.txt'), overrideMode: { exclude: ['routes/fauxton'] } })
  ;(app as unknown as { dbWrapper: { registerWrapper(w: typeof keepReplicatedHistories): void } }).dbWrapper.registerWrapper(keepReplicatedHistories)
  const inner = createServer(app)
  await new Promise<void>((resolve) => inner.listen(0, '127.0.0.1', resolve))
  const innerPort = (inner.address() as AddressInfo).port
  await systemDatabasesOpen(innerPort, adminHeader)
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })

  const tokens = new Map<string, { role: Role; expires: number }>()
  let issued = 0
  const serverUuid = randomBytes(16).toString('hex')
  let faults: (CouchFault & { left: number })[] = []
  const requests: { method: string; path: string; status: number }[] = []

  function takeFault<K extends CouchFault['kind']>(kind: K, path: string): Extract<CouchFault, { kind: K }> | null {
    const f = faults.find((x) => x.kind === kind && x.left > 0 && (x.kind !== 'status' || !x.path || x.path.test(path)))
    if (!f) return null
    f.left--
    faults = faults.filter((x) => x.left > 0)
    return f as unknown as Extract<CouchFault, { kind: K }>
  }

  function issueToken(role: Role): { token: string; expires: number } {
    const iat = Math.floor(now() / 1000)
    const exp = iat + ttl
    // JWT-shaped, unsigned (§1.2: clients read `exp`; the signature is the service's business).
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ iam_id: 'iam-ServiceId-test', iat, exp, jti: randomBytes(8).toString('hex') })}.${randomBytes(16).toString('base64url')}`
    tokens.set(token, { role, expires: exp * 1000 })
    issued++
    return { token, expires: exp }
  }

  function who(req: IncomingMessage): Role | null {
    const auth = req.headers.authorization ?? ''
    if (auth.startsWith('Bearer ')) {
      const t = tokens.get(auth.slice(7))
      return t && t.expires > now() ? t.role : null
    }
    if (auth.startsWith('Basic ')) {
      const [name, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')
      const user = users[name ?? '']
      return user && user.password === rest.join(':') ? user.role : null
    }
    return null
  }

  async function iam(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const body = (await readBody(req, 64 * 1024))?.toString('utf8') ?? ''
    const form = new URLSearchParams(body)
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') || form.get('grant_type') !== 'urn:ibm:params:oauth:grant-type:apikey') {
      json(res, 400, { errorCode: 'BXNIM0109E', errorMessage: 'Property missing or empty.', context: { requestId: randomBytes(8).toString('hex') } })
      return 400
    }
    const role = apiKeys[form.get('apikey') ?? '']
    if (!role) {
      json(res, 400, { errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found.', context: { requestId: randomBytes(8).toString('hex') } })
      return 400
    }
    const { token, expires } = issueToken(role)
    json(res, 200, { access_token: token, refresh_token: 'not_supported', token_type: 'Bearer', expires_in: ttl, expiration: expires, scope: 'ibm openid' })
    return 200
  }

  /** Passes the request to express-pouchdb; a `_bulk_docs` answer (bulkDocs: the request's docs) in request order. */
  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, bulkDocs?: BulkDoc[]): Promise<number> {
    return new Promise((resolve) => {
      // The body goes on decoded (decodedBody), so without the Content-Encoding it came with.
      const { 'content-encoding': _decoded, ...received } = req.headers
      const headers = { ...received, host: `127.0.0.1:${innerPort}`, 'content-length': String(body.length) }
      // CouchDB users are checked by express-pouchdb itself; an IAM token stands for the server admin.
      if (couchUsers && !String(req.headers.authorization).startsWith('Basic ')) headers.authorization = adminHeader
      else if (!couchUsers) delete headers.authorization
      const out = httpRequest({ host: '127.0.0.1', port: innerPort, method: req.method, path: innerUrl(req.url ?? '/'), headers, agent }, (innerRes) => {
        const status = innerRes.statusCode ?? 502
        if (!bulkDocs || status !== 201) {
          res.writeHead(status, innerRes.headers)
          innerRes.pipe(res)
          innerRes.on('end', () => resolve(status))
          return
        }
        const chunks: Buffer[] = []
        innerRes.on('data', (chunk: Buffer) => chunks.push(chunk))
        innerRes.on('end', () => {
          const text = Buffer.concat(chunks)
          const rows = JSON.parse(text.toString('utf8')) as BulkRow[]
          const ordered = inRequestOrder(bulkDocs, rows)
          if (ordered.every((row, i) => row === rows[i])) {
            res.writeHead(status, innerRes.headers).end(text)
          } else {
            // The body changes: its length with it, and express's ETag no longer describes it (CouchDB sends none here).
            const { etag: _stale, 'transfer-encoding': _chunked, ...kept } = innerRes.headers
            const reordered = `${JSON.stringify(ordered)}\n`
            res.writeHead(status, { ...kept, 'content-length': Buffer.byteLength(reordered) }).end(reordered)
          }
          resolve(status)
        })
      })
      out.on('error', () => {
        if (!res.headersSent) json(res, 502, { error: 'bad_gateway', reason: 'the test server behind the front failed' })
        resolve(502)
      })
      out.end(body)
    })
  }

  /** Sends the batch through, then answers as if the chosen rows had failed (the others are written). */
  async function bulkWithRowErrors(req: IncomingMessage, res: ServerResponse, parsed: { docs: BulkDoc[]; new_edits?: boolean }, fault: Extract<CouchFault, { kind: 'rowErrors' }>): Promise<number> {
    const failing = new Map(fault.rows.map((r) => [r.index, r]))
    const kept = parsed.docs.filter((_, i) => !failing.has(i))
    const res2 = await fetch(`http://127.0.0.1:${innerPort}${innerUrl((req.url ?? '').split('?')[0] ?? '')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...parsed, docs: kept }),
    })
    const { byDoc, untaken } = rowsByDoc(kept, (await res2.json()) as BulkRow[])
    let w = 0
    const rows = parsed.docs.flatMap((d, i) => {
      const f = failing.get(i)
      if (f) return [{ id: d._id, error: f.error, reason: f.reason }]
      const r = byDoc[w++]
      if (!r) return [] // a success with new_edits:false: CouchDB answers no row for it
      return [r.error ? { id: r.id, error: r.error, reason: r.reason } : { ok: true, id: r.id, rev: r.rev }]
    })
    json(res, 201, [...rows, ...untaken])
    return 201
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const url = new URL(req.url ?? '/', 'http://peer')
    const path = url.pathname
    if (req.method === 'POST' && path === '/identity/token') return iam(req, res)
    const passedThrough = couchUsers !== undefined && String(req.headers.authorization ?? '').startsWith('Basic ')
    const role = passedThrough ? 'manager' : who(req)
    if (!role) {
      json(res, 401, { error: 'unauthorized', reason: 'You are not authorized to access this db.' })
      return 401
    }
    const status = takeFault('status', path)
    if (status) {
      const headers: Record<string, string> = status.retryAfterSeconds !== undefined ? { 'retry-after': String(status.retryAfterSeconds) } : {}
      if (status.html) {
        const page = `<html><head><title>${status.status}</title></head><body><h1>${status.status} Service Unavailable</h1></body></html>`
        res.writeHead(status.status, { 'content-type': 'text/html', ...headers })
        res.end(page)
      } else if (status.status === 401) {
        json(res, 401, { error: 'unauthorized', reason: 'The token is no longer valid.' }, headers)
      } else if (status.status === 429) {
        json(res, 429, { error: 'too_many_requests', reason: "You've exceeded your rate limit allowance. Please try again later." }, headers)
      } else {
        json(res, status.status, { error: 'unknown_error', reason: 'internal server error' }, headers)
      }
      return status.status
    }
    if (req.method === 'GET' && path === '/') return welcome(req, res, passedThrough)
    const write = req.method !== 'GET' && req.method !== 'HEAD' && !(req.method === 'POST' && (path.endsWith('/_all_docs') || path.endsWith('/_find')))
    if (write && role === 'reader') {
      json(res, 403, { error: 'forbidden', reason: 'server_admin access is required for this request' })
      return 403
    }
    const segments = path.split('/').filter(Boolean)
    // CouchDB lets only server admins create a database; express-pouchdb crashes on the request instead (§1.4). CouchDB
    // checks the credentials first: wrong ones get its usual 401 (docs/wire/couchdb-sync.md), right ones of a user who
    // is not a server admin get 401 "You are not a server admin." (§1).
    if (passedThrough && req.method === 'PUT' && segments.length === 1 && req.headers.authorization !== adminHeader) {
      const reason = (await signedIn(String(req.headers.authorization))) ? 'You are not a server admin.' : 'Name or password is incorrect.'
      json(res, 401, { error: 'unauthorized', reason })
      return 401
    }
    if (req.method === 'PUT' && segments.length === 1) {
      const name = decodeURIComponent(segments[0] ?? '')
      if (!DB_NAME.test(name)) {
        json(res, 400, {
          error: 'illegal_database_name',
          reason: `Name: '${name}'. Only lowercase characters (a-z), digits (0-9), and any of the characters _, $, (, ), +, -, and / are allowed. Must begin with a letter.`,
        })
        return 400
      }
    }
    if (path.endsWith('/_changes') && url.searchParams.get('filter') === '_selector') {
      json(res, 400, { error: 'bad_request', reason: 'filter=_selector is not supported by this test server' })
      return 400
    }
    const raw = await readBody(req, maxRequest)
    if (raw === null) {
      json(res, 413, { error: 'too_large', reason: 'the request entity is too large' })
      return 413
    }
    const body = decodedBody(req, raw, maxRequest)
    if (body === 'too_large') {
      json(res, 413, { error: 'too_large', reason: 'the request entity is too large' })
      return 413
    }
    if (body === 'undecodable') {
      json(res, 400, { error: 'bad_request', reason: 'the request body could not be decompressed' })
      return 400
    }
    // Cloudant's 1 MB document limit holds for a document written alone too (§1.3), which express-pouchdb stores.
    if (documentWrite(req.method ?? '', segments) && body.length > maxDoc) {
      json(res, 413, { error: 'document_too_large', reason: 'the document is larger than the limit' })
      return 413
    }
    // A user may change their own `_users` document (their password) but never its roles; express-pouchdb lets them
    // (docs/wire/couchdb-sync.md §6, §7), so the front refuses it as CouchDB's own `_users` validation does.
    if (passedThrough && req.method === 'PUT' && segments[0] === '_users' && req.headers.authorization !== adminHeader && (await rolesChanged(decodeURIComponent(segments[1] ?? ''), body))) {
      json(res, 403, { error: 'forbidden', reason: 'Only _admin may edit roles' })
      return 403
    }
    if (req.method === 'POST' && path.endsWith('/_bulk_docs')) {
      let parsed: { docs?: unknown; new_edits?: boolean }
      try {
        parsed = JSON.parse(body.toString('utf8')) as { docs?: unknown; new_edits?: boolean }
      } catch {
        json(res, 400, { error: 'bad_request', reason: 'invalid UTF-8 JSON' })
        return 400
      }
      // A body without a list of docs is express-pouchdb's to refuse (400), as CouchDB does.
      if (!parsed || typeof parsed !== 'object' || !Array.isArray(parsed.docs)) return forward(req, res, body)
      const bulk = withIds(parsed as { docs: unknown[]; new_edits?: boolean })
      const docs = bulk.docs as Record<string, unknown>[]
      if (bulk.new_edits === false) {
        for (const d of docs) if (d?._revisions) replicatedHistories.set(historyKey(d._id, d._rev), d._revisions)
      }
      if (docs.some((d) => Buffer.byteLength(JSON.stringify(d)) > maxDoc)) {
        json(res, 413, { error: 'document_too_large', reason: 'the document is larger than the limit' })
        return 413
      }
      const rowFault = takeFault('rowErrors', path)
      if (rowFault) return bulkWithRowErrors(req, res, { ...bulk, docs }, rowFault)
      return forward(req, res, bulk === parsed ? body : Buffer.from(JSON.stringify(bulk)), docs)
    }
    // CouchDB answers a read of a database that does not exist with 404 not_found (docs/wire/couchdb-kafka.md §1.3);
    // express-pouchdb drops the connection on `_all_docs` of one (seen when a history window reaches yesterday's bucket).
    const db = segments[0] && !segments[0].startsWith('_') ? safeDecode(segments[0]) : undefined
    // The same for a DELETE of one (CouchDB API docs: DELETE /{db} → 404); express-pouchdb answers 200.
    const missingAnswers404 = req.method === 'GET' || req.method === 'HEAD' || (req.method === 'DELETE' && segments.length === 1)
    if (missingAnswers404 && db && !(await innerDatabases()).includes(db)) {
      if (req.method === 'HEAD') res.writeHead(404).end()
      else json(res, 404, { error: 'not_found', reason: 'Database does not exist.' })
      return 404
    }
    // express-pouchdb lists every database whatever the range; CouchDB 2+ and Cloudant apply it (§1.3). A CouchDB
    // user's request (couchUsers) stays express-pouchdb's to answer, as its authorisation is.
    if (req.method === 'GET' && path === '/_all_dbs' && !passedThrough) {
      const names = allDbsPage(await innerDatabases(), url.searchParams)
      if ('error' in names) json(res, 400, names)
      else json(res, 200, names.page)
      return 'error' in names ? 400 : 200
    }
    if (req.method === 'GET' && segments.length === 1 && db?.includes('/')) return databaseInfo(res, db)
    return forward(req, res, body)
  }

  /**
   * `GET /` as CouchDB answers it [C: CouchDB docs, api/server/common]: `{"couchdb": "Welcome", version, vendor, uuid}`
   * (express-pouchdb answers `{"express-pouchdb": "Welcome!", …}`, which no CouchDB client takes for CouchDB). CouchDB
   * checks Basic credentials on every request, this one included: wrong ones get 401 `Name or password is incorrect.`
   * [C: api/server/authn] (express-pouchdb lets them through here).
   */
  async function welcome(req: IncomingMessage, res: ServerResponse, passedThrough: boolean): Promise<number> {
    if (passedThrough && !(await signedIn(String(req.headers.authorization)))) {
      json(res, 401, { error: 'unauthorized', reason: 'Name or password is incorrect.' })
      return 401
    }
    json(res, 200, { couchdb: 'Welcome', version: '3.3.3', vendor: { name: 'The Apache Software Foundation' }, uuid: serverUuid })
    return 200
  }

  /** `GET /{db}` of a name with '/': the answer names the database as the client does, not as stored behind (see innerName). */
  async function databaseInfo(res: ServerResponse, db: string): Promise<number> {
    const answer = await fetch(`http://127.0.0.1:${innerPort}/${encodeURIComponent(innerName(db))}`, { headers: adminHeader ? { authorization: adminHeader } : {} })
    const info = (await answer.json()) as Record<string, unknown>
    json(res, answer.status, answer.status === 200 ? { ...info, db_name: db } : info)
    return answer.status
  }

  /** Whether a user document written by its user would change the roles it holds (a new document: any role at all). */
  async function rolesChanged(id: string, body: Buffer): Promise<boolean> {
    let next: { roles?: unknown }
    try {
      next = JSON.parse(body.toString('utf8')) as { roles?: unknown }
    } catch {
      return false
    }
    const stored = await fetch(`http://127.0.0.1:${innerPort}/_users/${encodeURIComponent(id)}`, { headers: { authorization: adminHeader } })
    const before = stored.status === 200 ? ((await stored.json()) as { roles?: unknown }).roles : []
    return JSON.stringify(next.roles ?? []) !== JSON.stringify(before ?? [])
  }

  /** Whether the server behind the front accepts these Basic credentials (its `_users` database checks them). */
  async function signedIn(authorization: string): Promise<boolean> {
    const answer = await fetch(`http://127.0.0.1:${innerPort}/_session`, { headers: { authorization } })
    if (answer.status !== 200) return false
    const session = (await answer.json()) as { userCtx?: { name?: string | null } }
    return typeof session.userCtx?.name === 'string'
  }

  /** The databases the server behind the front holds. */
  async function innerDatabases(): Promise<string[]> {
    const answer = await fetch(`http://127.0.0.1:${innerPort}/_all_dbs`, { headers: adminHeader ? { authorization: adminHeader } : {} })
    return ((await answer.json()) as string[]).map(outerName)
  }

  const inFlightMs: number[] = []
  let inFlight = 0
  let inFlightSince = performance.now()
  function inFlightBy(step: number): void {
    const t = performance.now()
    inFlightMs[inFlight] = (inFlightMs[inFlight] ?? 0) + (t - inFlightSince)
    inFlightSince = t
    inFlight += step
  }

  const front = await restartableServer((req, res) => {
    inFlightBy(1)
    res.once('close', () => inFlightBy(-1))
    handle(req, res).then(
      (status) => requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', status }),
      () => {
        if (!res.headersSent) json(res, 500, { error: 'unknown_error', reason: 'the test peer failed' })
      },
    )
  })
  const port = front.port
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    iamUrl: url,
    port,
    fault(f) {
      faults.push({ ...f, left: f.times ?? 1 })
    },
    clearFaults() {
      faults = []
    },
    revokeTokens() {
      tokens.clear()
    },
    async addUser(name, password, roles) {
      const url = `http://127.0.0.1:${innerPort}/_users/${encodeURIComponent(`org.couchdb.user:${name}`)}`
      const existing = await fetch(url, { headers: { authorization: adminHeader } })
      const rev = existing.status === 200 ? ((await existing.json()) as { _rev: string })._rev : undefined
      const res = await fetch(url, {
        method: 'PUT',
        headers: { authorization: adminHeader, 'content-type': 'application/json' },
        body: JSON.stringify({ _id: `org.couchdb.user:${name}`, ...(rev ? { _rev: rev } : {}), name, password, roles, type: 'user' }),
      })
      if (res.status !== 201) throw new Error(`adding user ${name}: HTTP ${res.status} ${await res.text()}`)
    },
    async docs(db) {
      const res = await fetch(`http://127.0.0.1:${innerPort}/${encodeURIComponent(innerName(db))}/_all_docs?include_docs=true`, { headers: adminHeader ? { authorization: adminHeader } : {} })
      if (res.status === 404) return []
      const page = (await res.json()) as { rows: { doc: Record<string, unknown> }[] }
      return page.rows.map((r) => r.doc).filter((d) => !String(d._id).startsWith('_design/'))
    },
    databases: innerDatabases,
    log: () => [...requests],
    inFlightTime() {
      inFlightBy(0)
      return Array.from(inFlightMs, (ms) => ms ?? 0)
    },
    tokensIssued: () => issued,
    dataDir: dir,
    stop: () => front.stop(),
    start: () => front.start(),
    async close() {
      await front.stop()
      agent.destroy()
      await new Promise<void>((resolve) => inner.close(() => resolve()))
      await rm(dir, { recursive: true, force: true })
    },
  }
}
