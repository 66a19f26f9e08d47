/**
 * IBM's official Cloudant SDK for Node, `@ibm-cloud/cloudant` 0.12.19 (installed from npm, with IBM's
 * `ibm-cloud-sdk-core`), drives the Cloudant-like CouchDB peer through the operations the historian uses
 * (src-main/core/historian/couch.client.ts: `PUT /{db}`, `DELETE /{db}`, `GET /_all_dbs` with a key range,
 * `POST /{db}/_bulk_docs`, `_all_docs` with a key range and the documents, `PUT /{db}/{doc}`) and their documented
 * refusals; each case asserts the documented outcome.
 *
 * Pointing it at the peer takes only the SDK's documented options: `serviceUrl` is the peer's http://127.0.0.1 origin,
 * and `IamAuthenticator({apikey, url})` takes IAM's base URL, to which the SDK's token manager appends
 * `/identity/token` (the peer serves IAM on the same server). Nothing of the SDK is overridden. The SDK reads
 * `access_token` and decodes the JWT's `exp` and `iat` itself (the peer's token is JWT-shaped and unsigned, §1.2).
 *
 * How the SDK surfaces a refusal: it rejects with an Error whose `status` is the HTTP status and whose `result` is the
 * JSON body, to which its Cloudant interceptor adds `errors: [{code: error, message: "error: reason"}]` when the body
 * is CouchDB's `{error, reason}`. Its retries are off unless `enableRetries()` is called (then 4 retries on 429, 500
 * and 502–599, honouring `Retry-After`, §1.1).
 *
 * Apache CouchDB's official Node client, `nano` 11.0.7, drives the same peer through the same operations with Basic
 * auth (nano has no IAM): `url` is the peer's origin with the user and password in it, from which nano builds its
 * Basic header (nano's documented way). nano rejects a refusal with an Error carrying `statusCode` and the body's
 * `error` and `reason`; it never retries.
 *
 * Sources named in each case: "§1.x" = docs/wire/couchdb-kafka.md §1.x (Cloudant / CouchDB: clients, auth,
 * `_bulk_docs`, limits, errors); [I] = the peer's reading where the spec is silent.
 */
import { BasicAuthenticator, CloudantV1, IamAuthenticator } from '@ibm-cloud/cloudant'
import { NoAuthAuthenticator } from '@ibm-cloud/cloudant/auth'
import Nano from 'nano'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { conformanceSuite } from '../helpers/conformance'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'

const MANAGER_KEY = 'iam-test-key'
const READER_KEY = 'iam-reader-key'
const BASIC = { username: 'basic-user', password: 'basic-password' }
const BASIC_READER = { username: 'basic-reader', password: 'reader-password' }
const TOKEN_TTL_S = 3600

let peer: CouchPeer
/** The peer's clock, moved forward to expire the tokens it issued (the SDK keeps its own clock). */
let peerClockOffsetMs = 0

function iamClient(apikey = MANAGER_KEY): CloudantV1 {
  return new CloudantV1({ authenticator: new IamAuthenticator({ apikey, url: peer.iamUrl }), serviceUrl: peer.url })
}

function basicClient(username = BASIC.username, password = BASIC.password): CloudantV1 {
  return new CloudantV1({ authenticator: new BasicAuthenticator({ username, password }), serviceUrl: peer.url })
}

interface Refusal {
  status: number
  result: Record<string, unknown>
  headers: Record<string, string>
}

/** The status, body and headers of the answer the SDK rejected. */
async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise
  } catch (e) {
    const error = e as { status?: number; result?: Record<string, unknown>; headers?: Record<string, string> }
    if (typeof error.status !== 'number') throw e
    return { status: error.status, result: error.result ?? {}, headers: error.headers ?? {} }
  }
  throw new Error('the official client reported success where a refusal was expected')
}

