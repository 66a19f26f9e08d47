/**
 * The Control Center peer's account (docs/wire/control-center.md): a deterministic, lazily generated SIM inventory plus the state the API mutates
 * (edits, scheduled edits, SMS). Generated from the seed alone so that two peers with the same seed are identical;
 * only the ICCID list is built eagerly (the peer must expose it), every other attribute is derived on first use so a
 * 100,000-SIM account starts in milliseconds.
 *
 * Seeded timestamps lie between 2019-01-01 and 2024-07-01 whatever the clock, so inventories do not depend on when a
 * test runs; the peer's clock (`now`) should therefore be after 2024-07-01. Usage is defined per billing cycle from
 * the seed, the device's activation interval and the clock, so the same cycle reads the same through REST
 * (usageInZone, ctdUsages) and SOAP (GetTerminalUsage, GetTerminalDetails).
 */
import { luhnDigit } from './wire-format'

/** §1.12: the REST statuses the spec confirms; PURGED/REPLACED/TRIAL spellings are unconfirmed for REST, so not modelled. */
export const SIM_STATUSES = ['ACTIVATED', 'DEACTIVATED', 'TEST_READY', 'ACTIVATION_READY', 'INVENTORY', 'RETIRED'] as const
export type SimStatus = (typeof SIM_STATUSES)[number]
export const isSimStatus = (value: string): value is SimStatus => (SIM_STATUSES as readonly string[]).includes(value)

/** §1.7 / §2.3 changeType 7. */
export const OVERRIDE_MODES = ['DEFAULT', 'TEMPORARY_OVERRIDE', 'PERMANENT_OVERRIDE'] as const
export type OverrideMode = (typeof OVERRIDE_MODES)[number]
export const isOverrideMode = (value: string): value is OverrideMode => (OVERRIDE_MODES as readonly string[]).includes(value)

const MiB = 1_048_576
const DAY = 86_400_000

export interface RatePlan {
  name: string
  ratePlanId: number
  version: string
  type: 'INDIVIDUAL' | 'SHARED'
  /** Usage above this sets overageLimitReached (§1.8). */
  includedBytes: number
}

/**
 * Names include the spec's own examples (§1.6 "hphlr rp1", §1.9 "JPOTestDevnet"), a space-bearing name (URL
 * encoding) and a non-ASCII one (UTF-8 in success bodies vs ISO-8859-1 in error bodies).
 */
export const RATE_PLANS: readonly RatePlan[] = [
  { name: 'Fieldline Meter 10MB', ratePlanId: 300101, version: '1', type: 'INDIVIDUAL', includedBytes: 10 * MiB },
  { name: 'Fieldline Tracker 500MB', ratePlanId: 300102, version: '2', type: 'INDIVIDUAL', includedBytes: 500 * MiB },
  { name: 'Fieldline Router 5GB', ratePlanId: 300103, version: '1', type: 'SHARED', includedBytes: 5120 * MiB },
  { name: 'hphlr rp1', ratePlanId: 300104, version: '3', type: 'INDIVIDUAL', includedBytes: 1024 * MiB },
  { name: 'Réseau Énergie 1GB', ratePlanId: 300105, version: '1', type: 'INDIVIDUAL', includedBytes: 1024 * MiB },
  { name: 'JPOTestDevnet', ratePlanId: 300106, version: '1', type: 'INDIVIDUAL', includedBytes: 50 * MiB },
]
const TEST_PLAN = 'JPOTestDevnet'
const PRODUCTION_PLANS = RATE_PLANS.filter((p) => p.name !== TEST_PLAN)

export const COMMUNICATION_PLANS: readonly string[] = ['CP_Basic_ON', 'CP_Data_SMS', 'CP_Data_Only', 'JPOTestDevnetCPEss']
export const CUSTOMERS: readonly string[] = ['Acme Utilities', 'Northwind Meters', 'Société des Eaux du Nord']
export const ZONES: readonly string[] = ['Zone 1 - Home', 'Zone 2 - Europe', 'Zone 3 - Rest of World']

