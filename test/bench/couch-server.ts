/**
 * The CouchDB peer in a process of its own, for the historian benchmark: its event loop must not share a core's time
 * with the forwarder being measured. Prints `{"url": …}` on stdout; IPC messages 'stop' and 'start' take it away and
 * bring it back (refused connections meanwhile); 'stats' answers `{bulk, inFlightMs}`, the `_bulk_docs` requests it has stored so far
 * (events ÷ requests = the writer's mean batch) the milliseconds it spent with n requests in flight, by n, and the mean
 * in flight of every 250 ms since it started; SIGTERM ends it.
 */
import { startCouchPeer } from '../peers/couchdb/couchdb.peer'

const peer = await startCouchPeer({ apiKeys: { 'bench-key': 'manager' } })
process.stdout.write(`${JSON.stringify({ url: peer.url })}\n`)
// Requests in flight over time: the mean of every 250 ms, kept from the start.
const timeline: number[] = []
let last = peer.inFlightTime()
setInterval(() => {
  const now = peer.inFlightTime()
  const d = now.map((ms, n) => ms - (last[n] ?? 0))
  const total = d.reduce((a, b) => a + b, 0) || 1
  timeline.push(d.reduce((a, ms, n) => a + ms * n, 0) / total)
  last = now
}, 250).unref()
process.on('message', (m) => {
  if (m === 'stats') {
    process.send?.({ bulk: peer.log().filter((r) => r.method === 'POST' && r.status === 201 && r.path.endsWith('/_bulk_docs')).length, inFlightMs: peer.inFlightTime(), timeline })
    return
  }
  void (m === 'stop' ? peer.stop() : m === 'start' ? peer.start() : Promise.resolve()).then(() => process.send?.(`${String(m)}ped`))
})
process.once('SIGTERM', () => {
  void peer.close().then(() => process.exit(0))
})
