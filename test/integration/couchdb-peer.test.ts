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
})