export interface Device {
  index: number
  iccid: string
  imsi: string
  msisdn: string
  imei: string
  eid: string | null
  status: SimStatus
  ratePlan: string
  /** The plan the SIM was on before any edit; closed cycles are billed on it. */
  seededRatePlan: string
  communicationPlan: string
  customer: string | null
  endConsumerId: string | null
  dateActivated: number | null
  dateAdded: number
  dateUpdated: number
  dateShipped: number | null
  /** End of the active interval (deactivation); usage stops here. Null while active or never activated. */
  activeTo: number | null
  fixedIPAddress: string | null
  fixedIpv6Address: string | null
  accountCustom: (string | null)[]
  operatorCustom: (string | null)[]
  customerCustom: (string | null)[]
  simNotes: string | null
  deviceID: string | null
  modemID: string | null
  overageLimitOverride: OverrideMode
  /** 0 meter, 1 tracker, 2 router: drives the usage volumes. */
  profile: 0 | 1 | 2
  hasVoice: boolean
}

// ---------------------------------------------------------------------------------------------------------------
// Deterministic hashing: every attribute is hash(seed, index, salt[, cycle]) so any device can be built on demand.

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d)
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b)
  return (x ^ (x >>> 16)) >>> 0
}

function hash(...parts: number[]): number {
  let h = 0x9e3779b9
  for (const part of parts) {
    const lo = part >>> 0
    const hi = Math.floor(part / 4_294_967_296) >>> 0
    h = mix32(h ^ mix32(lo + 0x632be5ab))
    h = mix32(h ^ mix32(hi + 0x1b873593))
  }
  return h
}

/** The share of seeded ICCIDs whose last digit is their Luhn check digit: most, as in a real fleet [I]. */
const LUHN_VALID_SHARE = 0.9

const SALT = {
  class: 1,
  luhn: 2,
  status: 3,
  plan: 4,
  comm: 5,
  customer: 6,
  added: 7,
  shipped: 8,
  activated: 9,
  updated: 10,
  imei: 11,
  ip: 12,
  ipv6: 13,
  custom: 14,
  deviceId: 15,
  modem: 16,
  eid: 17,
  override: 18,
  profile: 19,
  voice: 20,
  session: 21,
  sessionStart: 22,
  sessionLength: 23,
  serial: 24,
  smsBase: 25,
  notes: 26,
  dormant: 40,
  data: 41,
  roam: 42,
  roamShare: 43,
  roamZone: 44,
  smsMo: 45,
  smsMt: 46,
  voiceMo: 47,
  voiceMt: 48,
  sessions: 49,
} as const

const ADDED_FROM = Date.UTC(2019, 0, 1)
const ADDED_SPAN = Date.UTC(2024, 0, 1) - ADDED_FROM
const UPDATED_MAX = Date.UTC(2024, 6, 1) - 1

const pad = (n: number, width: number): string => String(n).padStart(width, '0')
const pick = <T>(items: readonly T[], u: number): T => items[Math.min(items.length - 1, Math.floor(u * items.length))] as T

/** Bijective on [0, 1e9) because the multiplier is coprime with 10: unique ICCID/IMSI serials for any inventory size. */
const SERIAL_MULTIPLIER = 1_234_567
const SERIALS = 1_000_000_000
const everActivated = (status: SimStatus): boolean => status === 'ACTIVATED' || status === 'DEACTIVATED' || status === 'RETIRED'

export interface ZoneUsage {
  zone: string
  dataBytes: number
  smsMO: number
  smsMT: number
  voiceMO: number
  voiceMT: number
}
export interface CycleUsage {
  cycleStart: number
  /** Exclusive: the next cycle's start. */
  cycleEnd: number
  ratePlan: RatePlan
  dataBytes: number
  smsMO: number
  smsMT: number
  voiceMO: number
  voiceMT: number
  sessions: number
  zones: ZoneUsage[]
  hasData: boolean
}

export interface SessionInfo {
  ipAddress: string | null
  ipv6Address: string | null
  apn: string | null
  started: number | null
  ended: number | null
}

export interface SearchFilter {
  since: number
  till: number | null
  status: SimStatus | null
  custom: { field: 'accountCustom' | 'operatorCustom' | 'customerCustom'; n: number; value: string }[]
}

export class Inventory {
  readonly iccids: readonly string[]
  readonly accountId: string
  private readonly byIccid = new Map<string, number>()
  private readonly cache = new Map<number, Device>()
  /** Device indexes ordered by (dateUpdated, index); built on the first search, then kept sorted on every edit. */
  private order: number[] | null = null
  private readonly serialOffset: number

