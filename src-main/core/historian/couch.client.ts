/**
 * Cloudant / CouchDB as the historian speaks it (docs/wire/couchdb-kafka.md §1), over the project's one HTTP factory: no SDK.
 *
 * - Auth: IAM (a Bearer token from iam-token.ts; one 401 refreshes the token and repeats the request once, a second
 *   401 stops) or HTTP Basic. The Authorization header is built per request and never logged (the factory logs no
 *   header values).
 * - Every request is sent once by the factory (`maxAttempts: 1`) and its failure classified here (delivery-error.ts):
 *   the destination owns the retries, so that its state shows "backing off until …" instead of a request that hangs.
 *   `_bulk_docs` is marked idempotent: its ids are stable, so sending it again stores nothing twice.
 * - Errors carry CouchDB's own `{error, reason}` when there is one, cut short.
 */
import { z } from 'zod'
import { AppError } from '../common/errors'
import { createHttpClient, parseRetryAfter, type HttpClient, type HttpRequest, type HttpResponse } from '../http/http-client'
import type { Logger } from '../log/logger'
import { DeliveryError, asDeliveryError } from './delivery-error'
import { createIamTokens, IamUnavailable, type IamTokens } from './iam-token'

export type CouchAuth = { kind: 'iam'; apiKey: string; iamUrl: string } | { kind: 'basic'; username: string; password: string }

export interface CouchClientOptions {
  url: string
  auth: CouchAuth
  ca?: string[]
  logger?: Logger
  /** Per-request limits; Cloudant's own request timeout is 60 s. */
  timeoutMs?: { connect?: number; headers?: number; body?: number }
}

/** One row of a `_bulk_docs` answer: `{id, rev}` or `{id, error, reason}`. */
export const bulkRowSchema = z.object({ id: z.string().optional(), rev: z.string().optional(), ok: z.boolean().optional(), error: z.string().optional(), reason: z.string().optional() }).loose()
export type BulkRow = z.infer<typeof bulkRowSchema>

const couchError = z.object({ error: z.string().optional(), reason: z.string().optional() }).loose()

const allDocsSchema = z.object({
  rows: z.array(z.object({ id: z.string(), key: z.string(), doc: z.record(z.string(), z.unknown()).optional() }).loose()),
})

export interface CouchClient {
  /** 'created', or 'exists' for CouchDB's 412 file_exists. */
  createDb(name: string): Promise<'created' | 'exists'>
  deleteDb(name: string): Promise<'deleted' | 'missing'>
  /**
   * Database names, sorted; with a range, those from `startkey` to `endkey` (inclusive) as CouchDB 2+ and Cloudant
   * filter them. express-pouchdb ignores the range (docs/wire/couchdb-kafka.md §1.4), so a caller filters the names too.
   */
  listDbs(range?: { startkey: string; endkey: string }): Promise<string[]>
  /** Writes documents; the rows say, per document, what happened (a 201 may still hold failed rows). */
  bulkDocs(db: string, docs: readonly object[]): Promise<BulkRow[]>
  /** A key range of `_all_docs` with the documents; null when the database does not exist. */
  allDocs(db: string, range: { startkey: string; endkey: string; limit: number }): Promise<{ id: string; doc: Record<string, unknown> }[] | null>
  /** The design documents of a database (copied to new buckets from the configuration database). */
  designDocs(db: string): Promise<Record<string, unknown>[]>
  putDoc(db: string, doc: { _id: string } & Record<string, unknown>): Promise<'created' | 'exists'>
  /** A cheap authenticated request, for "Verify connection". */
  verify(): Promise<string>
  close(): Promise<void>
}

function reasonOf(res: HttpResponse): string {
  if (res.isHtml()) return `HTTP ${res.status} (an HTML page)`
  const parsed = couchError.safeParse(res.tryJson())
  const text = parsed.success ? [parsed.data.error, parsed.data.reason].filter(Boolean).join(': ') : ''
  return (text || `HTTP ${res.status}`).slice(0, 300)
}

/**
 * What a refused request was about. The messages take it as parameters (`what` chooses the words of both languages,
 * `db` and `doc` name the database and the document), so no English phrase ends up inside a translated message; the
 * English `message` (CLI, logs) says it with `targetText`.
 */
export type CouchTarget = { what: 'listDbs' } | { what: 'database' | 'batch' | 'documents' | 'designDocs'; db: string } | { what: 'document'; db: string; doc: string }

