/**
 * What the REST and SOAP faces share: one account (inventory, SMS centre, users, license key) and the edits both APIs
 * make to it, so a change made over SOAP is visible over REST and the other way round (they are one platform, docs/wire/control-center.md §2).
 */
import { Inventory, SmsCenter, type CycleUsage, type OverrideMode, type SimStatus } from './inventory'

export type Role = 'AccountAdmin' | 'AccountUser'
export interface PeerUser {
  username: string
  /** REST credential (§1.1). */
  apiKey: string
  /** The Control Center GUI password, used by SOAP's WS-Security UsernameToken (§2.1). */
  password?: string
  /** §1.1 "available functions depend on the user's role"; an AccountUser cannot list rate plans (§1.5). */
  role?: Role
}

export interface DeviceEdit {
  status?: SimStatus
  ratePlan?: string
  communicationPlan?: string
  customer?: string | null
  deviceID?: string | null
  modemID?: string | null
  overageLimitOverride?: OverrideMode
  fixedIPAddress?: string | null
  fixedIpv6Address?: string | null
  custom?: { field: 'accountCustom' | 'operatorCustom' | 'customerCustom'; n: number; value: string | null }[]
}

export interface StatusChange {
  iccid: string
  status: string
  at: string
}

export class AccountState {
  readonly statusChanges: StatusChange[] = []
  private readonly scheduled: { index: number; at: number; edit: DeviceEdit }[] = []
  smsSent = 0
  /** Numbers SOAP responses' requestId attribute, per peer so two peers answer alike. */
  soapResponses = 0

  constructor(
    readonly inventory: Inventory,
    readonly sms: SmsCenter,
    readonly users: readonly PeerUser[],
    readonly licenseKey: string,
    private readonly clock: () => Date,
  ) {}

  now(): number {
    return this.clock().getTime()
  }

  /** Applies edits whose effectiveDate has come (§1.7 "future ≤ 180 days"); called before every request is served. */
  settle(now: number): void {
    while (this.scheduled.length > 0 && (this.scheduled[0]?.at ?? Infinity) <= now) {
      const next = this.scheduled.shift()
      if (next) this.applyEdit(next.index, next.edit, next.at)
    }
  }

  schedule(index: number, edit: DeviceEdit, at: number): void {
    this.scheduled.push({ index, at, edit })
    this.scheduled.sort((a, b) => a.at - b.at)
  }

  applyEdit(index: number, edit: DeviceEdit, at: number): void {
    const d = this.inventory.device(index)
    if (edit.status !== undefined) {
      if (edit.status === 'ACTIVATED') {
        d.dateActivated ??= at
        d.activeTo = null
      } else if (d.status === 'ACTIVATED') {
        d.activeTo = at
      }
      d.status = edit.status
      this.statusChanges.push({ iccid: d.iccid, status: edit.status, at: new Date(at).toISOString() })
    }
    if (edit.ratePlan !== undefined) d.ratePlan = edit.ratePlan
    if (edit.communicationPlan !== undefined) d.communicationPlan = edit.communicationPlan
    if (edit.customer !== undefined) d.customer = edit.customer
    if (edit.deviceID !== undefined) d.deviceID = edit.deviceID
    if (edit.modemID !== undefined) d.modemID = edit.modemID
    if (edit.overageLimitOverride !== undefined) d.overageLimitOverride = edit.overageLimitOverride
    if (edit.fixedIPAddress !== undefined) d.fixedIPAddress = edit.fixedIPAddress
    if (edit.fixedIpv6Address !== undefined) d.fixedIpv6Address = edit.fixedIpv6Address
    for (const c of edit.custom ?? []) d[c.field][c.n - 1] = c.value
    // §7.3: every accepted edit moves the SIM to the end of the modifiedSince order.
    this.inventory.touch(index, at)
  }

  usage(index: number, cycleStart: number, now: number): CycleUsage {
    const cycleEnd = this.inventory.addCycles(cycleStart, 1)
    return this.inventory.usage(index, cycleStart, now, this.sms.deliveredIn(index, cycleStart, cycleEnd, now))
  }
}