  constructor(
    private readonly seed: number,
    size: number,
    private readonly cycleStartDay: number,
  ) {
    this.serialOffset = hash(seed, SALT.serial) % SERIALS
    this.accountId = String(100_020_000 + (Math.abs(Math.trunc(seed)) % 1000))
    const s = Math.abs(Math.trunc(seed))
    // Two ICCID families of different lengths (19 and 20 digits, §1.6 shows a 19-digit one) never collide; within a
    // family the serial is unique. A minority get a wrong check digit: E.118 ICCIDs end with their Luhn digit, so a
    // real fleet mostly passes, but some issuers put a filler there (control-center.md §1.13 [I]; the §1.6 example and
    // the real search answer quoted in §1.9 fail Luhn), and a client that rejects those would lock operators out of
    // real SIMs.
    const prefix19 = `8901170${pad(s % 100, 2)}`
    const prefix20 = `8988216${pad(s % 1000, 3)}`
    const iccids = new Array<string>(size)
    for (let i = 0; i < size; i++) {
      const serial = pad(this.serial(i), 9)
      const body = (this.unit(i, SALT.class) < 0.35 ? prefix20 : prefix19) + serial
      const check = luhnDigit(body)
      const digit = this.unit(i, SALT.luhn) < LUHN_VALID_SHARE ? check : (check + 1 + (hash(seed, i, SALT.luhn, 1) % 9)) % 10
      const iccid = body + String(digit)
      iccids[i] = iccid
      this.byIccid.set(iccid, i)
    }
    this.iccids = Object.freeze(iccids)
  }

  get size(): number {
    return this.iccids.length
  }

  indexOf(iccid: string): number | undefined {
    return this.byIccid.get(iccid)
  }

  private serial(i: number): number {
    return (i * SERIAL_MULTIPLIER + this.serialOffset) % SERIALS
  }

  private unit(i: number, salt: number, extra = 0): number {
    return hash(this.seed, i, salt, extra) / 4_294_967_296
  }

  private seededStatus(i: number): SimStatus {
    const u = this.unit(i, SALT.status)
    if (u < 0.5) return 'ACTIVATED'
    if (u < 0.6) return 'DEACTIVATED'
    if (u < 0.7) return 'TEST_READY'
    if (u < 0.8) return 'ACTIVATION_READY'
    if (u < 0.95) return 'INVENTORY'
    return 'RETIRED'
  }

  private seededDates(i: number, status: SimStatus): { added: number; shipped: number | null; activated: number | null; updated: number } {
    const added = ADDED_FROM + Math.floor(this.unit(i, SALT.added) * ADDED_SPAN)
    const shipped = status === 'INVENTORY' ? null : added + Math.floor(this.unit(i, SALT.shipped) * 30 * DAY)
    const activated = everActivated(status) ? (shipped ?? added) + Math.floor(this.unit(i, SALT.activated) * 120 * DAY) : null
    const latest = Math.max(added, shipped ?? 0, activated ?? 0)
    const updated = Math.min(UPDATED_MAX, latest + Math.floor(this.unit(i, SALT.updated) * 180 * DAY))
    return { added, shipped, activated, updated: Math.max(updated, latest) }
  }

  private updatedOf(i: number): number {
    return this.cache.get(i)?.dateUpdated ?? this.seededDates(i, this.seededStatus(i)).updated
  }

  private statusOf(i: number): SimStatus {
    return this.cache.get(i)?.status ?? this.seededStatus(i)
  }

