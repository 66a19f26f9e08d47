/**
 * The bridge's mbed subscriptions (docs/wire/mbed.md §1.4). mbed delivers notifications only for subscribed or
 * pre-subscribed resources, so without this the bridge would receive registrations and async responses and no
 * notification at all.
 *
 * Two modes, from the profile (or FIELDLINE_MBED_PRESUBSCRIPTIONS):
 * - Default (no rules): no pre-subscriptions are written and the bridge subscribes every observable resource (the
 *   registration's `obs: true`) of every endpoint itself. Why not a catch-all pre-subscription: a rule cannot say
 *   "observable only", it would also name resources mbed refuses to observe; the account's pre-subscriptions are
 *   shared by every application of the key and are left as the operator set them; and a per-resource subscription
 *   gives a per-resource answer (a 412 is reported by name).
 * - Rules: written at start (PUT /v2/subscriptions). mbed applies them when an endpoint registers or updates its
 *   registration, so what they cover on such an endpoint is recorded as subscribed `via: 'presubscription'` without a
 *   request; endpoints registered before the rules were written are subscribed one resource at a time ('bridge'),
 *   as are all matching resources when the write failed.
 *
 * In both modes:
 * - Start: the endpoints mbed lists are read (their resources) and subscribed, since registrations come only when a
 *   device (re-)registers.
 * - A `registrations` item (a new endpoint, or a full re-registration, which drops manual subscriptions) re-subscribes
 *   the endpoint; a `reg-updates` item subscribes what is new. An endpoint that leaves is forgotten.
 * - Answers: 200/204 → subscribed; 202 → pending until its async response (2xx subscribed, else as below); 412 (not
 *   observable) and 404 (no such endpoint or resource) → refused with the reason, never retried; 429, 5xx, network
 *   failures and timeouts → pending and asked again with back-off (the HTTP client already retried 429/502/503/504
 *   within the account's governor; this covers what outlasts those attempts); any other refusal → refused.
 * - After the notification channel was away (mbed unreachable, restarted): mbed may have forgotten what it had — a
 *   restarted Connector keeps no subscriptions — so the rules are written again and each endpoint's subscriptions are
 *   read back (GET /v2/subscriptions/{ep}, two at a time, a failed read made again with back-off); what is subscribed
 *   here, or waiting for the async answer to its subscription, and no longer listed there is subscribed again.
 * - The operator's subscribe and unsubscribe win over the automatic ones: a resource the operator took off stays off
 *   (a pre-subscription that brings it back at the next registration is removed again), one the operator asked for is
 *   subscribed again after a full re-registration.
 */
import type { MbedSubscriptionView } from '../../../src-shared/models/mbed'
import { rulesMatch, type MbedPresubscription } from '../../../src-shared/models/mbed-presubscriptions'
import { backoffDelay } from '../common/backoff'
import { AppError } from '../common/errors'
import type { Logger } from '../log/logger'
import type { MbedClient, MbedEndpoint } from './connector.client'
import type { MbedAsyncResponse, MbedRegistration } from './envelope'

export type SubscriptionClient = Pick<MbedClient, 'subscribe' | 'unsubscribe' | 'setPresubscriptions' | 'endpointResources' | 'endpointSubscriptions'>

export interface SubscriptionManagerOptions {
  client: SubscriptionClient
  /** null: the default mode (see the header). */
  rules: readonly MbedPresubscription[] | null
  /** Endpoints whose subscriptions changed (batched by the caller's event). */
  changed: (ep: string) => void
  /** An async response the manager did not claim but that may be one of its own, seen before its 202. */
  takeEarly: (asyncId: string) => MbedAsyncResponse | undefined
  log: Logger
  /** Back-off between attempts after 429/5xx/network failures. Default 1 s doubling to 5 min. */
  retry?: { minMs: number; maxMs: number }
  /** A 202 whose async answer has not come after this long is asked again. Default 2 min. [I] */
  asyncTtlMs?: number
  random?: () => number
}

type Via = MbedSubscriptionView['via']