/** A refusal with `status` and CouchDB's `{error, reason}`, as the SDK's interceptor maps it to `errors`. */
async function refused(promise: Promise<unknown>, status: number, error: string): Promise<Refusal> {
  const r = await refusal(promise)
  expect(r.status).toBe(status)
  expect(r.result).toMatchObject({ error, reason: expect.any(String), errors: [{ code: error, message: expect.stringContaining(`${error}: `) }] })
  return r
}

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  _id: id,
  deviceType: 'sensor',
  deviceId: 'dev-1',
  eventType: 'status',
  timestamp: '2026-12-07T10:00:00.000Z',
  data: { t: 21.5 },
  ...extra,
})

let dbCount = 0
/** A fresh bucket database, created through the SDK. */
async function freshDb(client = iamClient()): Promise<string> {
  const db = `iotp_org1_conf_${String(++dbCount).padStart(3, '0')}_2026-12-07`
  expect((await client.putDatabase({ db })).status).toBe(201)
  return db
}

beforeAll(async () => {
  peer = await startCouchPeer({
    apiKeys: { [MANAGER_KEY]: 'manager', [READER_KEY]: 'reader' },
    users: { [BASIC.username]: { password: BASIC.password, role: 'manager' }, [BASIC_READER.username]: { password: BASIC_READER.password, role: 'reader' } },
    tokenTtlSeconds: TOKEN_TTL_S,
    now: () => Date.now() + peerClockOffsetMs,
  })
})

afterAll(async () => {
  await peer?.close()
})