  device(i: number): Device {
    const cached = this.cache.get(i)
    if (cached) return cached
    const iccid = this.iccids[i]
    if (iccid === undefined) throw new RangeError(`no device ${i}`)
    const status = this.seededStatus(i)
    const dates = this.seededDates(i, status)
    const serial = pad(this.serial(i), 10)
    const plan = status === 'TEST_READY' ? TEST_PLAN : pick(PRODUCTION_PLANS, this.unit(i, SALT.plan)).name
    const imeiBody = `35${pad(hash(this.seed, i, SALT.imei) % 1_000_000, 6)}${pad(hash(this.seed, i, SALT.imei, 1) % 1_000_000, 6)}`
    const hasIp = this.unit(i, SALT.ip) < 0.1
    const accountCustom: (string | null)[] = Array.from({ length: 10 }, (_, n) => (n === 0 && this.unit(i, SALT.custom) < 0.4 ? String(hash(this.seed, i, SALT.custom, 1) % 100) : null))
    const device: Device = {
      index: i,
      iccid,
      imsi: `90116${serial}`,
      msisdn: `88235${serial}`,
      // §1.6's example carries "" for an unknown IMEI.
      imei: this.unit(i, SALT.imei, 2) < 0.7 ? imeiBody + String(luhnDigit(imeiBody)) : '',
      eid: this.unit(i, SALT.eid) < 0.2 ? `89049032${pad(hash(this.seed, i, SALT.eid, 1), 12)}${pad(hash(this.seed, i, SALT.eid, 2), 12)}` : null,
      status,
      ratePlan: plan,
      seededRatePlan: plan,
      communicationPlan: status === 'TEST_READY' ? 'JPOTestDevnetCPEss' : pick(COMMUNICATION_PLANS.slice(0, 3), this.unit(i, SALT.comm)),
      customer: this.unit(i, SALT.customer) < 0.3 ? pick(CUSTOMERS, this.unit(i, SALT.customer, 1)) : null,
      endConsumerId: null,
      dateActivated: dates.activated,
      dateAdded: dates.added,
      dateUpdated: dates.updated,
      dateShipped: dates.shipped,
      activeTo: status === 'DEACTIVATED' || status === 'RETIRED' ? dates.updated : null,
      fixedIPAddress: hasIp ? `10.${hash(this.seed, i, SALT.ip, 1) % 256}.${hash(this.seed, i, SALT.ip, 2) % 256}.${1 + (hash(this.seed, i, SALT.ip, 3) % 254)}` : null,
      fixedIpv6Address: hasIp && this.unit(i, SALT.ipv6) < 0.5 ? `2001:db8::${(hash(this.seed, i, SALT.ipv6, 1) % 65535).toString(16)}` : null,
      accountCustom,
      operatorCustom: [null, null, null, null, null],
      customerCustom: [null, null, null, null, null],
      simNotes: this.unit(i, SALT.notes) < 0.05 ? 'Replaced after water damage' : null,
      deviceID: this.unit(i, SALT.deviceId) < 0.3 ? `meter-${pad(i, 6)}` : null,
      modemID: this.unit(i, SALT.modem) < 0.5 ? String(1000 + (hash(this.seed, i, SALT.modem, 1) % 9000)) : null,
      overageLimitOverride: this.unit(i, SALT.override) < 0.05 ? 'PERMANENT_OVERRIDE' : 'DEFAULT',
      profile: ((u: number) => (u < 0.6 ? 0 : u < 0.9 ? 1 : 2))(this.unit(i, SALT.profile)),
      hasVoice: this.unit(i, SALT.voice) < 0.1,
    }
    this.cache.set(i, device)
    return device
  }

  /** Moves a device to a new dateUpdated while keeping the search order sorted (§1.9: oldest modification first). */
  touch(i: number, at: number): void {
    const device = this.device(i)
    if (this.order) {
      const from = this.lowerBound(device.dateUpdated, i)
      if (this.order[from] === i) this.order.splice(from, 1)
    }
    device.dateUpdated = at
    if (this.order) this.order.splice(this.lowerBound(at, i), 0, i)
  }

  private sorted(): number[] {
    if (!this.order) {
      const keys = new Float64Array(this.size)
      for (let i = 0; i < this.size; i++) keys[i] = this.updatedOf(i)
      this.order = Array.from({ length: this.size }, (_, i) => i).sort((a, b) => (keys[a] ?? 0) - (keys[b] ?? 0) || a - b)
    }
    return this.order
  }

  private lowerBound(updated: number, index: number): number {
    const order = this.sorted()
    let lo = 0
    let hi = order.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const j = order[mid] ?? 0
      const u = this.updatedOf(j)
      if (u < updated || (u === updated && j < index)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** §1.9: modifiedSince inclusive, modifiedTill inclusive [I], sorted by dateUpdated ascending. */
  search(filter: SearchFilter, pageSize: number, pageNumber: number): { devices: Device[]; lastPage: boolean } {
    const order = this.sorted()
    const start = this.lowerBound(filter.since, -1)
    const end = filter.till === null ? order.length : this.lowerBound(filter.till + 1, -1)
    const skip = (pageNumber - 1) * pageSize
    if (filter.status === null && filter.custom.length === 0) {
      const from = start + skip
      const to = Math.min(end, from + pageSize)
      const devices = from < to ? order.slice(from, to).map((i) => this.device(i)) : []
      return { devices, lastPage: to >= end }
    }
    const devices: Device[] = []
    let matched = 0
    for (let k = start; k < end; k++) {
      const i = order[k] ?? 0
      if (filter.status !== null && this.statusOf(i) !== filter.status) continue
      if (filter.custom.length > 0) {
        const d = this.device(i)
        if (!filter.custom.every((c) => d[c.field][c.n - 1] === c.value)) continue
      }
      if (matched >= skip + pageSize) return { devices, lastPage: false }
      if (matched >= skip) devices.push(this.device(i))
      matched++
    }
    return { devices, lastPage: true }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Billing cycles and usage

  /** The cycle containing `ms`: cycles start at 00:00 UTC on cycleStartDay ([I] the account's time zone is UTC). */
  cycleStartOf(ms: number): number {
    const d = new Date(ms)
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), this.cycleStartDay)
    return ms < start ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, this.cycleStartDay) : start
  }