interface ResourceSub {
  path: string
  observable: boolean | null
  state: MbedSubscriptionView['state']
  via: Via
  reason: AppError | null
  since: number
  attempts: number
  retryAt: number | null
  asyncId: string | null
  asyncSince: number
}

interface EndpointSubs {
  name: string
  type: string | undefined
  resources: Map<string, ResourceSub>
}

const DEFAULT_RETRY = { minMs: 1_000, maxMs: 5 * 60_000 }
const DEFAULT_ASYNC_TTL_MS = 2 * 60_000
/** Reads of an endpoint's subscriptions in flight at once after an outage (verify). */
const VERIFY_CONCURRENCY = 2

/** 429 and 5xx (and failures to reach mbed) are worth asking again; everything else mbed said is final. */
function retryable(error: AppError): boolean {
  const status = Number(error.details?.carrierCode)
  if (status === 429 || status >= 500) return true
  return ['RATE_LIMITED', 'NETWORK', 'TIMEOUT', 'UNKNOWN_OUTCOME'].includes(error.code)
}

/** The AppError of an async answer ≥ 300 to a subscription, named like the client's immediate ones. */
function asyncError(ep: string, path: string, a: MbedAsyncResponse): AppError {
  const extra = { carrierCode: String(a.status), ...(a.error ? { carrierMessage: a.error } : {}) }
  if (a.status === 412) return AppError.withRef('CARRIER', `Resource ${path} of ${ep} is not observable (412)`, { key: 'mbed.notObservable', params: { ep, path } }, extra)
  if (a.status === 404) return AppError.withRef('NOT_FOUND', `mbed has no resource ${path} on endpoint ${ep} (404)`, { key: 'mbed.subscribeNotFound', params: { ep, path } }, extra)
  if (a.status === 429) return AppError.withRef('RATE_LIMITED', `mbed could not subscribe ${path} on ${ep} now (429${a.error ? ` ${a.error}` : ''})`, { key: 'mbed.rateLimited' }, extra)
  return AppError.withRef('CARRIER', `mbed could not subscribe ${path} on ${ep} (${a.status}${a.error ? ` ${a.error}` : ''})`, { key: 'mbed.requestFailed', params: { status: a.status } }, extra)
}

export class SubscriptionManager {
  private readonly endpoints = new Map<string, EndpointSubs>()
  /** Operator choices, kept across registrations for the bridge's run: `${ep}\n${path}` → wanted or not. */
  private readonly operator = new Map<string, boolean>()
  private readonly byAsyncId = new Map<string, { ep: string; path: string; generation: number }>()
  private presubState: { state: 'none' | 'written' | 'failed'; reason: AppError | null } = { state: 'none', reason: null }
  private generation = 0
  /** Endpoints to read back after an outage (verify); `round` tells a read made before the latest outage. */
  private readonly toVerify = new Map<string, { round: number; attempts: number; retryAt: number | null; reading: boolean }>()
  private verifyWorkers = 0
  private resubscribed = 0
  private readonly retry: { minMs: number; maxMs: number }
  private readonly asyncTtlMs: number
  private readonly random: () => number

  constructor(private readonly o: SubscriptionManagerOptions) {
    this.retry = o.retry ?? DEFAULT_RETRY
    this.asyncTtlMs = o.asyncTtlMs ?? DEFAULT_ASYNC_TTL_MS
    this.random = o.random ?? Math.random
  }

  get mode(): 'default' | 'rules' {
    return this.o.rules === null ? 'default' : 'rules'
  }

  get rules(): readonly MbedPresubscription[] {
    return this.o.rules ?? []
  }

  get presubscriptions(): { state: 'none' | 'written' | 'failed'; reason: AppError | null } {
    return this.presubState
  }

  /** Writes the rules (rules mode); never throws: a refusal is recorded and the resources are subscribed one by one. */
  async start(): Promise<void> {
    this.generation++
    this.endpoints.clear()
    this.byAsyncId.clear()
    this.toVerify.clear()
    this.presubState = { state: 'none', reason: null }
    await this.writeRules()
  }

