import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { BlockSummary, ForwardItem, LedgerHead } from '../../src-shared/models/ledger'
import { FakeApi, ok, refused, settle } from './fake-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { LedgerChain, LedgerForwarder, LedgerQueue, LedgerTargets, Lookup, QUEUE_PAGE, mergeBlocks } = await import('../../src-renderer/src/lib/state/ledger.svelte')

const COUNTS = { pending: 0, submitted: 0, committed: 0, failed: 0 }
const STOPPED = { running: false, platformProfile: null, subscribed: false, counts: COUNTS, waiting: null, lastError: null }

function item(n: number, state: ForwardItem['state'] = 'committed'): ForwardItem {
  return {
    id: `item-${n}`,
    routeId: 'r1',
    eventKey: `ev-${n}`,
    source: { typeId: 'tracker', deviceId: 't1', eventId: 'status' },
    state,
    attempts: 1,
    nextAttemptAt: null,
    txId: null,
    block: null,
    lastError: state === 'failed' ? { code: 'LEDGER', name: 'EmptyAssetId', message: 'reverted' } : null,
    receivedAt: '2026-03-10T10:00:00Z',
    updatedAt: '2026-03-10T10:00:00Z',
    manual: false,
  }
}

const block = (n: number): BlockSummary => ({ number: String(n), hash: `0x${n}`, time: null, txCount: 1 })
const HEAD: LedgerHead = { kind: 'evm', network: '31337', height: '5', healthy: true, signer: '0xabc', balance: '1', checkedAt: '2026-03-10T10:00:00Z' }

let fake: FakeApi

beforeEach(() => {
  fake = new FakeApi()
})

describe('the forwarder status', () => {
  it('follows the core’s pushes: its status, then the queue’s counts at the forwarding rate', async () => {
    const forwarder = new LedgerForwarder(fake)
    void forwarder.load()
    fake.answer('ledger:status', ok(STOPPED))
    await settle()
    expect(forwarder.value?.running).toBe(false)

    fake.emit('ledger:forwarder', { ...STOPPED, running: true, subscribed: true, platformProfile: 'p1' })
    expect(forwarder.value?.running).toBe(true)
    fake.emit('ledger:queueChanged', { counts: { ...COUNTS, committed: 3 }, waiting: null })
    expect(forwarder.value?.counts.committed).toBe(3)
    expect(forwarder.value?.subscribed).toBe(true)
    // Why the open events wait comes with the counts, and goes with them.
    const away = { code: 'NETWORK', name: 'HttpRequestError', message: 'fetch failed' }
    fake.emit('ledger:queueChanged', { counts: { ...COUNTS, pending: 1 }, waiting: away })
    expect(forwarder.value?.waiting).toEqual(away)
    fake.emit('ledger:queueChanged', { counts: { ...COUNTS, committed: 4 }, waiting: null })
    expect(forwarder.value?.waiting).toBeNull()
    // Pushes never cost a read.
    expect(fake.calls).toHaveLength(0)
  })

  it('sends one Start however many clicks, and keeps a refusal apart from the status', async () => {
    const forwarder = new LedgerForwarder(fake)
    void forwarder.load()
    fake.answer('ledger:status', ok(STOPPED))
    await settle()
    const first = forwarder.start()
    expect(await forwarder.start()).toBeNull()
    expect(fake.pending('ledger:start')).toHaveLength(1)
    fake.answer('ledger:start', refused('NOT_FOUND', 'no platform profile'))
    await first
    expect(forwarder.actionError?.code).toBe('NOT_FOUND')
    expect(forwarder.value?.running).toBe(false)
    expect(forwarder.busy).toBeNull()
  })

  it('reads again when the transport comes back (pushes sent while it was down are lost)', () => {
    const forwarder = new LedgerForwarder(fake)
    fake.reconnect()
    expect(fake.pending('ledger:status')).toHaveLength(1)
    forwarder.dispose()
  })
})

describe('the targets', () => {
  it('read again when the targets change, not when the routes do', () => {
    const targets = new LedgerTargets(fake)
    fake.emit('ledger:changed', { what: 'routes' })
    expect(fake.pending('ledger:targets')).toHaveLength(0)
    fake.emit('ledger:changed', { what: 'targets' })
    expect(fake.pending('ledger:targets')).toHaveLength(1)
    targets.dispose()
  })
})