  addCycles(cycleStart: number, n: number): number {
    const d = new Date(cycleStart)
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, this.cycleStartDay)
  }

  isCycleStart(ms: number): boolean {
    return this.cycleStartOf(ms) === ms
  }

  /**
   * Usage of one cycle: a full-cycle volume drawn from the seed, scaled by how much of the cycle the SIM was active
   * (so the open cycle grows with the clock and ctdUsages equals the open cycle's usageInZone), plus delivered MT SMS.
   */
  usage(i: number, cycleStart: number, now: number, extraMt: number): CycleUsage {
    const d = this.device(i)
    const cycleEnd = this.addCycles(cycleStart, 1)
    const current = cycleStart <= now && now < cycleEnd
    const plan = RATE_PLANS.find((p) => p.name === (current ? d.ratePlan : d.seededRatePlan)) ?? (RATE_PLANS[0] as RatePlan)
    const key = new Date(cycleStart).getUTCFullYear() * 12 + new Date(cycleStart).getUTCMonth()
    const u = (salt: number): number => hash(this.seed, d.index, salt, key) / 4_294_967_296
    let fraction = 0
    if (d.dateActivated !== null) {
      const activeEnd = Math.min(d.activeTo ?? Number.POSITIVE_INFINITY, now)
      const overlap = Math.min(cycleEnd, activeEnd) - Math.max(cycleStart, d.dateActivated)
      fraction = Math.max(0, overlap) / (cycleEnd - cycleStart)
    }
    // About one cycle in eight the SIM stays silent: a closed cycle with no usage (SOAP fault 200200, §2.4).
    if (u(SALT.dormant) < 0.12) fraction = 0
    const [lo, hi] = (
      [
        [50 * 1024, 20 * MiB],
        [20 * MiB, 600 * MiB],
        [500 * MiB, 8192 * MiB],
      ] as const
    )[d.profile]
    const full = {
      data: Math.floor(lo * Math.pow(hi / lo, u(SALT.data))),
      smsMO: Math.floor(u(SALT.smsMo) * [31, 61, 4][d.profile]!),
      smsMT: Math.floor(u(SALT.smsMt) * [11, 21, 2][d.profile]!),
      voiceMO: d.hasVoice ? Math.floor(u(SALT.voiceMo) * 1800) : 0,
      voiceMT: d.hasVoice ? Math.floor(u(SALT.voiceMt) * 1800) : 0,
      sessions: [30, 100, 10][d.profile]! + Math.floor(u(SALT.sessions) * [270, 1400, 90][d.profile]!),
    }
    const scaled = (n: number): number => Math.floor(n * fraction)
    const dataBytes = scaled(full.data)
    const smsMO = scaled(full.smsMO)
    const smsMT = scaled(full.smsMT) + extraMt
    const voiceMO = scaled(full.voiceMO)
    const voiceMT = scaled(full.voiceMT)
    const zones: ZoneUsage[] = []
    const roamingBytes = u(SALT.roam) < 0.25 ? Math.floor(dataBytes * (0.05 + 0.55 * u(SALT.roamShare))) : 0
    const home = { zone: ZONES[0] as string, dataBytes: dataBytes - roamingBytes, smsMO, smsMT, voiceMO, voiceMT }
    if (home.dataBytes + smsMO + smsMT + voiceMO + voiceMT > 0) zones.push(home)
    if (roamingBytes > 0) zones.push({ zone: pick(ZONES.slice(1), u(SALT.roamZone)), dataBytes: roamingBytes, smsMO: 0, smsMT: 0, voiceMO: 0, voiceMT: 0 })
    return {
      cycleStart,
      cycleEnd,
      ratePlan: plan,
      dataBytes,
      smsMO,
      smsMT,
      voiceMO,
      voiceMT,
      sessions: scaled(full.sessions),
      zones,
      hasData: zones.length > 0,
    }
  }

  /**
   * §1.11: in session (no end), ended, or never connected (all null). Session times hang off the start of the
   * current UTC day so they stay put between calls on the same day.
   */
  session(i: number, now: number): SessionInfo {
    const d = this.device(i)
    const never: SessionInfo = { ipAddress: null, ipv6Address: null, apn: null, started: null, ended: null }
    if (d.dateActivated === null || d.dateActivated > now) return never
    const u = this.unit(i, SALT.session)
    if (u < 0.1) return never
    const ip = d.fixedIPAddress ?? `100.${64 + (hash(this.seed, i, SALT.ip, 4) % 64)}.${hash(this.seed, i, SALT.ip, 5) % 256}.${1 + (hash(this.seed, i, SALT.ip, 6) % 254)}`
    const base = { ipAddress: ip, ipv6Address: d.fixedIpv6Address, apn: 'iot.fieldline.example' }
    const day = Math.floor(now / DAY) * DAY
    const offset = Math.floor(this.unit(i, SALT.sessionStart) * 20 * 3_600_000)
    if (d.status === 'ACTIVATED' && u < 0.65) return { ...base, started: Math.min(now, day - offset), ended: null }
    const stop = d.activeTo !== null && d.activeTo <= now ? d.activeTo : day - (1 + (hash(this.seed, i, SALT.session, 1) % 10)) * DAY
    const length = 3_600_000 + Math.floor(this.unit(i, SALT.sessionLength) * 5 * 3_600_000)
    return { ...base, started: stop - length, ended: stop }
  }

  smsIdBase(): number {
    return 4_302_000_000 + (hash(this.seed, SALT.smsBase) % 1_000_000) * 100
  }
}

