/**
 * The forward queue's own rules, on a real workspace, with a scripted ledger standing in for the adapter (the
 * adapters are tested against anvil and the Fabric test peer elsewhere): what batching must not change.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createForwardQueue } from '../../src-main/core/ledger/forward-queue'
import type { CommitOutcome, LedgerAdapter, SendOutcome, Submission } from '../../src-main/core/ledger/ledger-adapter'
import { newItemDoc } from '../../src-main/core/ledger/ledger.store'
import { NonceLanes } from '../../src-main/core/ledger/nonce-lanes'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { tempDir } from '../helpers/core'

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }
const POLL = { timeout: 10_000, interval: 10 }

/** An EVM-like ledger: one nonce lane, transactions mined in nonce order only (a gap stalls every later one). */
function scriptedLedger(refuseOnce: Set<string>) {
  const pool = new Map<number, string>()
  const mined: { nonce: number; key: string }[] = []
  let next = 0
  const mine = () => {
    while (pool.has(next)) {
      mined.push({ nonce: next, key: pool.get(next)! })
      pool.delete(next)
      next++
    }
  }
  const adapter = {
    kind: 'evm',
    lane: 'L',
    nextNonce: async () => next,
    async prepare(call, nonce): Promise<Submission> {
      const key = String(call.args[0]!.value)
      return { txId: `${key}@${nonce}`, signed: key, nonce, lane: 'L' }
    },
    async send(sub): Promise<SendOutcome> {
      if (refuseOnce.delete(sub.signed)) return { kind: 'refused', error: { code: 'RPC', name: 'InsufficientFunds', message: 'insufficient funds' } }
      pool.set(sub.nonce!, sub.signed)
      mine()
      return { kind: 'sent' }
    },
    async commitStatus(sub): Promise<CommitOutcome> {
      return mined.some((m) => m.nonce === sub.nonce && m.key === sub.signed) ? { kind: 'committed', block: String(sub.nonce) } : { kind: 'pending' }
    },
  } as Pick<LedgerAdapter, 'kind' | 'lane' | 'nextNonce' | 'prepare' | 'send' | 'commitStatus'> as LedgerAdapter
  return { adapter, mined, pool }
}

