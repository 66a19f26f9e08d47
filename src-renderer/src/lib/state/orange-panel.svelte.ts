import type { DeviceKey, ErrorInfo, Output, Result } from '../../../../src-shared/contract'
import type { OrangeRequestableStatus, OrangeSimView, OrangeTestMode, OrangeTicket, OrangeTicketOperation } from '../../../../src-shared/models/orange'
import { api } from '../api'
import { EventStore } from './event-store.svelte'
import { isUnreachable } from './sim-panel.svelte'
import { CancellableRead, isCancelled, onLinkBack } from './carrier-read'

export type OrangeSubmitOutcome = Output<'orange:changeStatus'>

/** Tickets the panel lists: the open ones and the latest finished ones, newest first. */
const TICKETS_SHOWN = 10

/** A ticket's later answer never gives way to an earlier one (events and reads may cross). */
function newer(a: OrangeTicket, b: OrangeTicket): boolean {
  return a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.polls >= b.polls)
}

/**
 * The Orange SIM of one device (its extension configuration names the serial number), as the Orange panel shows it:
 * what Orange last said, or the cached copy "as of" with the reason when Orange cannot be reached, and the SIM's
 * tickets — status changes and location requests that Orange carries out asynchronously. The core keeps the tickets
 * and polls them until they finish, also across a restart; the panel reads them when it opens and follows each step
 * from `orange:ticket`, so a reload shows a ticket under way where it stands.
 */
export class OrangePanel extends EventStore<OrangeSimView> {
  readonly key: DeviceKey
  readonly serialNumber: string
  refreshing = $state(false)
  /** Set while Orange cannot be reached: network actions then show the reason and, for a status change, offer to queue. */
  offline = $state.raw<ErrorInfo | null>(null)
  tickets = $state.raw<OrangeTicket[]>([])
  ticketsError = $state.raw<ErrorInfo | null>(null)
  /** Set when the operator cancelled the last read: what is shown stays as it was, without a new reason. */
  cancelled = $state(false)
  /** Set when the panel asked Orange again by itself because the network, or its Orange account, came back (until the next Refresh). */
  linkBack = $state(false)
  #current = new CancellableRead()
  #next = { refresh: false, fresh: false }
  #ticketsSeq = 0
  #stops: (() => void)[] = []
  #disposed = false

