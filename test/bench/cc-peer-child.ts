/**
 * The Control Center peer of the throughput benchmarks, in a process of its own: the real service does not share the
 * client's event loop, and a peer that did would charge its own work to the client's rate. Driven over IPC by
 * cc-peer-process.ts.
 */
import { startControlCenterPeer, type ControlCenterPeerOptions, type Fault, type RateLimit } from '../peers/control-center/control-center.peer'

type Message = { op: 'fault'; fault: Omit<Fault, 'path'>; path?: string } | { op: 'rateLimit'; limit: RateLimit | null } | { op: 'stats'; id: number } | { op: 'close' }

const options = JSON.parse(process.env.BENCH_PEER_OPTIONS ?? '{}') as ControlCenterPeerOptions
const peer = await startControlCenterPeer(options)
process.on('message', (message: Message) => {
  if (message.op === 'fault') peer.faults.set({ ...message.fault, ...(message.path ? { path: new RegExp(message.path) } : {}) } as Fault)
  else if (message.op === 'rateLimit') peer.setRateLimit(message.limit)
  else if (message.op === 'stats') process.send!({ op: 'stats', id: message.id, stats: peer.stats() })
  else void peer.close().then(() => process.exit(0))
})
process.send!({ op: 'ready', url: peer.url, iccids: peer.iccids })