  private async writeRules(): Promise<void> {
    if (this.o.rules === null) return
    try {
      await this.o.client.setPresubscriptions(this.o.rules)
      this.presubState = { state: 'written', reason: null }
    } catch (e) {
      const error = e instanceof AppError ? e : AppError.withRef('INTERNAL', 'Writing the pre-subscriptions failed', { key: 'mbed.presubscriptionsRefused' })
      this.presubState = { state: 'failed', reason: error }
      this.o.log.warn({ code: error.code, reason: error.message }, 'mbed bridge: the pre-subscriptions were not written; matching resources are subscribed one by one')
    }
  }

  /** Stops retrying; answers still on their way are ignored. */
  stop(): void {
    this.generation++
    this.byAsyncId.clear()
    this.toVerify.clear()
  }

  /** Endpoints registered before the bridge started: their resources are read and subscribed. */
  async adopt(endpoints: readonly MbedEndpoint[]): Promise<void> {
    const generation = this.generation
    await Promise.all(
      endpoints.map(async (e) => {
        let resources
        try {
          resources = await this.o.client.endpointResources(e.name)
        } catch (err) {
          this.o.log.warn(
            { ep: e.name.slice(0, 80), err: err instanceof Error ? err.message : String(err) },
            'mbed bridge: could not read the resources of an endpoint; it is subscribed when it registers again',
          )
          return
        }
        if (generation !== this.generation) return
        this.apply({ ep: e.name, ...(e.type ? { ept: e.type } : {}), resources: resources.map((r) => ({ path: r.path, obs: r.obs })) }, { full: false, covered: false })
      }),
    )
  }

  /**
   * After an outage of the notification channel: writes the rules again (rules mode) and reads back, endpoint by
   * endpoint, what mbed holds (GET /v2/subscriptions/{ep}). A resource this side holds as subscribed, or as waiting for
   * the async answer to its subscription (the mbed that was to send it may be gone), that mbed no longer lists is
   * subscribed again. At most `VERIFY_CONCURRENCY` reads are in flight, so that the operator's commands are not queued
   * behind one read per endpoint under the account's rate limit; a read that fails is made again with back-off
   * (`retryDue`), never given up: an endpoint left unchecked would stay silent for good. Resolves when the reads it
   * could make now are done.
   */
  async verify(): Promise<void> {
    const generation = this.generation
    await this.writeRules()
    if (generation !== this.generation) return
    for (const e of this.endpoints.values()) {
      const entry = this.toVerify.get(e.name)
      if (entry) {
        // Read during this outage's sweep or a former one: read again, from what mbed holds now.
        entry.round++
        entry.attempts = 0
        entry.retryAt = null
      } else this.toVerify.set(e.name, { round: 0, attempts: 0, retryAt: null, reading: false })
    }
    await this.runVerify(generation)
  }

  /** Reads back the due endpoints of `toVerify`, `VERIFY_CONCURRENCY` at a time, until none is due. */
  private async runVerify(generation: number): Promise<void> {
    const workers = VERIFY_CONCURRENCY - this.verifyWorkers
    if (workers <= 0) return
    const worker = async (): Promise<void> => {
      this.verifyWorkers++
      try {
        for (;;) {
          if (generation !== this.generation) return
          const name = this.nextToVerify()
          if (name === undefined) return
          await this.verifyEndpoint(name, generation)
        }
      } finally {
        this.verifyWorkers--
      }
    }
    await Promise.all(Array.from({ length: workers }, worker))
    if (this.resubscribed > 0 && generation === this.generation) {
      this.o.log.info({ resubscribed: this.resubscribed }, 'mbed bridge: subscribed again what mbed no longer held after the outage')
      this.resubscribed = 0
    }
  }

  /** An endpoint due for its read (not waiting out a back-off: `retryDue` clears `retryAt` when it has run out). */
  private nextToVerify(): string | undefined {
    for (const [name, entry] of this.toVerify) {
      if (entry.reading || entry.retryAt !== null) continue
      entry.reading = true
      return name
    }
    return undefined
  }