export function targetText(t: CouchTarget): string {
  switch (t.what) {
    case 'listDbs':
      return 'the list of databases'
    case 'database':
      return `database ${t.db}`
    case 'batch':
      return `a batch for ${t.db}`
    case 'documents':
      return `the documents of ${t.db}`
    case 'designDocs':
      return `the design documents of ${t.db}`
    case 'document':
      return `document ${t.doc} in ${t.db}`
  }
}

/**
 * CouchDB answers 401, not 403, when credentials it accepted belong to a user who is not a server admin and the request
 * needs one (creating a database; listing them on CouchDB 3): `{"error":"unauthorized","reason":"You are not a server
 * admin."}` (docs/wire/couchdb-kafka.md §1). Wrong credentials get another reason, so the reason tells the two apart.
 */
function notServerAdmin(res: HttpResponse): boolean {
  const parsed = couchError.safeParse(res.tryJson())
  return parsed.success && parsed.data.error === 'unauthorized' && parsed.data.reason === 'You are not a server admin.'
}

function adminActionText(t: CouchTarget): string {
  return t.what === 'database' ? `create database ${t.db}` : t.what === 'listDbs' ? 'list the databases' : `reach ${targetText(t)}`
}

/** The verdict on an answer that is not the one asked for. */
export function couchFailure(res: HttpResponse, target: CouchTarget): DeliveryError {
  const reason = reasonOf(res)
  const what = targetText(target)
  // Every message names all three (a translation needs each placeholder of every branch).
  const params = { what: target.what, db: 'db' in target ? target.db : '', doc: 'doc' in target ? target.doc : '', reason, status: res.status }
  if (res.status === 401 && notServerAdmin(res)) {
    const advice = target.what === 'database' ? 'create it beforehand, or use a user allowed to create databases (a server admin)' : 'use a user allowed to do it (a server admin)'
    return new DeliveryError('stop', 'FORBIDDEN', `CouchDB recognised the user, but only a server admin may ${adminActionText(target)}: ${advice}`, {
      key: 'historian.couchNotServerAdmin',
      params,
    })
  }
  if (res.status === 401) return new DeliveryError('stop', 'AUTH_FAILED', `CouchDB refused the credentials (${what}): ${reason}`, { key: 'historian.couchUnauthorized', params })
  if (res.status === 403) return new DeliveryError('stop', 'FORBIDDEN', `CouchDB forbids ${what}: ${reason}`, { key: 'historian.couchForbidden', params })
  if (res.status === 413) return new DeliveryError('split', 'TOO_LARGE', `CouchDB found ${what} too large: ${reason}`, { key: 'historian.couchTooLarge', params })
  if (res.status === 429) {
    return new DeliveryError('retry', 'RATE_LIMITED', `CouchDB asked to slow down (${what})`, { key: 'historian.couchRateLimited', params }, parseRetryAfter(res.headers['retry-after']))
  }
  if (res.status >= 500) {
    return new DeliveryError('retry', 'NETWORK', `CouchDB could not serve ${what}: ${reason}`, { key: 'historian.couchUnavailable', params }, parseRetryAfter(res.headers['retry-after']))
  }
  if (res.status === 404) return new DeliveryError('stop', 'NOT_FOUND', `CouchDB has no ${what}: ${reason}`, { key: 'historian.couchNotFound', params })
  // 400 and the rest: the request itself was refused; sending it again unchanged gets the same answer.
  return new DeliveryError('stop', 'VALIDATION', `CouchDB refused ${what}: ${reason}`, { key: 'historian.couchRefused', params })
}

const dbPath = (db: string): string => `/${encodeURIComponent(db)}`

