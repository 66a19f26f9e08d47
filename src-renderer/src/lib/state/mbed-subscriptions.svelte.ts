import type { EventPayload, Result } from '../../../../src-shared/contract'
import type { MbedEndpointSubscriptions, MbedSubscriptionsList, MbedSubscriptionView } from '../../../../src-shared/models/mbed'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

export type SubscriptionAction = 'subscribe' | 'unsubscribe'

export interface MbedSubscriptionsOptions {
  /** An event naming more endpoints than this is answered by one read of the page rather than one read each. */
  patchLimit?: number
  /**
   * Under a steady flow of changes to a page that cannot be patched (more endpoints than one page holds), whole-page
   * reads follow one another at least this far apart; a read the operator or a reconnect asks for never waits.
   */
  fullReadGapMs?: number
}

/** The core's order of endpoints (subscriptions.ts sorts by code unit), so a patched endpoint lands where a read puts it. */
function byName(a: MbedEndpointSubscriptions, b: MbedEndpointSubscriptions): number {
  return a.ep < b.ep ? -1 : a.ep > b.ep ? 1 : 0
}

const targetKey = (ep: string, path: string) => `${ep}\n${path}`

/**
 * The running bridge's subscriptions, per endpoint, while the mbed view shows them. The core lists at most one page of
 * endpoints (MBED_SUBSCRIPTIONS_PAGE) and says which endpoints changed (`mbed:subscriptions`, ≤ 10 a second): a few
 * named endpoints are read one by one and patched in, anything larger is one read of the page. Reads run one at a
 * time, so a patch and a page read never cross; a burst of events while one runs makes one more.
 */
export class MbedSubscriptions extends EventStore<MbedSubscriptionsList> {
  /** The operator's subscribe or unsubscribe on its way, by endpoint and path. */
  busy = $state.raw<Readonly<Record<string, SubscriptionAction>>>({})
  /** An endpoint looked up by name beyond the page, kept current while it is shown. */
  pinned = $state.raw<MbedEndpointSubscriptions | null>(null)
  readonly #patchLimit: number
  readonly #gapMs: number
  #shown = 0
  #full = false
  #fullAsked = false
  // Bookkeeping of what to read next, never read by a view: a plain set, not a reactive one.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #dirty = new Set<string>()
  #running: Promise<void> | null = null
  #lastRead: Result<MbedSubscriptionsList> | null = null
  #lastFullAt = Number.NEGATIVE_INFINITY
  #pinSeq = 0

