/**
 * The CouchDB peer in a process of its own, for the historian benchmark: its event loop must not share a core's time
 * with the forwarder being measured. Prints `{"url": …}` on stdout; IPC messages 'stop' and 'start' take it away and
 * bring it back (refused connections meanwhile); 'stats' answers `{bulk, inFlightMs}`, the `_bulk_docs` requests it has stored so far
 * (events ÷ requests = the writer's mean batch) and the milliseconds it spent with n requests in flight, by n; SIGTERM
 * ends it.
 */
import { startCouchPeer } from '../peers/couchdb/couchdb.peer'

const peer = await startCouchPeer({ apiKeys: { 'bench-key': 'manager' } })
process.stdout.write(`${JSON.stringify({ url: peer.url })}\n`)
process.on('message', (m) => {
  if (m === 'stats') {
    process.send?.({ bulk: peer.log().filter((r) => r.method === 'POST' && r.status === 201 && r.path.endsWith('/_bulk_docs')).length, inFlightMs: peer.inFlightTime() })
    return
  }
  void (m === 'stop' ? peer.stop() : m === 'start' ? peer.start() : Promise.resolve()).then(() => process.send?.(`${String(m)}ped`))
})
process.once('SIGTERM', () => {
  void peer.close().then(() => process.exit(0))
})
