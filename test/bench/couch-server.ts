/**
 * The CouchDB peer in a process of its own, for the historian benchmark: its event loop must not share a core's time
 * with the forwarder being measured. Prints `{"url": …}` on stdout; IPC messages 'stop' and 'start' take it away and
 * bring it back (refused connections meanwhile); SIGTERM ends it.
 */
import { startCouchPeer } from '../peers/couchdb/couchdb.peer'

const peer = await startCouchPeer({ apiKeys: { 'bench-key': 'manager' } })
process.stdout.write(`${JSON.stringify({ url: peer.url })}\n`)
process.on('message', (m) => {
  void (m === 'stop' ? peer.stop() : m === 'start' ? peer.start() : Promise.resolve()).then(() => process.send?.(`${String(m)}ped`))
})
process.once('SIGTERM', () => {
  void peer.close().then(() => process.exit(0))
})