  constructor(options: MbedSubscriptionsOptions = {}) {
    // A bridge that starts has a new set of subscriptions, one that stops has none.
    super(api, { refreshOn: [{ event: 'mbed:state' }], live: 'whileActive' })
    this.#patchLimit = options.patchLimit ?? 20
    this.#gapMs = options.fullReadGapMs ?? 1000
    api.on('mbed:subscriptions', (event) => this.#changed(event))
  }

  get endpoints(): readonly MbedEndpointSubscriptions[] {
    return this.value?.endpoints ?? []
  }

  /** More endpoints than the page holds: the list shows the first ones by name. */
  get truncated(): boolean {
    return this.value !== null && this.value.total > this.value.endpoints.length
  }

  override activate(): () => void {
    this.#shown++
    const stop = super.activate()
    let shown = true
    return () => {
      if (shown) this.#shown--
      shown = false
      stop()
    }
  }

  protected fetch(): Promise<Result<MbedSubscriptionsList>> {
    return api.invoke('mbed:subscriptions', {})
  }

  /** Reads the whole page (after any read under way); resolves with that read. */
  override async load(): Promise<Result<MbedSubscriptionsList> | null> {
    this.#full = true
    this.#fullAsked = true
    await this.#drain()
    return this.#lastRead
  }

  /**
   * One endpoint by its exact name, beyond the page (the core answers it whatever its place by name); kept as `pinned`
   * and read again when an event names it. Null when the bridge keeps no subscription for that name.
   */
  async lookup(ep: string): Promise<Result<MbedEndpointSubscriptions | null>> {
    const seq = ++this.#pinSeq
    const result = await api.invoke('mbed:subscriptions', { ep })
    if (!result.ok) return result
    const found = result.value.endpoints[0] ?? null
    // The latest lookup wins: an older answer, or one that comes after unpin(), changes nothing.
    if (seq === this.#pinSeq) this.pinned = found
    return { ok: true, value: found }
  }

  unpin(): void {
    this.#pinSeq++
    this.pinned = null
  }

  subscribe(ep: string, path: string): Promise<Result<MbedSubscriptionView>> {
    return this.#act('subscribe', ep, path)
  }

  unsubscribe(ep: string, path: string): Promise<Result<MbedSubscriptionView>> {
    return this.#act('unsubscribe', ep, path)
  }

  actionOf(ep: string, path: string): SubscriptionAction | null {
    return this.busy[targetKey(ep, path)] ?? null
  }

  async #act(action: SubscriptionAction, ep: string, path: string): Promise<Result<MbedSubscriptionView>> {
    const key = targetKey(ep, path)
    this.busy = { ...this.busy, [key]: action }
    const result = await api.invoke(action === 'subscribe' ? 'mbed:subscribe' : 'mbed:unsubscribe', { ep, path })
    const { [key]: _done, ...rest } = this.busy
    this.busy = rest
    // The answer is the resource as it stands now: shown at once, before the event's read of the endpoint.
    if (result.ok) this.#patchResource(ep, result.value)
    return result
  }

  #changed(event: EventPayload<'mbed:subscriptions'>): void {
    if (this.#shown === 0) return
    const pinned = this.pinned
    if (pinned && (event.more || event.endpoints.includes(pinned.ep))) void this.lookup(pinned.ep)
    for (const ep of event.endpoints) this.#dirty.add(ep)
    if (event.more) this.#full = true
    void this.#drain()
  }

  /** Named endpoints can be patched when the page holds every endpoint, or each of them is on the page already. */
  #patchable(eps: readonly string[]): boolean {
    const value = this.value
    if (value === null || eps.length > this.#patchLimit) return false
    if (value.total === value.endpoints.length) return true
    return eps.every((ep) => value.endpoints.some((e) => e.ep === ep))
  }

  #drain(): Promise<void> {
    this.#running ??= this.#run().finally(() => (this.#running = null))
    return this.#running
  }

  async #run(): Promise<void> {
    while (this.#full || this.#dirty.size > 0) {
      const eps = [...this.#dirty]
      if (!this.#full && this.#patchable(eps)) {
        this.#dirty.clear()
        const results = await Promise.all(eps.map((ep) => api.invoke('mbed:subscriptions', { ep })))
        // A page read asked for meanwhile covers these endpoints, and a failed read is made good by one.
        if (this.#full) continue
        for (const [i, result] of results.entries()) {
          if (result.ok) this.#patch(eps[i] ?? '', result.value)
          else this.#full = true
        }
        continue
      }
      const asked = this.#fullAsked
      const wait = asked ? 0 : this.#lastFullAt + this.#gapMs - Date.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      this.#full = false
      this.#fullAsked = false
      this.#dirty.clear()
      this.#lastRead = await super.load()
      this.#lastFullAt = Date.now()
    }
  }

  /** One endpoint read again: replaced, added in its place by name, or gone from the list. */
  #patch(ep: string, read: MbedSubscriptionsList): void {
    const current = this.value
    if (current === null) return
    const found = read.endpoints.find((e) => e.ep === ep) ?? null
    const others = current.endpoints.filter((e) => e.ep !== ep)
    const had = others.length !== current.endpoints.length
    const endpoints = found ? [...others, found].sort(byName) : others
    const total = current.total + (found && !had ? 1 : 0) - (!found && had ? 1 : 0)
    this.accept({ mode: read.mode, rules: read.rules, presubscriptions: read.presubscriptions, endpoints, total })
  }

  #patchResource(ep: string, resource: MbedSubscriptionView): void {
    const withResource = (e: MbedEndpointSubscriptions): MbedEndpointSubscriptions => ({
      ...e,
      resources: e.resources.some((r) => r.path === resource.path) ? e.resources.map((r) => (r.path === resource.path ? resource : r)) : [...e.resources, resource],
    })
    if (this.pinned?.ep === ep) this.pinned = withResource(this.pinned)
    const current = this.value
    const endpoint = current?.endpoints.find((e) => e.ep === ep)
    if (!current || !endpoint) return
    // Not through accept(): a page read under way is not dropped for it (it may be newer, and an event follows anyway).
    this.value = { ...current, endpoints: current.endpoints.map((e) => (e === endpoint ? withResource(e) : e)) }
  }
}

export const mbedSubscriptions = new MbedSubscriptions()