  private async verifyEndpoint(name: string, generation: number): Promise<void> {
    const entry = this.toVerify.get(name)
    const e = this.endpoints.get(name)
    if (!entry) return
    const round = entry.round
    const checked = e ? [...e.resources.values()].filter((sub) => sub.state === 'subscribed' || (sub.state === 'pending' && sub.asyncId !== null)) : []
    if (!e || checked.length === 0) {
      this.toVerify.delete(name)
      return
    }
    let listed: Set<string>
    try {
      listed = new Set(await this.o.client.endpointSubscriptions(name))
    } catch (err) {
      entry.reading = false
      if (generation !== this.generation || this.toVerify.get(name) !== entry) return
      if (entry.round === round) {
        entry.attempts++
        entry.retryAt = Date.now() + backoffDelay(entry.attempts, this.retry, this.random)
      }
      this.o.log.warn(
        { ep: name.slice(0, 80), attempts: entry.attempts, err: err instanceof Error ? err.message : String(err) },
        'mbed bridge: could not read back the subscriptions of an endpoint after an outage; reading them again later',
      )
      return
    }
    entry.reading = false
    if (generation !== this.generation) return
    // A new outage while this read was on its way: the endpoint stays due and is read again.
    if (this.toVerify.get(name) === entry && entry.round === round) this.toVerify.delete(name)
    if (this.endpoints.get(name) !== e) return
    for (const sub of checked) {
      if (e.resources.get(sub.path) !== sub || listed.has(sub.path)) continue
      // Its state may have moved while the list was read: a fresh answer or a send of its own is not second-guessed.
      if (!(sub.state === 'subscribed' || (sub.state === 'pending' && sub.asyncId !== null))) continue
      if (sub.asyncId !== null) this.byAsyncId.delete(sub.asyncId)
      sub.attempts = 0
      if (sub.via === 'presubscription') sub.via = 'bridge'
      this.resubscribed++
      void this.send(e, sub)
    }
  }

  /** A `registrations` item (`full`) or a `reg-updates` item. */
  registered(r: MbedRegistration, full: boolean): void {
    this.apply(r, { full, covered: this.presubState.state === 'written' })
  }

  /** A de-registration or an expired registration. */
  left(ep: string): void {
    if (this.endpoints.delete(ep)) this.o.changed(ep)
  }

  /** An async response that answers one of the manager's 202s; false when it is not one (a command's). */
  claim(a: MbedAsyncResponse): boolean {
    const target = this.byAsyncId.get(a.id)
    if (!target) return false
    this.byAsyncId.delete(a.id)
    if (target.generation === this.generation) this.answered(target.ep, target.path, a)
    return true
  }

  /** Resources whose back-off has run out, and 202s whose answer never came, are asked again. */
  retryDue(now: number): void {
    let verifyDue = false
    for (const v of this.toVerify.values()) {
      if (v.reading || v.retryAt === null || now < v.retryAt) continue
      v.retryAt = null
      verifyDue = true
    }
    if (verifyDue) void this.runVerify(this.generation)
    for (const e of this.endpoints.values()) {
      for (const sub of e.resources.values()) {
        if (sub.state !== 'pending') continue
        if (sub.retryAt !== null && now >= sub.retryAt) void this.send(e, sub)
        else if (sub.asyncId !== null && now - sub.asyncSince >= this.asyncTtlMs) {
          this.byAsyncId.delete(sub.asyncId)
          void this.send(e, sub)
        }
      }
    }
  }

  /** The operator subscribes a resource: resolves with its state once mbed has answered (or the attempt failed). */
  async subscribe(ep: string, path: string): Promise<MbedSubscriptionView> {
    this.operator.set(`${ep}\n${path}`, true)
    const e = this.endpoint(ep, undefined)
    const sub = this.resource(e, path, null, 'operator')
    sub.via = 'operator'
    await this.send(e, sub)
    return view(sub)
  }

  /** The operator unsubscribes a resource; it stays off until the operator subscribes it again. */
  async unsubscribe(ep: string, path: string): Promise<MbedSubscriptionView> {
    this.operator.set(`${ep}\n${path}`, false)
    const e = this.endpoint(ep, undefined)
    const sub = this.resource(e, path, null, 'operator')
    sub.via = 'operator'
    await this.remove(e, sub)
    return view(sub)
  }