export function createCouchClient(options: CouchClientOptions): CouchClient {
  const http = createHttpClient({
    baseUrl: options.url,
    service: 'CouchDB',
    maxAttempts: 1,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  })
  const auth = options.auth
  let iamHttp: HttpClient | null = null
  let tokens: IamTokens | null = null
  if (auth.kind === 'iam') {
    iamHttp = createHttpClient({ baseUrl: auth.iamUrl, service: 'IBM Cloud IAM', maxAttempts: 1, ...(options.logger ? { logger: options.logger } : {}) })
    tokens = createIamTokens(iamHttp, auth.apiKey)
  }
  const basic = auth.kind === 'basic' ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : ''

  async function authorization(): Promise<string> {
    if (!tokens) return basic
    try {
      return `Bearer ${await tokens.token()}`
    } catch (e) {
      if (e instanceof IamUnavailable) throw new DeliveryError('retry', 'NETWORK', e.message, { key: 'historian.iamUnavailable' }, e.retryAfterMs)
      throw asDeliveryError(e)
    }
  }

  /** One request with credentials; a 401 under IAM fetches a new token and repeats it once. */
  async function send(req: Omit<HttpRequest, 'maxAttempts'>): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse
      try {
        res = await http.request({ ...req, maxAttempts: 1, headers: { accept: 'application/json', ...req.headers, authorization: await authorization() } })
      } catch (e) {
        throw asDeliveryError(e)
      }
      if (res.status === 401 && tokens && attempt === 0) {
        tokens.refresh()
        continue
      }
      return res
    }
  }

  const json = (body: unknown): Pick<HttpRequest, 'headers' | 'body'> => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

  return {
    async createDb(name) {
      const res = await send({ method: 'PUT', path: dbPath(name) })
      if (res.status === 201 || res.status === 202) return 'created'
      if (res.status === 412) return 'exists'
      throw couchFailure(res, { what: 'database', db: name })
    },

    async deleteDb(name) {
      const res = await send({ method: 'DELETE', path: dbPath(name) })
      if (res.status === 200 || res.status === 202) return 'deleted'
      if (res.status === 404) return 'missing'
      throw couchFailure(res, { what: 'database', db: name })
    },

    async listDbs(range) {
      const res = await send({ method: 'GET', path: '/_all_dbs', ...(range ? { query: { startkey: JSON.stringify(range.startkey), endkey: JSON.stringify(range.endkey) } } : {}) })
      if (res.status !== 200) throw couchFailure(res, { what: 'listDbs' })
      const parsed = z.array(z.string()).safeParse(res.tryJson())
      if (!parsed.success) throw new DeliveryError('retry', 'NETWORK', 'CouchDB answered _all_dbs in an unexpected form', { key: 'historian.couchBadAnswer' })
      return parsed.data
    },

    async bulkDocs(db, docs) {
      // Unordered: the destination sends batches side by side (couch.sink.ts), and batches of documents with their own
      // ids have no order between them.
      const res = await send({ method: 'POST', path: `${dbPath(db)}/_bulk_docs`, idempotent: true, ordered: false, ...json({ docs }) })
      // 201 Created; Cloudant answers 202 when fewer replicas than the write quorum acknowledged: the rows still count.
      if (res.status !== 201 && res.status !== 202) throw couchFailure(res, { what: 'batch', db })
      const parsed = z.array(bulkRowSchema).safeParse(res.tryJson())
      if (!parsed.success) throw new DeliveryError('retry', 'NETWORK', `CouchDB answered a batch for ${db} in an unexpected form`, { key: 'historian.couchBadAnswer' })
      return parsed.data
    },

    async allDocs(db, range) {
      const res = await send({
        method: 'GET',
        path: `${dbPath(db)}/_all_docs`,
        query: { startkey: JSON.stringify(range.startkey), endkey: JSON.stringify(range.endkey), limit: range.limit, include_docs: true },
      })
      if (res.status === 404) return null
      if (res.status !== 200) throw couchFailure(res, { what: 'documents', db })
      const parsed = allDocsSchema.safeParse(res.tryJson())
      if (!parsed.success) throw new DeliveryError('retry', 'NETWORK', `CouchDB answered _all_docs of ${db} in an unexpected form`, { key: 'historian.couchBadAnswer' })
      return parsed.data.rows.filter((r) => r.doc).map((r) => ({ id: r.id, doc: r.doc as Record<string, unknown> }))
    },

    async designDocs(db) {
      const res = await send({ method: 'GET', path: `${dbPath(db)}/_all_docs`, query: { startkey: '"_design/"', endkey: '"_design0"', include_docs: true } })
      if (res.status === 404) return []
      if (res.status !== 200) throw couchFailure(res, { what: 'designDocs', db })
      const parsed = allDocsSchema.safeParse(res.tryJson())
      return parsed.success ? parsed.data.rows.map((r) => r.doc).filter((d): d is Record<string, unknown> => d !== undefined) : []
    },

    async putDoc(db, doc) {
      const res = await send({ method: 'PUT', path: `${dbPath(db)}/${doc._id.split('/').map(encodeURIComponent).join('/')}`, ...json(doc) })
      if (res.status === 201 || res.status === 202) return 'created'
      if (res.status === 409) return 'exists'
      throw couchFailure(res, { what: 'document', db, doc: doc._id })
    },

    async verify() {
      const res = await send({ method: 'GET', path: '/_all_dbs' })
      if (res.status === 200) return `${http.baseUrl.origin}: signed in`
      const failure = couchFailure(res, { what: 'listDbs' })
      throw AppError.withRef(failure.code, failure.message, failure.details?.ref ?? { key: 'historian.couchRefused' })
    },

    async close() {
      await Promise.all([http.close(), iamHttp?.close()])
    },
  }
}
