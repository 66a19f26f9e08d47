import type { ErrorInfo, DeviceKey, Input, Output, Result, SimView } from '../../../../src-shared/contract'
import type { ControlCenterExtension } from '../../../../src-shared/models/profiles'
import type { CycleUsage } from '../../../../src-shared/models/sim'
import { api } from '../api'
import { CancellableRead, isCancelled, onLinkBack } from './carrier-read'

/** Errors that mean "the carrier could not be reached" (the core's own split), as opposed to "the carrier said no". */
export function isUnreachable(error: ErrorInfo | null | undefined): boolean {
  return error?.code === 'NETWORK' || error?.code === 'TIMEOUT'
}

export type ActionOutcome = Output<'sim:changeStatus'>
export type SmsDataCoding = NonNullable<Input<'sim:sendSms'>['dataCoding']>
export type UsageResult = Output<'sim:usage'>
export type RatePlans = Output<'sim:ratePlans'>

export interface TrackedSms {
  smsMsgId: string
  /** The carrier's status text (Pending, Delivered, Failed…); null until the first report. */
  status: string | null
  final: boolean
}

/**
 * One SIM of one device (its extension configuration names the carrier and ICCID). Holds what the carrier last
 * said, or the cached copy with the reason when it cannot be reached; the actions go through the core, which
 * audits them and, when the operator asks, queues them in the outbox instead.
 */
export class SimPanel {
  readonly key: DeviceKey
  readonly carrier: ControlCenterExtension
  readonly iccid: string
  view = $state.raw<SimView | null>(null)
  /** Why the SIM could not be read at all (nothing cached to show). */
  error = $state.raw<ErrorInfo | null>(null)
  loading = $state(true)
  refreshing = $state(false)
  /**
   * Set while the carrier cannot be reached (the last read came from the cache, or an action failed for want of
   * a network): network actions then show this reason and offer to queue instead.
   */
  offline = $state.raw<ErrorInfo | null>(null)
  ratePlans = $state.raw<RatePlans | null>(null)
  ratePlansError = $state.raw<ErrorInfo | null>(null)
  usage = $state.raw<UsageResult | null>(null)
  history = $state.raw<CycleUsage[]>([])
  /** Set while the chart's cycles are read from the carrier (at open, or its own Refresh). */
  historyReading = $state(false)
  /** Set when the operator cancelled the chart's last read: the cycles shown stay as they were. */
  historyCancelled = $state(false)
  /** Why the chart's last read did not reach the carrier (the cycles shown are cached), or why it failed. */
  historyError = $state.raw<ErrorInfo | null>(null)
  sms = $state.raw<TrackedSms | null>(null)
  /** Set when the operator cancelled the last read: what is shown stays as it was, without a new reason. */
  cancelled = $state(false)
  /**
   * Set when the panel asked the carrier again by itself because the network came back, or its carrier account
   * answered again (until the next Refresh).
   */
  linkBack = $state(false)
  #current = new CancellableRead()
  #usageRead = new CancellableRead()
  #historyRead = new CancellableRead()
  #historySeq = 0
  /** A listing of the cache asked for while the chart's read was under way: done once that read ends. */
  #historyRelist = false
  #seq = 0
  #stop: (() => void)[] = []
  #disposed = false