  /** Endpoints and their subscriptions, sorted by name; of one endpoint when `ep` is given. */
  list(ep?: string): { ep: string; type: string | null; resources: MbedSubscriptionView[] }[] {
    const chosen = ep === undefined ? [...this.endpoints.values()] : [this.endpoints.get(ep)].filter((e): e is EndpointSubs => e !== undefined)
    return chosen.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((e) => ({ ep: e.name, type: e.type ?? null, resources: [...e.resources.values()].map(view) }))
  }

  has(ep: string): boolean {
    return this.endpoints.has(ep)
  }

  get size(): number {
    return this.endpoints.size
  }

  // ---- internals ----------------------------------------------------------------------------------------------------

  private wants(e: EndpointSubs, path: string, observable: boolean): boolean {
    if (!observable) return false
    return this.o.rules === null || rulesMatch(this.o.rules, { name: e.name, type: e.type }, path)
  }

  private apply(r: MbedRegistration, how: { full: boolean; covered: boolean }): void {
    const e = this.endpoint(r.ep, r.ept)
    if (how.full) {
      // The service dropped every manual subscription of the endpoint (§1.4); what is not refused starts over, and
      // resources the device no longer registers are forgotten.
      const registered = new Set(r.resources.map((x) => x.path))
      for (const sub of [...e.resources.values()]) {
        if (sub.asyncId !== null) this.byAsyncId.delete(sub.asyncId)
        sub.asyncId = null
        sub.retryAt = null
        if (!registered.has(sub.path)) e.resources.delete(sub.path)
        else if (sub.state !== 'refused' && sub.state !== 'unsubscribed') this.set(sub, 'pending', null)
      }
    }
    for (const res of r.resources) {
      const observable = res.obs === true
      const choice = this.operator.get(`${e.name}\n${res.path}`)
      const automatic = this.wants(e, res.path, observable)
      const existing = e.resources.get(res.path)
      if (existing) existing.observable = observable
      const covered = how.covered && automatic
      if (choice === false) {
        const sub = this.resource(e, res.path, observable, 'operator')
        // A pre-subscription brought it back at this registration: take it off again.
        if (covered) void this.remove(e, sub).catch(() => undefined)
        continue
      }
      if (!automatic && choice !== true) continue
      const sub = this.resource(e, res.path, observable, choice === true ? 'operator' : 'bridge')
      if (covered && choice !== true) {
        sub.via = 'presubscription'
        this.set(sub, 'subscribed', null)
        continue
      }
      if (sub.state === 'subscribed' && !how.full) continue
      if (sub.state === 'refused' && !how.full) continue
      if (sub.state === 'pending' && (sub.asyncId !== null || sub.retryAt !== null || sub.attempts > 0) && !how.full) continue
      void this.send(e, sub)
    }
    this.o.changed(e.name)
  }

  private endpoint(name: string, type: string | undefined): EndpointSubs {
    let e = this.endpoints.get(name)
    if (!e) {
      e = { name, type, resources: new Map() }
      this.endpoints.set(name, e)
    } else if (type !== undefined) {
      e.type = type
    }
    return e
  }

  private resource(e: EndpointSubs, path: string, observable: boolean | null, via: Via): ResourceSub {
    let sub = e.resources.get(path)
    if (!sub) {
      sub = { path, observable, state: 'pending', via, reason: null, since: Date.now(), attempts: 0, retryAt: null, asyncId: null, asyncSince: 0 }
      e.resources.set(path, sub)
    }
    return sub
  }

  private set(sub: ResourceSub, state: ResourceSub['state'], reason: AppError | null): void {
    sub.state = state
    sub.reason = reason
    sub.since = Date.now()
  }

