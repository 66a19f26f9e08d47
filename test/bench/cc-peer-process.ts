/** Starts cc-peer-child.ts and speaks to it: the peer's faults, rate limit and statistics, as the in-process peer offers them. */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ControlCenterPeerOptions, ControlCenterPeerStats, Fault, RateLimit } from '../peers/control-center/control-center.peer'

export interface PeerProcess {
  url: string
  iccids: readonly string[]
  setFault(fault: Fault): void
  setRateLimit(limit: RateLimit | null): void
  stats(): Promise<ControlCenterPeerStats>
  close(): Promise<void>
}

export async function startPeerProcess(options: ControlCenterPeerOptions): Promise<PeerProcess> {
  const child = fork(fileURLToPath(new URL('./cc-peer-child.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_PEER_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const waiting = new Map<number, (stats: ControlCenterPeerStats) => void>()
  let next = 0
  const ready = await new Promise<{ url: string; iccids: string[] }>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the peer process ended (${code})`)))
    child.on('message', (m: { op: string; id?: number; stats?: ControlCenterPeerStats; url?: string; iccids?: string[] }) => {
      if (m.op === 'ready') resolve({ url: m.url!, iccids: m.iccids! })
      else if (m.op === 'stats') waiting.get(m.id!)?.(m.stats!)
    })
  })
  return {
    ...ready,
    setFault(fault) {
      const { path, ...rest } = fault
      child.send({ op: 'fault', fault: rest, ...(path ? { path: path.source } : {}) })
    },
    setRateLimit(limit) {
      child.send({ op: 'rateLimit', limit })
    },
    stats() {
      const id = next++
      return new Promise((resolve) => {
        waiting.set(id, (stats) => {
          waiting.delete(id)
          resolve(stats)
        })
        child.send({ op: 'stats', id })
      })
    },
    close() {
      return new Promise((resolve) => {
        child.removeAllListeners('exit')
        child.once('exit', () => resolve())
        child.send({ op: 'close' })
      })
    },
  }
}