// -----------------------------------------------------------------------------------------------------------------

export interface SmsRecord {
  smsMsgId: number
  index: number
  iccid: string
  /** The text as a Java String would hold it (what a LITERAL read returns). */
  text: string
  /** The payload bytes (what a BASE64 read returns). */
  payload: Buffer
  senderLogin: string
  sentAt: number
  deliverAt: number
  outcome: 'Delivered' | 'Failed'
}

/**
 * §1.10: MT messages start Pending and end Delivered or Failed once `smsDeliveryMs` has passed on the peer's clock.
 * Deterministically Failed: text containing "FAIL", or a SIM that is neither ACTIVATED nor TEST_READY when sent.
 */
export class SmsCenter {
  private readonly byId = new Map<number, SmsRecord>()
  private readonly byDevice = new Map<number, SmsRecord[]>()
  private nextId: number

  constructor(
    base: number,
    private readonly deliveryMs: number,
  ) {
    this.nextId = base + 1
  }

  send(device: Device, text: string, payload: Buffer, senderLogin: string, now: number): SmsRecord {
    const deliverable = device.status === 'ACTIVATED' || device.status === 'TEST_READY'
    const record: SmsRecord = {
      smsMsgId: this.nextId++,
      index: device.index,
      iccid: device.iccid,
      text,
      payload,
      senderLogin,
      sentAt: now,
      deliverAt: now + this.deliveryMs,
      outcome: deliverable && !text.includes('FAIL') ? 'Delivered' : 'Failed',
    }
    this.byId.set(record.smsMsgId, record)
    const list = this.byDevice.get(device.index) ?? []
    list.push(record)
    this.byDevice.set(device.index, list)
    return record
  }

  get(id: number): SmsRecord | undefined {
    return this.byId.get(id)
  }

  all(): SmsRecord[] {
    return [...this.byId.values()]
  }

  status(record: SmsRecord, now: number): 'Pending' | 'Delivered' | 'Failed' {
    return now >= record.deliverAt ? record.outcome : 'Pending'
  }

  /** Delivered MT messages count in the cycle they were delivered in (ctdSMSUsage is MO+MT, §1.8). */
  deliveredIn(index: number, from: number, to: number, now: number): number {
    let n = 0
    for (const r of this.byDevice.get(index) ?? []) {
      if (r.outcome === 'Delivered' && r.deliverAt <= now && r.deliverAt >= from && r.deliverAt < to) n++
    }
    return n
  }
}
