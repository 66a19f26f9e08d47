import type { ErrorInfo, Input, Output, Result } from '../../../../src-shared/contract'
import { FORWARD_STATES, type BlockSummary, type ForwardItem, type LedgerHead, type LedgerTarget, type Route } from '../../../../src-shared/models/ledger'
import { api } from '../api'
import { EventStore, itemsOf, type EventSource } from './event-store.svelte'

type Invoke = Pick<typeof api, 'invoke'>
type Source = EventSource & Invoke
export type ForwarderStatus = Output<'ledger:status'>
export type ForwardState = (typeof FORWARD_STATES)[number]
export type QueueCounts = ForwarderStatus['counts']

/** The ledger targets (EVM contracts, Fabric chaincodes), read again whenever the core says they changed. */
export class LedgerTargets extends EventStore<LedgerTarget[]> {
  readonly #api: Invoke

  constructor(source: Source = api) {
    super(source, { refreshOn: [{ event: 'ledger:changed', when: (p) => p.what === 'targets' }], live: 'always' })
    this.#api = source
  }

  get items(): LedgerTarget[] {
    return this.value ?? []
  }

  protected fetch(): Promise<Result<LedgerTarget[]>> {
    return itemsOf(this.#api.invoke('ledger:targets', {}))
  }

  save(input: Input<'ledger:saveTarget'>): Promise<Result<LedgerTarget>> {
    return this.write(this.#api.invoke('ledger:saveTarget', input))
  }

  remove(targetId: string): Promise<Result<{ removed: true }>> {
    return this.write(this.#api.invoke('ledger:removeTarget', { targetId }))
  }

  verify(targetId: string): Promise<Result<LedgerHead>> {
    return this.#api.invoke('ledger:verifyTarget', { targetId })
  }
}

/** The routes (device type + event → contract function), read again whenever the core says they changed. */
export class LedgerRoutes extends EventStore<Route[]> {
  readonly #api: Invoke

  constructor(source: Source = api) {
    super(source, { refreshOn: [{ event: 'ledger:changed', when: (p) => p.what === 'routes' }], live: 'always' })
    this.#api = source
  }

  get items(): Route[] {
    return this.value ?? []
  }

  protected fetch(): Promise<Result<Route[]>> {
    return itemsOf(this.#api.invoke('ledger:routes', {}))
  }

  save(input: Input<'ledger:saveRoute'>): Promise<Result<Route>> {
    return this.write(this.#api.invoke('ledger:saveRoute', input))
  }

  remove(routeId: string): Promise<Result<{ removed: true }>> {
    return this.write(this.#api.invoke('ledger:removeRoute', { routeId }))
  }
}

/**
 * The forwarder: running or not, on which platform profile, whether it is subscribed, the queue's counts and its last
 * error. Pushed by the core (`ledger:forwarder` on each change, `ledger:queueChanged` at the forwarding rate), so it
 * is read only once and when the transport comes back.
 */
export class LedgerForwarder extends EventStore<ForwarderStatus> {
  /** What the operator asked for and is waiting on: a second click must not send a second Start. */
  busy = $state<'start' | 'stop' | null>(null)
  actionError = $state.raw<ErrorInfo | null>(null)
  readonly #api: Invoke

  constructor(source: Source = api) {
    super(source, { refreshOn: [], live: 'always' })
    this.#api = source
    source.on('ledger:forwarder', (status) => this.accept(status))
    source.on('ledger:queueChanged', ({ counts, waiting }) => {
      if (this.value) this.accept({ ...this.value, counts, waiting })
    })
  }

  protected fetch(): Promise<Result<ForwarderStatus>> {
    return this.#api.invoke('ledger:status', {})
  }

  start(platformProfile?: string): Promise<Result<ForwarderStatus> | null> {
    return this.#act('start', () => this.#api.invoke('ledger:start', platformProfile ? { platformProfile } : {}))
  }

  stop(): Promise<Result<ForwarderStatus> | null> {
    return this.#act('stop', () => this.#api.invoke('ledger:stop', {}))
  }

  async #act(kind: 'start' | 'stop', call: () => Promise<Result<ForwarderStatus>>): Promise<Result<ForwarderStatus> | null> {
    if (this.busy) return null
    this.busy = kind
    this.actionError = null
    const result = await call()
    this.busy = null
    if (result.ok) this.accept(result.value)
    else this.actionError = result.error
    return result
  }
}

export interface QueuePage {
  items: ForwardItem[]
  counts: QueueCounts
}

/** How many more items "Show more" asks for; the core answers at most 500. */
export const QUEUE_PAGE = 25
const QUEUE_MAX = 500

/**
 * The forward queue as the monitoring page lists it: newest change first, filtered by state, a page at a time
 * ("Show more" asks for a longer list, as the core has no offset), read again when the queue changes.
 */
export class LedgerQueue extends EventStore<QueuePage> {
  filter = $state<ForwardState | null>(null)
  limit = $state(QUEUE_PAGE)
  /** The failed item whose retry is on its way. */
  retrying = $state<string | null>(null)
  actionError = $state.raw<ErrorInfo | null>(null)
  readonly #api: Invoke

  constructor(source: Source = api) {
    super(source, { refreshOn: [{ event: 'ledger:queueChanged' }], live: 'whileActive' })
    this.#api = source
  }

  protected fetch(): Promise<Result<QueuePage>> {
    return this.#api.invoke('ledger:queue', { ...(this.filter ? { state: this.filter } : {}), limit: this.limit })
  }

  /** How many items the filter matches in all (the counts cover the whole queue). */
  get total(): number {
    const counts = this.value?.counts
    if (!counts) return 0
    return this.filter ? (counts[this.filter] ?? 0) : FORWARD_STATES.reduce((sum, s) => sum + (counts[s] ?? 0), 0)
  }

  get hasMore(): boolean {
    const shown = this.value?.items.length ?? 0
    return shown < this.total && this.limit < QUEUE_MAX
  }

  setFilter(state: ForwardState | null): void {
    this.filter = state
    this.limit = QUEUE_PAGE
    void this.load()
  }

  showMore(): void {
    if (!this.hasMore) return
    this.limit = Math.min(QUEUE_MAX, this.limit + QUEUE_PAGE)
    void this.load()
  }

  async retry(itemId: string): Promise<Result<ForwardItem> | null> {
    if (this.retrying) return null
    this.retrying = itemId
    this.actionError = null
    const result = await this.write(this.#api.invoke('ledger:retry', { itemId }))
    this.retrying = null
    if (!result.ok) this.actionError = result.error
    return result
  }
}

/** How many of the latest blocks the monitoring page keeps on screen. */
export const BLOCKS_SHOWN = 10

function byNumberDesc(a: BlockSummary, b: BlockSummary): number {
  const d = BigInt(b.number) - BigInt(a.number)
  return d > 0n ? 1 : d < 0n ? -1 : 0
}

/** The latest blocks first, each once (a block read and then pushed by the feed is the same block). */
export function mergeBlocks(current: readonly BlockSummary[], incoming: readonly BlockSummary[]): BlockSummary[] {
  const byNumber: Record<string, BlockSummary> = {}
  for (const b of [...current, ...incoming]) byNumber[b.number] = b
  return Object.values(byNumber).sort(byNumberDesc).slice(0, BLOCKS_SHOWN)
}

/**
 * One target's chain as the monitoring page shows it: its head (network, height, health, signer and balance) and its
 * latest blocks, live while the page is open (`ledger:watch` on, `ledger:block` events merged in; off when it closes).
 */
export class LedgerChain extends EventStore<{ head: LedgerHead; blocks: BlockSummary[] }> {
  readonly targetId: string
  readonly #api: Invoke
  readonly #stopBlocks: () => void

  constructor(targetId: string, source: Source = api) {
    super(source, { refreshOn: [], live: 'whileActive' })
    this.targetId = targetId
    this.#api = source
    this.#stopBlocks = source.on('ledger:block', (event) => {
      if (event.targetId !== targetId || !this.value) return
      // A block from the node means it answers again, whatever the last head said.
      const known = this.value.head.height
      const head = known === null || BigInt(event.block.number) > BigInt(known) ? { ...this.value.head, height: event.block.number, healthy: true } : this.value.head
      this.accept({ head, blocks: mergeBlocks(this.value.blocks, [event.block]) })
    })
  }

  protected async fetch(): Promise<Result<{ head: LedgerHead; blocks: BlockSummary[] }>> {
    const [head, blocks] = await Promise.all([this.#api.invoke('ledger:head', { targetId: this.targetId }), this.#api.invoke('ledger:blocks', { targetId: this.targetId, count: BLOCKS_SHOWN })])
    if (!head.ok) return head
    // A node that does not answer is told by its head (unhealthy); its blocks cannot be read meanwhile.
    if (!blocks.ok && !head.value.healthy) return { ok: true, value: { head: head.value, blocks: this.value?.blocks ?? [] } }
    if (!blocks.ok) return blocks
    return { ok: true, value: { head: head.value, blocks: mergeBlocks(this.value?.blocks ?? [], blocks.value.items) } }
  }

  /** Reads the head and blocks and turns the live feed on; the returned function turns it off. */
  watch(): () => void {
    const deactivate = this.activate()
    void this.#api.invoke('ledger:watch', { targetId: this.targetId, on: true })
    return () => {
      deactivate()
      void this.#api.invoke('ledger:watch', { targetId: this.targetId, on: false })
    }
  }

  override dispose(): void {
    this.#stopBlocks()
    super.dispose()
  }
}

/**
 * A lookup the operator asks for (a transaction, an asset): the answer to the latest question only, its error apart,
 * and whether it is on its way.
 */
export class Lookup<I, T> {
  value = $state.raw<T | null>(null)
  error = $state.raw<ErrorInfo | null>(null)
  busy = $state(false)
  #seq = 0
  readonly #call: (input: I) => Promise<Result<T>>

  constructor(call: (input: I) => Promise<Result<T>>) {
    this.#call = call
  }

  async run(input: I): Promise<void> {
    const seq = ++this.#seq
    this.busy = true
    const result = await this.#call(input)
    if (seq !== this.#seq) return
    this.busy = false
    this.value = result.ok ? result.value : null
    this.error = result.ok ? null : result.error
  }

  clear(): void {
    this.#seq++
    this.busy = false
    this.value = null
    this.error = null
  }
}

export const ledgerTargets = new LedgerTargets()
export const ledgerRoutes = new LedgerRoutes()
export const ledgerForwarder = new LedgerForwarder()
