/**
 * The CouchDB peer's own life cycle. express-pouchdb opens `_users` and `_replicator` in the background; a peer closed
 * before they were open removed its directory under LevelDB, whose open then failed as an unhandled rejection, reported
 * against whichever test was running (vitest fails the run for it).
 */
import { describe, expect, it } from 'vitest'
import { startCouchPeer } from '../peers/couchdb/couchdb.peer'

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
})