describe('the forward queue', () => {
  it('asks a page at a time, longer with "Show more" until every item of the filter is shown', async () => {
    const queue = new LedgerQueue(fake)
    const stop = queue.activate()
    expect(fake.answer('ledger:queue', ok({ items: Array.from({ length: QUEUE_PAGE }, (_, i) => item(i)), counts: { ...COUNTS, committed: 30 } }))).toEqual({ limit: QUEUE_PAGE })
    await settle()
    expect(queue.total).toBe(30)
    expect(queue.hasMore).toBe(true)

    queue.showMore()
    expect(fake.answer('ledger:queue', ok({ items: Array.from({ length: 30 }, (_, i) => item(i)), counts: { ...COUNTS, committed: 30 } }))).toEqual({ limit: 2 * QUEUE_PAGE })
    await settle()
    expect(queue.hasMore).toBe(false)
    queue.showMore()
    expect(fake.pending('ledger:queue')).toHaveLength(0)

    // A filter starts again from the first page, and counts only its own state.
    queue.setFilter('failed')
    expect(fake.answer('ledger:queue', ok({ items: [item(40, 'failed')], counts: { ...COUNTS, committed: 30, failed: 1 } }))).toEqual({ state: 'failed', limit: QUEUE_PAGE })
    await settle()
    expect(queue.total).toBe(1)
    expect(queue.hasMore).toBe(false)
    stop()
    queue.dispose()
  })

  it('follows the queue only while the page shows it', () => {
    const queue = new LedgerQueue(fake)
    fake.emit('ledger:queueChanged', { counts: COUNTS, waiting: null })
    expect(fake.pending('ledger:queue')).toHaveLength(0)
    const stop = queue.activate()
    fake.answer('ledger:queue', ok({ items: [], counts: COUNTS }))
    fake.emit('ledger:queueChanged', { counts: COUNTS, waiting: null })
    expect(fake.pending('ledger:queue')).toHaveLength(1)
    stop()
    queue.dispose()
  })

  it('retries a failed item once, then reads the queue again; a refusal is kept apart', async () => {
    const queue = new LedgerQueue(fake)
    const stop = queue.activate()
    fake.answer('ledger:queue', ok({ items: [item(1, 'failed')], counts: { ...COUNTS, failed: 1 } }))
    await settle()
    const retry = queue.retry('item-1')
    expect(await queue.retry('item-1')).toBeNull()
    expect(fake.answer('ledger:retry', refused('NOT_FOUND', 'gone'))).toEqual({ itemId: 'item-1' })
    await retry
    expect(queue.actionError?.code).toBe('NOT_FOUND')
    expect(queue.retrying).toBeNull()
    expect(fake.pending('ledger:queue')).toHaveLength(1)
    expect(queue.value?.items[0]?.state).toBe('failed')
    stop()
    queue.dispose()
  })
})

describe('the chain of a target', () => {
  it('keeps the latest blocks, newest first and each once, however they arrive', () => {
    const merged = mergeBlocks([block(9), block(10)], [block(11), block(10), block(2)])
    expect(merged.map((b) => b.number)).toEqual(['11', '10', '9', '2'])
    const many = mergeBlocks(
      [],
      Array.from({ length: 15 }, (_, i) => block(i + 100)),
    )
    expect(many.map((b) => b.number)).toEqual(['114', '113', '112', '111', '110', '109', '108', '107', '106', '105'])
  })

  it('watches while the page is open: blocks of its own target are merged and raise the height', async () => {
    const chain = new LedgerChain('anvil', fake)
    const stop = chain.watch()
    expect(fake.answer('ledger:watch', ok({ watching: true }))).toEqual({ targetId: 'anvil', on: true })
    fake.answer('ledger:head', ok(HEAD))
    fake.answer('ledger:blocks', ok({ items: [block(5), block(4)] }))
    await settle()
    expect(chain.value?.blocks.map((b) => b.number)).toEqual(['5', '4'])

    fake.emit('ledger:block', { targetId: 'other', block: block(99) })
    fake.emit('ledger:block', { targetId: 'anvil', block: block(6) })
    expect(chain.value?.blocks.map((b) => b.number)).toEqual(['6', '5', '4'])
    expect(chain.value?.head.height).toBe('6')

    stop()
    expect(fake.answer('ledger:watch', ok({ watching: false }))).toEqual({ targetId: 'anvil', on: false })
    chain.dispose()
    expect(fake.listenerCount('ledger:block')).toBe(0)
  })

  it('shows why the node could not be read', async () => {
    const chain = new LedgerChain('anvil', fake)
    void chain.load()
    fake.answer('ledger:head', refused('NETWORK', 'ECONNREFUSED'))
    fake.answer('ledger:blocks', ok({ items: [] }))
    await settle()
    expect(chain.error?.code).toBe('NETWORK')
    expect(chain.value).toBeNull()
    chain.dispose()
  })

  it('shows a node that stopped answering as unhealthy, not an unexpected error, and healthy again with its next block', async () => {
    // Cold trial: anvil stopped, the Ledger page's Network region said only « Une erreur inattendue s’est produite. »
    // (the head said unhealthy; the blocks call failed) and stayed so after the node came back, until a reload.
    const chain = new LedgerChain('anvil', fake)
    const stop = chain.watch()
    fake.answer('ledger:watch', ok({ watching: true }))
    fake.answer('ledger:head', ok({ ...HEAD, height: null, healthy: false, balance: null }))
    fake.answer('ledger:blocks', refused('NETWORK', 'HTTP request failed.'))
    await settle()
    expect(chain.error).toBeNull()
    expect(chain.value?.head).toMatchObject({ healthy: false, height: null })
    expect(chain.value?.blocks).toEqual([])

    fake.emit('ledger:block', { targetId: 'anvil', block: block(8) })
    expect(chain.value?.head).toMatchObject({ healthy: true, height: '8' })
    expect(chain.value?.blocks.map((b) => b.number)).toEqual(['8'])
    stop()
    fake.answer('ledger:watch', ok({ watching: false }))
    chain.dispose()
  })
})

describe('a lookup (transaction, asset)', () => {
  it('shows the answer to the latest question only', async () => {
    const answers: ((v: { ok: true; value: string } | { ok: false; error: { code: 'NOT_FOUND'; message: string } }) => void)[] = []
    const lookup = new Lookup<string, string>(() => new Promise((resolve) => answers.push(resolve)))
    const slow = lookup.run('a')
    const fast = lookup.run('b')
    answers[1]!({ ok: false, error: { code: 'NOT_FOUND', message: 'no tx' } })
    await fast
    answers[0]!({ ok: true, value: 'old' })
    await slow
    expect(lookup.value).toBeNull()
    expect(lookup.error?.code).toBe('NOT_FOUND')
    expect(lookup.busy).toBe(false)
  })
})