describe('Cloudant conformance: @ibm-cloud/cloudant CloudantV1 against the CouchDB peer', () => {
  const suite = conformanceSuite('Cloudant (@ibm-cloud/cloudant 0.12.19 CloudantV1)')

  suite.case('IAM: the SDK exchanges its API key at <url>/identity/token and sends the token as Bearer', '§1.2', async () => {
    const before = peer.tokensIssued()
    const client = iamClient()
    const answer = await client.getAllDbs()
    expect(answer.status).toBe(200)
    expect(answer.result).toEqual(expect.arrayContaining(['_users', '_replicator']))
    await client.getAllDbs()
    // One token for both requests: the SDK read `exp` from the JWT and kept it.
    expect(peer.tokensIssued()).toBe(before + 1)
    expect(peer.log().slice(-3)).toEqual([
      { method: 'POST', path: '/identity/token', status: 200 },
      { method: 'GET', path: '/_all_dbs', status: 200 },
      { method: 'GET', path: '/_all_dbs', status: 200 },
    ])
  })

  suite.case('Basic: a configured user and password are accepted', '§1.2', async () => {
    expect((await basicClient().getAllDbs()).status).toBe(200)
  })

  suite.case('IAM: an unknown API key → IAM 400 BXNIM0415E, surfaced by the SDK; nothing reaches the database', '§1.2', async () => {
    const logged = peer.log().length
    const r = await refusal(iamClient('no-such-key').putDatabase({ db: 'iotp_org1_never_2026-12-07' }))
    expect(r.status).toBe(400)
    expect(r.result).toMatchObject({ errorCode: 'BXNIM0415E', errorMessage: expect.any(String) })
    expect(peer.log().slice(logged)).toEqual([{ method: 'POST', path: '/identity/token', status: 400 }])
    expect(await peer.databases()).not.toContain('iotp_org1_never_2026-12-07')
  })

  suite.case('no credentials → 401 unauthorized', '§1.2 [I: the reason text]', async () => {
    const client = new CloudantV1({ authenticator: new NoAuthAuthenticator(), serviceUrl: peer.url })
    await refused(client.getAllDbs(), 401, 'unauthorized')
  })

  suite.case('Basic with a wrong password → 401 unauthorized', '§1.2 [I: the reason text]', async () => {
    await refused(basicClient(BASIC.username, 'wrong-password').getAllDbs(), 401, 'unauthorized')
  })

  suite.case('a token the service holds expired (its clock, not the SDK’s) → 401, surfaced; the SDK does not fetch another by itself', '§1.2, §1.3 (401: refresh the token once)', async () => {
    const client = iamClient()
    await client.getAllDbs()
    const issued = peer.tokensIssued()
    peerClockOffsetMs = (TOKEN_TTL_S + 1) * 1000
    try {
      await refused(client.getAllDbs(), 401, 'unauthorized')
      expect(peer.tokensIssued()).toBe(issued)
    } finally {
      peerClockOffsetMs = 0
    }
  })

  suite.case('a revoked token (a rotation on the server) → 401; a client built again gets a new token and goes through', '§1.2', async () => {
    const client = iamClient()
    await client.getAllDbs()
    peer.revokeTokens()
    await refused(client.getAllDbs(), 401, 'unauthorized')
    expect((await iamClient().getAllDbs()).status).toBe(200)
  })

  suite.case('PUT db → 201 {ok: true}; the database is held', '§1.3', async () => {
    const answer = await iamClient().putDatabase({ db: 'iotp_org1_put_2026-12-07' })
    expect(answer.status).toBe(201)
    expect(answer.result).toEqual({ ok: true })
    expect(await peer.databases()).toContain('iotp_org1_put_2026-12-07')
  })

  suite.case('PUT of a database that exists → 412 file_exists', '§1.3', async () => {
    const db = await freshDb()
    await refused(iamClient().putDatabase({ db }), 412, 'file_exists')
  })

  suite.case('an illegal database name → 400 illegal_database_name, nothing created', '§1.3 [I: the reason text]', async () => {
    for (const db of ['Iotp_org1_upper', '1iotp', '_private', 'iotp org1']) {
      const r = await refused(iamClient().putDatabase({ db }), 400, 'illegal_database_name')
      expect(r.result.reason).toContain(db)
    }
    expect((await peer.databases()).filter((n) => !n.startsWith('_') && !n.startsWith('iotp_org1_'))).toEqual([])
  })

  suite.case('a name with the allowed specials (_ $ ( ) + - /) is accepted, the SDK percent-encoding the /', '§1.3', async () => {
    const db = 'iotp_org1_a$b(c)+d-e/f_2026-12-07'
    expect((await iamClient().putDatabase({ db })).status).toBe(201)
    expect(await peer.databases()).toContain(db)
  })

  suite.case('DELETE db → 200 {ok: true}; DELETE of one that does not exist → 404 not_found', '§1.3 [I: 404 on DELETE]', async () => {
    const db = await freshDb()
    const client = iamClient()
    const answer = await client.deleteDatabase({ db })
    expect(answer.status).toBe(200)
    expect(answer.result).toEqual({ ok: true })
    expect(await peer.databases()).not.toContain(db)
    await refused(client.deleteDatabase({ db }), 404, 'not_found')
  })

  suite.case('_all_dbs with start_key and end_key: the names in that range, inclusive, sorted', '§1.3 (`/_all_dbs`)', async () => {
    const client = iamClient()
    for (const day of ['2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03']) await client.putDatabase({ db: `iotp_org1_range_${day}` })
    const answer = await client.getAllDbs({ startKey: JSON.stringify('iotp_org1_range_2026-12-01'), endKey: JSON.stringify('iotp_org1_range_2026-12-02') })
    expect(answer.result).toEqual(['iotp_org1_range_2026-12-01', 'iotp_org1_range_2026-12-02'])
  })

  suite.case('_all_dbs with descending, limit and skip', '§1.3 (`/_all_dbs`)', async () => {
    const client = iamClient()
    for (const day of ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04']) await client.putDatabase({ db: `iotp_org1_desc_${day}` })
    const answer = await client.getAllDbs({ startKey: JSON.stringify('iotp_org1_desc_2026-10-99'), endKey: JSON.stringify('iotp_org1_desc_'), descending: true, skip: 1, limit: 2 })
    expect(answer.result).toEqual(['iotp_org1_desc_2026-10-03', 'iotp_org1_desc_2026-10-02'])
    const all = (await client.getAllDbs()).result
    expect(all).toEqual([...all].sort())
  })

  suite.case('_bulk_docs → 201, one {ok, id, rev} row per document, in order; the documents are held', '§1.3', async () => {
    const db = await freshDb()
    const docs = [event('e-1'), event('e-2'), event('e-3')]
    const answer = await iamClient().postBulkDocs({ db, bulkDocs: { docs } })
    expect(answer.status).toBe(201)
    expect(answer.result).toEqual(docs.map((d) => ({ ok: true, id: d._id, rev: expect.stringMatching(/^1-/) })))
    expect((await peer.docs(db)).map((d) => d._id)).toEqual(['e-1', 'e-2', 'e-3'])
  })

  suite.case('_bulk_docs of ids already held → 201 with per-row conflict (for an event: already stored)', '§1.3', async () => {
    const db = await freshDb()
    const client = iamClient()
    await client.postBulkDocs({ db, bulkDocs: { docs: [event('e-1'), event('e-2')] } })
    const answer = await client.postBulkDocs({ db, bulkDocs: { docs: [event('e-1'), event('e-3'), event('e-2')] } })
    expect(answer.status).toBe(201)
    expect(answer.result).toEqual([
      { id: 'e-1', error: 'conflict', reason: expect.any(String) },
      { ok: true, id: 'e-3', rev: expect.stringMatching(/^1-/) },
      { id: 'e-2', error: 'conflict', reason: expect.any(String) },
    ])
    expect(await peer.docs(db)).toHaveLength(3)
  })

  suite.case('_bulk_docs with rows the service refuses → 201, those rows {id, error: forbidden}, the others written', '§1.3', async () => {
    const db = await freshDb()
    peer.fault({ kind: 'rowErrors', rows: [{ index: 1, error: 'forbidden', reason: 'not allowed' }] })
    const answer = await iamClient().postBulkDocs({ db, bulkDocs: { docs: [event('e-1'), event('e-2'), event('e-3')] } })
    expect(answer.status).toBe(201)
    expect(answer.result).toEqual([
      { ok: true, id: 'e-1', rev: expect.any(String) },
      { id: 'e-2', error: 'forbidden', reason: 'not allowed' },
      { ok: true, id: 'e-3', rev: expect.any(String) },
    ])
    expect((await peer.docs(db)).map((d) => d._id)).toEqual(['e-1', 'e-3'])
  })

  suite.case('_bulk_docs with a document over 1 MB → 413, nothing of the batch written', '§1.3 [I: the body text]', async () => {
    const db = await freshDb()
    const big = event('e-big', { data: { blob: 'x'.repeat(1024 * 1024) } })
    const r = await refusal(iamClient().postBulkDocs({ db, bulkDocs: { docs: [event('e-1'), big] } }))
    expect(r.status).toBe(413)
    expect(r.result).toMatchObject({ error: expect.stringMatching(/too_large/), reason: expect.any(String) })
    expect(await peer.docs(db)).toEqual([])
  })

  suite.case('PUT of one document over 1 MB → 413, not stored', '§1.3 [I: the body text]', async () => {
    const db = await freshDb()
    const r = await refusal(iamClient().putDocument({ db, docId: 'big', document: { data: 'x'.repeat(1024 * 1024) } }))
    expect(r.status).toBe(413)
    expect(r.result).toMatchObject({ error: expect.stringMatching(/too_large/), reason: expect.any(String) })
    expect(await peer.docs(db)).toEqual([])
  })

  suite.case('PUT of a document → 201 {ok, id, rev}; again without its _rev → 409 conflict (a design document: already there)', '§1.3', async () => {
    const db = await freshDb()
    const client = iamClient()
    const design = { language: 'javascript', views: { by_time: { map: 'function (doc) { emit(doc.timestamp, null) }' } } }
    // putDocument refuses an id that starts with _ before sending; a design document has its own operation.
    const answer = await client.putDesignDocument({ db, ddoc: 'iotp', designDocument: design })
    expect(answer.status).toBe(201)
    expect(answer.result).toEqual({ ok: true, id: '_design/iotp', rev: expect.stringMatching(/^1-/) })
    await refused(client.putDesignDocument({ db, ddoc: 'iotp', designDocument: design }), 409, 'conflict')
    expect((await client.putDocument({ db, docId: 'e-1', document: event('e-1') })).status).toBe(201)
    await refused(client.putDocument({ db, docId: 'e-1', document: event('e-1') }), 409, 'conflict')
  })

  suite.case('_all_docs with start_key, end_key, limit and the documents: that range, in id order', '§1.3', async () => {
    const db = await freshDb()
    const client = iamClient()
    const ids = ['t-2026-12-07T10:00:00', 't-2026-12-07T10:00:01', 't-2026-12-07T10:00:02', 't-2026-12-07T10:00:03']
    await client.postBulkDocs({ db, bulkDocs: { docs: [...ids].reverse().map((id) => event(id)) } })
    const answer = await client.postAllDocs({ db, startKey: ids[1], endKey: ids[3], includeDocs: true, limit: 2 })
    expect(answer.status).toBe(200)
    expect(answer.result.rows.map((r) => r.id)).toEqual([ids[1], ids[2]])
    expect(answer.result.rows.map((r) => r.doc)).toEqual([ids[1], ids[2]].map((id) => ({ ...event(id!), _rev: expect.stringMatching(/^1-/) })))
    expect(answer.result.totalRows).toBe(4)
  })

  suite.case('_all_docs of a database that does not exist → 404 not_found (a missing bucket)', '§1.3', async () => {
    await refused(iamClient().postAllDocs({ db: 'iotp_org1_missing_2026-12-07', includeDocs: true }), 404, 'not_found')
  })

  suite.case('the IAM reader role: reads go through, every write → 403 forbidden, nothing changed', '§1.3 (403: do not retry) [I: the reader role]', async () => {
    const db = await freshDb()
    await iamClient().postBulkDocs({ db, bulkDocs: { docs: [event('e-1')] } })
    const reader = iamClient(READER_KEY)
    expect((await reader.getAllDbs()).result).toContain(db)
    expect((await reader.postAllDocs({ db, includeDocs: true })).result.rows.map((r) => r.id)).toEqual(['e-1'])
    await refused(reader.postBulkDocs({ db, bulkDocs: { docs: [event('e-2')] } }), 403, 'forbidden')
    await refused(reader.putDatabase({ db: 'iotp_org1_reader_2026-12-07' }), 403, 'forbidden')
    await refused(reader.putDocument({ db, docId: 'e-3', document: event('e-3') }), 403, 'forbidden')
    await refused(reader.deleteDatabase({ db }), 403, 'forbidden')
    expect((await peer.docs(db)).map((d) => d._id)).toEqual(['e-1'])
    expect(await peer.databases()).not.toContain('iotp_org1_reader_2026-12-07')
  })

  suite.case('429 too_many_requests: surfaced as is by the SDK without retries (its default)', '§1.3 [I: the body text]', async () => {
    const db = await freshDb()
    peer.fault({ kind: 'status', status: 429, retryAfterSeconds: 1, path: /_bulk_docs$/ })
    const r = await refused(iamClient().postBulkDocs({ db, bulkDocs: { docs: [event('e-1')] } }), 429, 'too_many_requests')
    expect(r.headers['retry-after']).toBe('1')
    expect(await peer.docs(db)).toEqual([])
  })

  suite.case('429 with Retry-After under enableRetries(): the SDK waits and sends the batch again, which goes through', '§1.1, §1.3', async () => {
    const db = await freshDb()
    const client = iamClient()
    client.enableRetries({ maxRetries: 2 })
    peer.fault({ kind: 'status', status: 429, retryAfterSeconds: 1, path: /_bulk_docs$/ })
    const answer = await client.postBulkDocs({ db, bulkDocs: { docs: [event('e-1')] } })
    expect(answer.status).toBe(201)
    expect(peer.log().filter((l) => l.path === `/${encodeURIComponent(db)}/_bulk_docs`)).toEqual([
      { method: 'POST', path: `/${encodeURIComponent(db)}/_bulk_docs`, status: 429 },
      { method: 'POST', path: `/${encodeURIComponent(db)}/_bulk_docs`, status: 201 },
    ])
    expect((await peer.docs(db)).map((d) => d._id)).toEqual(['e-1'])
  })

  suite.case('5xx under enableRetries(): retried up to maxRetries, then the last refusal surfaced', '§1.1, §1.3 (5xx: retry)', async () => {
    const client = iamClient()
    client.enableRetries({ maxRetries: 2, maxRetryInterval: 0.05 })
    peer.fault({ kind: 'status', status: 503, times: 3, path: /^\/_all_dbs$/ })
    const r = await refusal(client.getAllDbs())
    expect(r.status).toBe(503)
    expect(
      peer
        .log()
        .filter((l) => l.path === '/_all_dbs')
        .slice(-3),
    ).toEqual(Array.from({ length: 3 }, () => ({ method: 'GET', path: '/_all_dbs', status: 503 })))
    expect((await client.getAllDbs()).status).toBe(200)
  })
})

function nanoClient(user = BASIC): Nano.ServerScope {
  const url = new URL(peer.url)
  url.username = user.username
  url.password = user.password
  return Nano({ url: url.toString() })
}

/** nano's rejection: `statusCode` and CouchDB's `error` and `reason` on the Error. */
async function nanoRefused(promise: Promise<unknown>, statusCode: number, error: string): Promise<void> {
  try {
    await promise
  } catch (e) {
    expect(e).toMatchObject({ statusCode, error, reason: expect.any(String) })
    return
  }
  throw new Error('nano reported success where a refusal was expected')
}

describe('CouchDB conformance: nano against the CouchDB peer', () => {
  const suite = conformanceSuite('CouchDB (nano 11.0.7)')

  suite.case('Basic from the URL: the database list', '§1.2', async () => {
    expect(await nanoClient().db.list()).toEqual(expect.arrayContaining(['_users', '_replicator']))
  })

  suite.case('a wrong password → 401 unauthorized', '§1.2 [I: the reason text]', async () => {
    await nanoRefused(nanoClient({ username: BASIC.username, password: 'wrong' }).db.list(), 401, 'unauthorized')
  })

  suite.case('create → {ok: true}; again → 412 file_exists; an illegal name → 400 illegal_database_name', '§1.3', async () => {
    const nano = nanoClient()
    expect(await nano.db.create('iotp_org1_nano_2026-12-07')).toEqual({ ok: true })
    await nanoRefused(nano.db.create('iotp_org1_nano_2026-12-07'), 412, 'file_exists')
    await nanoRefused(nano.db.create('Iotp_org1_nano'), 400, 'illegal_database_name')
    expect(await peer.databases()).not.toContain('Iotp_org1_nano')
  })

  suite.case('destroy → {ok: true}; again → 404 not_found', '§1.3 [I: 404 on DELETE]', async () => {
    const nano = nanoClient()
    await nano.db.create('iotp_org1_nano_gone_2026-12-07')
    expect(await nano.db.destroy('iotp_org1_nano_gone_2026-12-07')).toEqual({ ok: true })
    await nanoRefused(nano.db.destroy('iotp_org1_nano_gone_2026-12-07'), 404, 'not_found')
  })

  suite.case('_all_dbs with startkey and endkey (nano JSON-encodes them): that range', '§1.3 (`/_all_dbs`)', async () => {
    const nano = nanoClient()
    for (const day of ['2026-09-01', '2026-09-02', '2026-09-03']) await nano.db.create(`iotp_org1_nrange_${day}`)
    const names = await nano.request({ db: '_all_dbs', qs: { startkey: 'iotp_org1_nrange_2026-09-02', endkey: 'iotp_org1_nrange_2026-09-99' } })
    expect(names).toEqual(['iotp_org1_nrange_2026-09-02', 'iotp_org1_nrange_2026-09-03'])
  })

  suite.case('bulk → one {ok, id, rev} row per document; the same ids again → per-row conflict', '§1.3', async () => {
    const nano = nanoClient()
    await nano.db.create('iotp_org1_nbulk_2026-12-07')
    const db = nano.use('iotp_org1_nbulk_2026-12-07')
    expect(await db.bulk({ docs: [event('e-1'), event('e-2')] })).toEqual([
      { ok: true, id: 'e-1', rev: expect.stringMatching(/^1-/) },
      { ok: true, id: 'e-2', rev: expect.stringMatching(/^1-/) },
    ])
    expect(await db.bulk({ docs: [event('e-2'), event('e-3')] })).toEqual([
      { id: 'e-2', error: 'conflict', reason: expect.any(String) },
      { ok: true, id: 'e-3', rev: expect.stringMatching(/^1-/) },
    ])
  })

  suite.case('list with start_key, end_key, limit and the documents (GET _all_docs, as the historian reads)', '§1.3', async () => {
    const nano = nanoClient()
    await nano.db.create('iotp_org1_nlist_2026-12-07')
    const db = nano.use('iotp_org1_nlist_2026-12-07')
    await db.bulk({ docs: ['a', 'b', 'c', 'd'].map((id) => event(id)) })
    const page = await db.list({ start_key: 'b', end_key: 'd', limit: 2, include_docs: true })
    expect(page.rows.map((r) => [r.id, r.doc?._id])).toEqual([
      ['b', 'b'],
      ['c', 'c'],
    ])
    expect(page.total_rows).toBe(4)
    expect(peer.log().at(-1)).toEqual({ method: 'GET', path: '/iotp_org1_nlist_2026-12-07/_all_docs', status: 200 })
  })

  suite.case('list of a database that does not exist → 404 not_found', '§1.3', async () => {
    await nanoRefused(nanoClient().use('iotp_org1_nmissing_2026-12-07').list(), 404, 'not_found')
  })

  suite.case('insert of a design document → {ok, id, rev}; again without _rev → 409 conflict', '§1.3', async () => {
    const nano = nanoClient()
    await nano.db.create('iotp_org1_ndesign_2026-12-07')
    const db = nano.use('iotp_org1_ndesign_2026-12-07')
    const design = { _id: '_design/iotp', language: 'javascript', views: {} }
    expect(await db.insert(design)).toMatchObject({ ok: true, id: '_design/iotp' })
    await nanoRefused(db.insert(design), 409, 'conflict')
  })

  suite.case('a document over 1 MB in a bulk, or alone → 413, nothing stored', '§1.3 [I: the body text]', async () => {
    const nano = nanoClient()
    await nano.db.create('iotp_org1_nbig_2026-12-07')
    const db = nano.use('iotp_org1_nbig_2026-12-07')
    const big = event('e-big', { data: { blob: 'x'.repeat(1024 * 1024) } })
    await nanoRefused(db.bulk({ docs: [big] }), 413, 'document_too_large')
    await nanoRefused(db.insert(big), 413, 'document_too_large')
    expect(await peer.docs('iotp_org1_nbig_2026-12-07')).toEqual([])
  })

  suite.case('a reader: list goes through, bulk and create → 403 forbidden', '§1.3 [I: the reader role]', async () => {
    const reader = nanoClient(BASIC_READER)
    expect(await reader.db.list()).toContain('_users')
    await nanoRefused(reader.use('iotp_org1_nbulk_2026-12-07').bulk({ docs: [event('e-9')] }), 403, 'forbidden')
    await nanoRefused(reader.db.create('iotp_org1_nreader_2026-12-07'), 403, 'forbidden')
    expect(await peer.databases()).not.toContain('iotp_org1_nreader_2026-12-07')
  })

  suite.case('429 too_many_requests → surfaced once (nano never retries)', '§1.1, §1.3 [I: the body text]', async () => {
    const nano = nanoClient()
    await nano.db.create('iotp_org1_n429_2026-12-07')
    peer.fault({ kind: 'status', status: 429, retryAfterSeconds: 1, path: /_bulk_docs$/ })
    await nanoRefused(nano.use('iotp_org1_n429_2026-12-07').bulk({ docs: [event('e-1')] }), 429, 'too_many_requests')
    expect(peer.log().filter((l) => l.path === '/iotp_org1_n429_2026-12-07/_bulk_docs')).toEqual([{ method: 'POST', path: '/iotp_org1_n429_2026-12-07/_bulk_docs', status: 429 }])
    expect(await peer.docs('iotp_org1_n429_2026-12-07')).toEqual([])
  })
})