describe('the forward queue', () => {
  let ws: Workspace
  let cleanup: () => Promise<void>
  let stop: () => Promise<void> = async () => undefined
  afterEach(async () => {
    await stop()
    await ws?.close()
    await cleanup?.()
  })

  async function queue(adapter: LedgerAdapter, batch?: number) {
    const t = await tempDir()
    cleanup = t.cleanup
    ws = await openWorkspace(t.dir)
    const lanes: NonceLanes = new NonceLanes((lane) => q.written(lane))
    const q = createForwardQueue({
      db: ws.db,
      lanes,
      logger: silent,
      retry: { minMs: 10, maxMs: 20 },
      confirmEveryMs: 10,
      ...(batch ? { batch } : {}),
      resolve: async (item) => ({ targetId: 't', call: { fn: 'f', style: 'abi', args: [{ parameter: 'key', value: item.eventKey }] } }),
      target: async () => 't',
      adapter: async () => adapter,
      onChange: () => undefined,
    })
    stop = () => q.stop()
    await q.load()
    return q
  }

  const item = (key: string) => newItemDoc({ routeId: 'r', eventKey: key, source: { typeId: 't', deviceId: 'd', eventId: 'e' }, payload: '{}', receivedAt: new Date().toISOString(), manual: false })

  it('gives a nonce refused mid-batch to the next call, so the later nonces of the batch are mined', async () => {
    const ledger = scriptedLedger(new Set(['k3']))
    const q = await queue(ledger.adapter)
    await Promise.all(Array.from({ length: 8 }, (_, i) => q.enqueue(item(`k${i}`))))
    q.start()
    await expect.poll(() => q.counts().committed, POLL).toBe(8)
    expect(ledger.mined.map((m) => m.nonce)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(new Set(ledger.mined.map((m) => m.key)).size).toBe(8)
  })

  it('never lets an event pass an earlier one of its route that waits for its retry (cold trial: a node back after an outage mined evt-5 before evt-4)', async () => {
    const ledger = scriptedLedger(new Set())
    const q = await queue(ledger.adapter)
    const at = (ms: number) => new Date(Date.parse('2026-12-06T11:45:57.000Z') + ms).toISOString()
    // evt-4 failed one more time than the others while the node was away: its retry comes later than theirs.
    await q.enqueue({ ...item('evt-4'), receivedAt: at(0), attempts: 6, nextAttemptAt: new Date(Date.now() + 400).toISOString() })
    await q.enqueue({ ...item('evt-5'), receivedAt: at(1), attempts: 5 })
    await q.enqueue({ ...item('evt-6'), receivedAt: at(2), attempts: 5 })
    q.start()
    await expect.poll(() => q.counts().committed, POLL).toBe(3)
    expect(ledger.mined.map((m) => m.key)).toEqual(['evt-4', 'evt-5', 'evt-6'])
  })

  it('resumes the open items of a workspace in the order their events arrived, whatever their ids', async () => {
    const ledger = scriptedLedger(new Set())
    const t = await tempDir()
    cleanup = t.cleanup
    ws = await openWorkspace(t.dir)
    const at = (ms: number) => new Date(Date.parse('2026-12-06T11:45:57.000Z') + ms).toISOString()
    const keys = ['zulu', 'alpha', 'mike', 'bravo', 'yankee']
    await ws.db.bulkDocs(keys.map((key, i) => ({ ...item(key), receivedAt: at(i) })))
    const lanes: NonceLanes = new NonceLanes((lane) => resumed.written(lane))
    const resumed = createForwardQueue({
      db: ws.db,
      lanes,
      logger: silent,
      retry: { minMs: 10, maxMs: 20 },
      confirmEveryMs: 10,
      resolve: async (doc) => ({ targetId: 't', call: { fn: 'f', style: 'abi', args: [{ parameter: 'key', value: doc.eventKey }] } }),
      target: async () => 't',
      adapter: async () => ledger.adapter,
      onChange: () => undefined,
    })
    stop = () => resumed.stop()
    await resumed.load()
    resumed.start()
    await expect.poll(() => resumed.counts().committed, POLL).toBe(5)
    expect(ledger.mined.map((m) => m.key)).toEqual(keys)
  })

  it('acknowledges a burst of new items with a few grouped writes, and a repeat of a finished item without writing it again', async () => {
    const ledger = scriptedLedger(new Set())
    const q = await queue(ledger.adapter)
    const calls: number[] = []
    const bulkDocs = ws.db.bulkDocs.bind(ws.db)
    ws.db.bulkDocs = ((docs: unknown[]) => {
      calls.push(docs.length)
      return bulkDocs(docs as never)
    }) as typeof ws.db.bulkDocs
    const created = await Promise.all(Array.from({ length: 60 }, (_, i) => q.enqueue(item(`b${i}`))))
    expect(created.every((c) => c.created)).toBe(true)
    expect(calls.length).toBeLessThan(10)
    q.start()
    await expect.poll(() => q.counts().committed, POLL).toBe(60)
    const before = calls.length
    const again = await q.enqueue(item('b7'))
    expect(again).toMatchObject({ created: false, item: { state: 'committed' } })
    expect(q.counts()).toMatchObject({ committed: 60, pending: 0 })
    expect(calls.length - before).toBe(1)
  })

  it('with a batch of 1 writes every document alone', async () => {
    const ledger = scriptedLedger(new Set())
    const q = await queue(ledger.adapter, 1)
    const calls: number[] = []
    const bulkDocs = ws.db.bulkDocs.bind(ws.db)
    ws.db.bulkDocs = ((docs: unknown[]) => {
      calls.push(docs.length)
      return bulkDocs(docs as never)
    }) as typeof ws.db.bulkDocs
    await Promise.all(Array.from({ length: 10 }, (_, i) => q.enqueue(item(`o${i}`))))
    q.start()
    await expect.poll(() => q.counts().committed, POLL).toBe(10)
    expect(calls.every((n) => n === 1)).toBe(true)
  })
})
