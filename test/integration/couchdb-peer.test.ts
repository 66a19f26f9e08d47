/**
 * The CouchDB peer's own life cycle. express-pouchdb opens `_users` and `_replicator` in the background; a peer closed
 * before they were open removed its directory under LevelDB, whose open then failed as an unhandled rejection, reported
 * against whichever test was running (vitest fails the run for it).
 * And what IBM's Cloudant SDK found the peer answering otherwise than CouchDB and Cloudant do (its conformance suite).
 */
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { startCouchPeer, type CouchPeer, type CouchPeerOptions } from '../peers/couchdb/couchdb.peer'

describe('the CouchDB peer', () => {
  it('can be closed as soon as it has started', async () => {
    for (let i = 0; i < 10; i++) {
      const peer = await startCouchPeer()
      await peer.close()
    }
    const last = await startCouchPeer()
    try {
      expect(await last.databases()).toEqual(expect.arrayContaining(['_users', '_replicator']))
    } finally {
      await last.close()
    }
  })

  it("answers a read of a database that does not exist with CouchDB's 404, as a missing bucket is read", async () => {
    const peer = await startCouchPeer({ users: { reader: { password: 'reader-password', role: 'reader' } } })
    const headers = { authorization: `Basic ${Buffer.from('reader:reader-password').toString('base64')}` }
    try {
      const docs = await fetch(`${peer.url}/iotp_org1_none_2026-12-04/_all_docs?include_docs=true`, { headers })
      expect(docs.status).toBe(404)
      expect(await docs.json()).toEqual({ error: 'not_found', reason: 'Database does not exist.' })
      expect((await fetch(`${peer.url}/iotp_org1_none_2026-12-04`, { method: 'HEAD', headers })).status).toBe(404)
    } finally {
      await peer.close()
    }
  })

  it('refuses a database creation by a CouchDB user who is not a server admin, and by wrong credentials, each with its own 401', async () => {
    const peer = await startCouchPeer({ couchUsers: { admin: 'admin', password: 'admin-pw' } })
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` })
    try {
      await peer.addUser('writer', 'writer-pw', [])
      const notAdmin = await fetch(`${peer.url}/newdb`, { method: 'PUT', headers: basic('writer', 'writer-pw') })
      expect(notAdmin.status).toBe(401)
      expect(await notAdmin.json()).toEqual({ error: 'unauthorized', reason: 'You are not a server admin.' })
      const wrong = await fetch(`${peer.url}/newdb`, { method: 'PUT', headers: basic('writer', 'not-it') })
      expect(wrong.status).toBe(401)
      expect(await wrong.json()).toEqual({ error: 'unauthorized', reason: 'Name or password is incorrect.' })
      expect((await fetch(`${peer.url}/newdb`, { method: 'PUT', headers: basic('admin', 'admin-pw') })).status).toBe(201)
    } finally {
      await peer.close()
    }
  })

  // CouchDB answers `_bulk_docs` in the order of the docs. express-pouchdb's validation wrapper put the rows it refused
  // first, and the others in the order their checks finished (a design document, not checked, before every other).
  it('answers _bulk_docs in the order of the docs where validate_doc_update refuses some, with new_edits:false too', async () => {
    const peer = await startCouchPeer({ couchUsers: { admin: 'admin', password: 'admin-pw' } })
    const admin = { authorization: `Basic ${Buffer.from('admin:admin-pw').toString('base64')}`, 'content-type': 'application/json' }
    const post = async (body: unknown) => {
      const answer = await fetch(`${peer.url}/team/_bulk_docs`, { method: 'POST', headers: admin, body: JSON.stringify(body) })
      return [answer.status, await answer.json()]
    }
    const refused = (id: string) => ({ id, error: 'forbidden', reason: 'refused here' })
    try {
      expect((await fetch(`${peer.url}/team`, { method: 'PUT', headers: admin })).status).toBe(201)
      const validation = { validate_doc_update: "function (doc) { if (doc.refused) throw { forbidden: 'refused here' } }" }
      expect((await fetch(`${peer.url}/team/_design/rules`, { method: 'PUT', headers: admin, body: JSON.stringify(validation) })).status).toBe(201)
      expect(await post({ docs: [{ _id: 'a' }, { _id: 'b', refused: true }, { _id: 'c' }] })).toEqual([
        201,
        [{ ok: true, id: 'a', rev: expect.stringMatching(/^1-/) }, refused('b'), { ok: true, id: 'c', rev: expect.stringMatching(/^1-/) }],
      ])
      const rev = `1-${'a'.repeat(32)}`
      const replicated = [
        { _id: 'z', _rev: rev, refused: true },
        { _id: 'm', _rev: rev },
        { _id: 'd', _rev: rev, refused: true },
      ]
      expect(await post({ docs: replicated, new_edits: false })).toEqual([201, [refused('z'), refused('d')]])
      expect((await peer.docs('team')).map((d) => d._id)).toEqual(['a', 'c', 'm'])
    } finally {
      await peer.close()
    }
  })

  // What IBM's Cloudant SDK showed (test/integration/cloudant-conformance.test.ts): each of these was answered
  // otherwise by express-pouchdb alone.
  describe('as the Cloudant SDK found it', () => {
    const basic = { authorization: `Basic ${Buffer.from('writer:writer-password').toString('base64')}`, 'content-type': 'application/json' }
    const withPeer = async (fn: (peer: CouchPeer) => Promise<void>, options: CouchPeerOptions = {}) => {
      const peer = await startCouchPeer({ users: { writer: { password: 'writer-password', role: 'manager' } }, ...options })
      try {
        await fn(peer)
      } finally {
        await peer.close()
      }
    }

    it('takes a gzip-compressed body (the SDK compresses every one), its limits on the decoded size; an undecodable one → 400', () =>
      withPeer(
        async (peer) => {
          await fetch(`${peer.url}/db1`, { method: 'PUT', headers: basic })
          const post = (body: Buffer, encoding = 'gzip') => fetch(`${peer.url}/db1/_bulk_docs`, { method: 'POST', headers: { ...basic, 'content-encoding': encoding }, body })
          const ok = await post(gzipSync(JSON.stringify({ docs: [{ _id: 'a' }, { _id: 'b' }] })))
          expect(ok.status).toBe(201)
          expect(((await ok.json()) as { id: string }[]).map((r) => r.id)).toEqual(['a', 'b'])
          expect((await peer.docs('db1')).map((d) => d._id)).toEqual(['a', 'b'])
          // 3 kB of JSON compresses far below the 2 kB request limit; the decoded size is what counts.
          const big = await post(gzipSync(JSON.stringify({ docs: [{ _id: 'c', pad: 'x'.repeat(3000) }] })))
          expect(big.status).toBe(413)
          expect(await big.json()).toEqual({ error: 'too_large', reason: expect.any(String) })
          const broken = await post(Buffer.from('not gzip at all'))
          expect(broken.status).toBe(400)
          expect((await post(Buffer.from('{}'), 'br')).status).toBe(400)
          expect((await peer.docs('db1')).map((d) => d._id)).toEqual(['a', 'b'])
        },
        { maxRequestBytes: 2048 },
      ))

    it('refuses one document over the document limit written alone (PUT /{db}/{doc}, POST /{db}) with 413', () =>
      withPeer(
        async (peer) => {
          await fetch(`${peer.url}/db1`, { method: 'PUT', headers: basic })
          const doc = JSON.stringify({ pad: 'x'.repeat(600) })
          for (const [method, path] of [
            ['PUT', '/db1/big'],
            ['PUT', '/db1/_design/big'],
            ['POST', '/db1'],
          ] as const) {
            const res = await fetch(`${peer.url}${path}`, { method, headers: basic, body: method === 'POST' ? JSON.stringify({ _id: 'big', pad: 'x'.repeat(600) }) : doc })
            expect([path, res.status]).toEqual([path, 413])
            expect(await res.json()).toEqual({ error: 'document_too_large', reason: expect.any(String) })
          }
          expect((await fetch(`${peer.url}/db1/small`, { method: 'PUT', headers: basic, body: '{}' })).status).toBe(201)
          expect((await peer.docs('db1')).map((d) => d._id)).toEqual(['small'])
        },
        { maxDocBytes: 512 },
      ))

    it("answers DELETE of a database that does not exist with CouchDB's 404", () =>
      withPeer(async (peer) => {
        const res = await fetch(`${peer.url}/never-created`, { method: 'DELETE', headers: basic })
        expect(res.status).toBe(404)
        expect(await res.json()).toEqual({ error: 'not_found', reason: 'Database does not exist.' })
        expect(await peer.databases()).not.toContain('never-created')
      }))

    it('applies the range of GET /_all_dbs (startkey/start_key, endkey/end_key, descending, skip, limit); bad values → 400', () =>
      withPeer(async (peer) => {
        for (const n of ['b1', 'b2', 'b3', 'b4', 'c1']) await fetch(`${peer.url}/${n}`, { method: 'PUT', headers: basic })
        const list = async (query: string) => {
          const res = await fetch(`${peer.url}/_all_dbs?${query}`, { headers: basic })
          return [res.status, await res.json()] as const
        }
        expect(await list('startkey="b2"&endkey="b4"')).toEqual([200, ['b2', 'b3', 'b4']])
        expect(await list('start_key="b2"&end_key="b3"')).toEqual([200, ['b2', 'b3']])
        expect(await list('startkey="b4"&endkey="b1"&descending=true&skip=1&limit=2')).toEqual([200, ['b3', 'b2']])
        expect(await list('startkey="b"')).toEqual([200, ['b1', 'b2', 'b3', 'b4', 'c1']])
        expect(await list('')).toEqual([200, ['_replicator', '_users', 'b1', 'b2', 'b3', 'b4', 'c1']])
        expect((await list('startkey=b2'))[0]).toBe(400)
        expect((await list('limit=-1'))[0]).toBe(400)
      }))

    it("keeps the '/' of a database name (express-pouchdb drops it) in _all_dbs, GET /{db} and the documents", () =>
      withPeer(async (peer) => {
        expect((await fetch(`${peer.url}/a%2Fb`, { method: 'PUT', headers: basic })).status).toBe(201)
        expect((await fetch(`${peer.url}/ab`, { method: 'PUT', headers: basic })).status).toBe(201)
        expect((await fetch(`${peer.url}/a%2Fb/_bulk_docs`, { method: 'POST', headers: basic, body: JSON.stringify({ docs: [{ _id: 'x' }] }) })).status).toBe(201)
        expect(await (await fetch(`${peer.url}/_all_dbs?startkey="a"&endkey="b"`, { headers: basic })).json()).toEqual(['a/b', 'ab'])
        expect(await (await fetch(`${peer.url}/a%2Fb`, { headers: basic })).json()).toMatchObject({ db_name: 'a/b', doc_count: 1 })
        expect((await peer.docs('a/b')).map((d) => d._id)).toEqual(['x'])
        expect(await peer.docs('ab')).toEqual([])
        expect((await fetch(`${peer.url}/a%2Fb`, { method: 'DELETE', headers: basic })).status).toBe(200)
        expect((await fetch(`${peer.url}/a%2Fb`, { headers: basic })).status).toBe(404)
      }))

    it('answers _bulk_docs in the order of the docs, a design document and documents without an id among them, a fault or not', () =>
      withPeer(async (peer) => {
        expect((await fetch(`${peer.url}/db1`, { method: 'PUT', headers: basic })).status).toBe(201)
        const post = async (body: unknown) => {
          const answer = await fetch(`${peer.url}/db1/_bulk_docs`, { method: 'POST', headers: basic, body: JSON.stringify(body) })
          expect(answer.headers.get('content-length')).toBe(String((await answer.clone().arrayBuffer()).byteLength))
          return [answer.status, (await answer.json()) as { id: string }[]] as const
        }
        const docs = [{ _id: 'e-1' }, { _id: 'e-2', data: 'x'.repeat(10_000) }, { _id: '_design/v', views: {} }, { _id: 'e-3' }]
        expect(await post({ docs })).toEqual([201, docs.map((d) => ({ ok: true, id: d._id, rev: expect.stringMatching(/^1-/) }))])
        expect(await post({ docs })).toEqual([201, docs.map((d) => ({ id: d._id, error: 'conflict', reason: expect.any(String) }))])

        const [status, rows] = await post({ docs: [{ n: 1 }, { _id: '_design/w' }, { n: 2 }] })
        expect([status, rows]).toEqual([
          201,
          [{ ok: true, id: expect.stringMatching(/^[0-9a-f]{32}$/), rev: expect.any(String) }, expect.objectContaining({ id: '_design/w' }), expect.objectContaining({ ok: true })],
        ])
        const stored = new Map((await peer.docs('db1')).map((d) => [d._id, d.n]))
        expect([stored.get(rows[0]!.id), stored.get(rows[2]!.id)]).toEqual([1, 2])

        peer.fault({ kind: 'rowErrors', rows: [{ index: 0, error: 'forbidden', reason: 'not allowed' }] })
        expect(await post({ docs: [{ _id: 'f-1' }, { _id: 'f-2' }, { _id: '_design/f' }] })).toEqual([
          201,
          [
            { id: 'f-1', error: 'forbidden', reason: 'not allowed' },
            { ok: true, id: 'f-2', rev: expect.any(String) },
            { ok: true, id: '_design/f', rev: expect.any(String) },
          ],
        ])
      }))
  })
})