  constructor(key: DeviceKey, serialNumber: string) {
    super(api, { refreshOn: [{ event: 'profiles:changed', when: (e) => e.extension === 'orange' }], live: 'always' })
    this.key = key
    this.serialNumber = serialNumber
    this.#stops.push(
      api.on('orange:changed', (e) => {
        // The core emits this right after it cached what Orange said (a read, a finished ticket): as fresh as a read.
        if (e.serialNumber === this.serialNumber) void this.#read(false, true)
      }),
      api.on('orange:ticket', (ticket) => {
        if (ticket.serialNumber === this.serialNumber) this.#upsert(ticket)
      }),
      // Ticket steps sent while the transport was down are lost: read the tickets again.
      api.onReconnect(() => void this.loadTickets()),
      onLinkBack(
        () => {
          // Once per return of the network, and only when the copy shown is cached because Orange could not be reached.
          if (this.refreshing || !this.view?.fromCache || !isUnreachable(this.offline)) return
          void this.#read(true, false, true)
        },
        () => (this.view ? { carrier: 'orange', profileId: this.view.profile.id } : null),
      ),
    )
  }

  get view(): OrangeSimView | null {
    return this.value
  }

  get target(): DeviceKey {
    return { typeId: this.key.typeId, deviceId: this.key.deviceId }
  }

  /** The tickets still being followed. */
  get openTickets(): OrangeTicket[] {
    return this.tickets.filter((t) => !t.final)
  }

  /** Shows the cached copy at once (if any), then asks Orange; the tickets alongside. */
  async open(): Promise<void> {
    void this.loadTickets()
    const result = await this.#read(false, false)
    // Without a cached copy the first read already went to Orange (or failed): a second would only cost a call.
    if (result?.ok && result.value.fromCache) await this.reload()
  }

  /** Asks Orange now. */
  async reload(): Promise<void> {
    await this.#read(true, false)
  }

  /** Stops the read under way (Cancel, Escape): the core abandons Orange's request and the panel keeps what it shows. */
  cancelRefresh(): Promise<void> {
    return this.#current.cancel()
  }

  protected async fetch(): Promise<Result<OrangeSimView>> {
    const { refresh, fresh } = this.#next
    this.#next = { refresh: false, fresh: false }
    const readId = this.#current.start()
    const result = await api.invoke('orange:get', { ...this.target, refresh, readId })
    this.#current.end(readId)
    if (!result.ok || !fresh) return result
    return { ok: true, value: { ...result.value, fromCache: false, offline: null } }
  }

  protected override accept(view: OrangeSimView): void {
    super.accept(view)
    this.offline = view.offline
    for (const ticket of view.openTickets) this.#upsert(ticket)
  }

  async #read(refresh: boolean, fresh: boolean, linkBack = false): Promise<Result<OrangeSimView> | null> {
    // open() goes on after its first read: a panel closed meanwhile reads nothing more.
    if (this.#disposed) return null
    this.#next = { refresh, fresh }
    if (refresh) {
      this.refreshing = true
      this.linkBack = linkBack
    }
    this.cancelled = false
    const errorBefore = this.error
    const result = await this.load()
    if (refresh) this.refreshing = false
    if (result && !result.ok && isCancelled(result.error)) {
      // A cancelled read is no refusal: the panel says it was cancelled, and the last error (if any) stands.
      this.error = errorBefore
      this.cancelled = true
    }
    // Whatever is on screen stays: an error does not make the last data wrong, only older.
    if (result && !result.ok && isUnreachable(result.error)) this.offline = result.error
    return result
  }

  async loadTickets(): Promise<void> {
    const seq = ++this.#ticketsSeq
    const result = await api.invoke('orange:tickets', { ...this.target, limit: TICKETS_SHOWN })
    if (seq !== this.#ticketsSeq) return
    if (!result.ok) {
      this.ticketsError = result.error
      return
    }
    this.ticketsError = null
    for (const ticket of result.value.items) this.#upsert(ticket)
  }

  async changeStatus(status: OrangeRequestableStatus, testMode: OrangeTestMode | undefined, queue: boolean): Promise<Result<OrangeSubmitOutcome>> {
    const result = await this.#submit(api.invoke('orange:changeStatus', { ...this.target, status, ...(testMode ? { testMode } : {}), queue }))
    // Orange now shows the change as the SIM's requested status, with its date: read it while the ticket runs.
    if (result.ok && result.value.ticket) void this.reload()
    return result
  }

  locate(): Promise<Result<OrangeSubmitOutcome>> {
    return this.#submit(api.invoke('orange:locate', this.target))
  }

  /** A ticket by its number at Orange (after an unknown outcome): the workspace then keeps and follows it. */
  async lookupTicket(operation: OrangeTicketOperation, ticketNumber: number): Promise<Result<OrangeTicket>> {
    const profile = this.value?.profile.id
    const result = await api.invoke('orange:lookupTicket', { ...(profile ? { profile } : {}), operation, ticketNumber })
    if (result.ok && result.value.serialNumber === this.serialNumber) this.#upsert(result.value)
    return result
  }

  async #submit(call: Promise<Result<OrangeSubmitOutcome>>): Promise<Result<OrangeSubmitOutcome>> {
    const result = await call
    if (!result.ok) {
      if (isUnreachable(result.error)) this.offline = result.error
      return result
    }
    if (result.value.ticket) {
      this.offline = null
      this.#upsert(result.value.ticket)
    }
    return result
  }

  #upsert(ticket: OrangeTicket): void {
    const existing = this.tickets.find((t) => t.id === ticket.id)
    if (existing && !newer(ticket, existing)) return
    const others = this.tickets.filter((t) => t.id !== ticket.id)
    const all = [ticket, ...others].sort((a, b) => b.submittedAt.localeCompare(a.submittedAt))
    // Open tickets are always kept; finished ones only the latest few.
    let finished = 0
    this.tickets = all.filter((t) => !t.final || ++finished <= TICKETS_SHOWN)
  }

  /**
   * The panel closed (its device left, or another SIM replaced it): the read still under way is cancelled, since on a
   * stalled link it would hold the Orange account until its deadline and delay the next panel's reads; its late answer
   * changes nothing (the store drops it).
   */
  override dispose(): void {
    super.dispose()
    for (const stop of this.#stops.splice(0)) stop()
    this.#disposed = true
    void this.#current.cancel()
  }
}