  constructor(key: DeviceKey, carrier: ControlCenterExtension, iccid: string) {
    this.key = key
    this.carrier = carrier
    this.iccid = iccid
    this.#stop.push(
      api.on('sim:changed', (e) => {
        // The core emits this right after it read the SIM from the carrier and cached it, so the cached copy
        // is as fresh as a network read: show it without another round trip to the carrier.
        if (e.carrier === this.carrier && e.iccid === this.iccid) void this.#load(false, true)
      }),
      api.on('sim:sms', (message) => {
        if (this.sms && message.smsMsgId === this.sms.smsMsgId) this.sms = { smsMsgId: message.smsMsgId, status: message.status, final: message.final }
      }),
      api.on('profiles:changed', (e) => {
        // A profile added, fixed or made default can turn "no profile" or "refused credentials" into data.
        if (e.extension === this.carrier) void this.refresh()
      }),
      api.onReconnect(() => {
        void this.#load(false, false)
        // An `sim:sms` event sent while the socket was down is lost; ask once.
        if (this.sms && !this.sms.final) void this.checkSms()
      }),
      onLinkBack(
        () => {
          // Once per return of the network, and only when the copy shown is cached because the carrier could not be
          // reached; the read goes through the account's rate governor like any other.
          if (this.refreshing || !this.view?.fromCache || !isUnreachable(this.offline)) return
          void this.#load(true, false, true)
        },
        () => (this.view?.profile ? { carrier: this.carrier, profileId: this.view.profile.id } : null),
      ),
    )
  }

  get target(): DeviceKey & { carrier: ControlCenterExtension } {
    return { typeId: this.key.typeId, deviceId: this.key.deviceId, carrier: this.carrier }
  }

  /** Shows the cached copy at once (if any), then asks the carrier. */
  async open(): Promise<void> {
    const fetched = await this.#load(false, false)
    // Without a cached copy the first read already went to the carrier (or failed): a second one would only
    // cost a call.
    if (fetched === 'cache') await this.refresh()
    void this.loadHistory(true)
  }

  async refresh(): Promise<void> {
    await this.#load(true, false)
  }

  /** Stops the read under way (Cancel, Escape): the core abandons the carrier's request and the panel keeps what it shows. */
  cancelRefresh(): Promise<void> {
    return this.#current.cancel()
  }

  /** Returns where the data came from, or null when the read failed, was cancelled or was superseded. */
  async #load(refresh: boolean, justFetched: boolean, linkBack = false): Promise<'cache' | 'network' | null> {
    // open() goes on after its first read: a panel closed meanwhile reads nothing more.
    if (this.#disposed) return null
    const seq = ++this.#seq
    if (refresh) {
      this.refreshing = true
      this.linkBack = linkBack
    }
    this.cancelled = false
    const readId = this.#current.start()
    const result = await api.invoke('sim:get', { ...this.target, refresh, readId })
    this.#current.end(readId)
    if (seq !== this.#seq) return null
    this.loading = false
    this.refreshing = false
    if (!result.ok && isCancelled(result.error)) {
      this.cancelled = true
      return null
    }
    if (!result.ok) {
      // Keep whatever is on screen: an error does not make the last data wrong, only older.
      this.error = result.error
      if (isUnreachable(result.error)) this.offline = result.error
      return null
    }
    const view = justFetched ? { ...result.value, fromCache: false, offline: null } : result.value
    this.view = view
    this.error = null
    this.offline = view.offline
    return view.fromCache ? 'cache' : 'network'
  }

  changeStatus(status: Input<'sim:changeStatus'>['status'], queue: boolean): Promise<Result<ActionOutcome>> {
    return this.#act(api.invoke('sim:changeStatus', { ...this.target, status, queue }))
  }

  changeRatePlan(ratePlan: string, queue: boolean): Promise<Result<ActionOutcome>> {
    return this.#act(api.invoke('sim:changeRatePlan', { ...this.target, ratePlan, queue }))
  }

  async sendSms(text: string, dataCoding: SmsDataCoding | undefined, queue: boolean): Promise<Result<Output<'sim:sendSms'>>> {
    const input: Input<'sim:sendSms'> = dataCoding === undefined ? { ...this.target, text, queue } : { ...this.target, text, dataCoding, queue }
    const result = await this.#act(api.invoke('sim:sendSms', input))
    if (result.ok && result.value.smsMsgId) this.sms = { smsMsgId: result.value.smsMsgId, status: null, final: false }
    return result
  }

  /** A change the carrier made shows at once; one that could not reach it turns the panel offline. */
  async #act<T extends ActionOutcome>(call: Promise<Result<T>>): Promise<Result<T>> {
    const result = await call
    if (!result.ok) {
      if (isUnreachable(result.error)) this.offline = result.error
      return result
    }
    const outcome = result.value
    if (outcome.outcome === 'done') {
      this.offline = null
      if (outcome.sim && this.view) this.view = { ...this.view, sim: outcome.sim, fetchedAt: outcome.sim.fetchedAt, fromCache: false, offline: null }
    }
    return result
  }

  async checkSms(): Promise<Result<unknown>> {
    const tracked = this.sms
    if (!tracked) return { ok: true, value: null }
    const result = await api.invoke('sim:smsStatus', { ...this.target, smsMsgId: tracked.smsMsgId })
    if (result.ok && this.sms?.smsMsgId === tracked.smsMsgId) this.sms = { smsMsgId: tracked.smsMsgId, status: result.value.status, final: result.value.final }
    return result
  }

  async loadRatePlans(): Promise<void> {
    const result = await api.invoke('sim:ratePlans', this.target)
    if (result.ok) {
      this.ratePlans = result.value
      this.ratePlansError = null
    } else {
      this.ratePlansError = result.error
    }
  }

  /** A read the operator cancels answers CANCELLED, and the usage shown stays. */
  async readUsage(cycleStartDate: string): Promise<Result<UsageResult>> {
    const readId = this.#usageRead.start()
    const result = await api.invoke('sim:usage', { ...this.target, cycleStartDate, readId })
    this.#usageRead.end(readId)
    if (!result.ok || this.#disposed) return result
    this.usage = result.value
    if (result.value.offline) this.offline = result.value.offline
    void this.loadHistory()
    return result
  }

  /** Stops "Show usage" under way (Cancel, Escape): the core abandons the carrier's request. */
  cancelUsage(): Promise<void> {
    return this.#usageRead.cancel()
  }

  /**
   * With `refresh`, the carrier's recent cycles are read first (three calls, cancellable: cancelHistory); otherwise only
   * what is cached. A refresh asked for while one is under way cancels that one rather than race it; a listing of the
   * cache asked for meanwhile waits for the refresh, whose answer would otherwise overwrite it with an older one, or be
   * overwritten by it.
   */
  async loadHistory(refresh = false): Promise<void> {
    if (this.#disposed) return
    if (!refresh && this.historyReading) {
      this.#historyRelist = true
      return
    }
    const seq = ++this.#historySeq
    if (refresh) {
      if (this.historyReading) void this.#historyRead.cancel()
      this.historyReading = true
      this.historyCancelled = false
    }
    const readId = refresh ? this.#historyRead.start() : undefined
    const result = await api.invoke('sim:usageHistory', { ...this.target, refresh, ...(readId ? { readId } : {}) })
    if (readId) this.#historyRead.end(readId)
    if (seq !== this.#historySeq) return
    if (refresh) this.historyReading = false
    if (!result.ok && isCancelled(result.error)) this.historyCancelled = true
    else if (!result.ok) this.historyError = result.error
    else {
      this.history = result.value.cycles
      // A listing of the cache alone says nothing about the carrier: the reason of the last refresh stays.
      if (refresh) this.historyError = result.value.offline
    }
    if (this.#historyRelist) {
      this.#historyRelist = false
      void this.loadHistory()
    }
  }

  /** Stops the chart's read under way (its Cancel, Escape): the core abandons the call under way and makes no other. */
  cancelHistory(): Promise<void> {
    return this.#historyRead.cancel()
  }

  /**
   * The panel closed (its device left, or another SIM replaced it): its reads still under way are cancelled, since on a
   * stalled link each would hold the carrier account (one call at a time) until its deadline and delay the next panel's
   * reads; their late answers change nothing.
   */
  dispose(): void {
    for (const stop of this.#stop) stop()
    this.#stop = []
    this.#disposed = true
    this.#seq++
    this.#historySeq++
    for (const read of [this.#current, this.#usageRead, this.#historyRead]) void read.cancel()
  }
}