  private async send(e: EndpointSubs, sub: ResourceSub): Promise<void> {
    const generation = this.generation
    sub.attempts++
    sub.retryAt = null
    sub.asyncId = null
    if (sub.state !== 'pending') this.set(sub, 'pending', null)
    this.o.changed(e.name)
    try {
      const result = await this.o.client.subscribe(e.name, sub.path)
      if (generation !== this.generation || e.resources.get(sub.path) !== sub) return
      if (result.kind === 'subscribed') {
        this.set(sub, 'subscribed', null)
      } else {
        sub.asyncId = result.asyncId
        sub.asyncSince = Date.now()
        const early = this.o.takeEarly(result.asyncId)
        if (early) this.answered(e.name, sub.path, early)
        else this.byAsyncId.set(result.asyncId, { ep: e.name, path: sub.path, generation })
      }
    } catch (err) {
      if (generation !== this.generation || e.resources.get(sub.path) !== sub) return
      const error = err instanceof AppError ? err : AppError.withRef('INTERNAL', 'The subscription could not be sent', { key: 'mbed.subscribeFailed' })
      this.failed(e, sub, error)
    }
    this.o.changed(e.name)
  }

  private answered(ep: string, path: string, a: MbedAsyncResponse): void {
    const e = this.endpoints.get(ep)
    const sub = e?.resources.get(path)
    if (!e || !sub) return
    sub.asyncId = null
    if (a.status >= 200 && a.status < 300) this.set(sub, 'subscribed', null)
    else this.failed(e, sub, asyncError(ep, path, a))
    this.o.changed(ep)
  }

  private failed(e: EndpointSubs, sub: ResourceSub, error: AppError): void {
    if (retryable(error)) {
      this.set(sub, 'pending', error)
      sub.retryAt = Date.now() + backoffDelay(sub.attempts, this.retry, this.random)
      this.o.log.warn({ ep: e.name.slice(0, 80), path: sub.path, code: error.code, attempts: sub.attempts }, 'mbed bridge: a subscription will be asked again')
      return
    }
    this.set(sub, 'refused', error)
    this.o.log.warn({ ep: e.name.slice(0, 80), path: sub.path, code: error.code, reason: error.message }, 'mbed bridge: mbed refused a subscription')
  }

  private async remove(e: EndpointSubs, sub: ResourceSub): Promise<void> {
    const generation = this.generation
    if (sub.asyncId !== null) this.byAsyncId.delete(sub.asyncId)
    sub.asyncId = null
    sub.retryAt = null
    sub.attempts++
    try {
      await this.o.client.unsubscribe(e.name, sub.path)
      if (generation !== this.generation) return
      this.set(sub, 'unsubscribed', null)
    } catch (err) {
      if (generation !== this.generation) return
      const error = err instanceof AppError ? err : AppError.withRef('INTERNAL', 'The unsubscription could not be sent', { key: 'mbed.subscribeFailed' })
      // Not known to be off: the state stays what it was, with the reason; the operator may try again.
      sub.reason = error
      sub.since = Date.now()
      throw error
    } finally {
      this.o.changed(e.name)
    }
  }
}

function view(sub: ResourceSub): MbedSubscriptionView {
  return {
    path: sub.path,
    state: sub.state,
    via: sub.via,
    reason: sub.reason ? sub.reason.toInfo() : null,
    since: new Date(sub.since).toISOString(),
    observable: sub.observable,
    attempts: sub.attempts,
  }
}

/** Batches "endpoint changed" into one event per `intervalMs` naming at most 200 endpoints (`more` when others changed). */
export function endpointChangeBatcher(emit: (payload: { endpoints: string[]; more: boolean }) => void, intervalMs = 100): { changed(ep: string): void; flush(): void } {
  let changed = new Set<string>()
  let more = false
  let timer: NodeJS.Timeout | undefined
  function flush(): void {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (changed.size === 0) return
    const payload = { endpoints: [...changed], more }
    changed = new Set()
    more = false
    emit(payload)
  }
  return {
    changed(ep) {
      if (changed.size < 200) changed.add(ep)
      else if (!changed.has(ep)) more = true
      if (!timer) {
        timer = setTimeout(flush, intervalMs)
        timer.unref?.()
      }
    },
    flush,
  }
}
