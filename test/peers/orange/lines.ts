/**
 * The peer's lines: deterministic SIMs of one Orange France M2M account, and the rules a status change follows.
 *
 * Serial numbers and ICCIDs follow the Orange M2M SDK (Utility.php, m2m.ini): ICCID = `893301` + 12 digits + Luhn
 * digit of those 18 + `0`; serial number = the 12 digits + their own Luhn digit (13 digits). [C: ORANGE SDK]
 */
import { luhnDigit } from '../control-center/wire-format'
import { prng } from '../mbed/registry'

export const SIM_STATUSES = ['PRE_ACTIVATED', 'ACTIVATED_FOR_TEST', 'ACTIVATED', 'SLEEPING', 'SUSPENDED', 'CANCELLED'] as const
export type PeerSimStatus = (typeof SIM_STATUSES)[number]
export const REQUESTABLE = ['ACTIVATED', 'ACTIVATED_FOR_TEST', 'SLEEPING', 'SUSPENDED'] as const
export type Requestable = (typeof REQUESTABLE)[number]
export const TEST_MODES = ['INTERNATIONAL', 'EUROPE', 'METROPOLE', 'AU_COMPTEUR'] as const

export interface Line {
  serialNumber: string
  iccid: string
  imsi: string
  msisdn: { cc: string; sn: string }
  subscription: string
  customerEnvironment: string
  status: PeerSimStatus
  suspensionReason: string | null
  lastStatusChange: number
  lastStatusRefresh: number
  requestedStatus: Requestable | null
  statusChangeRequest: number | null
  subscriptionCreated: number
  subscriptionConnected: number | null
  /** Where the network last placed it; null for a SIM never attached. */
  cell: { mcc: number; mnc: number; lac: number; cellId: number } | null
  position: { latitude: number; longitude: number; accuracyMeters: number; at: number } | null
  roaming: boolean
  ip: string | null
}

/** The first lines cover every status, so tests find one of each at a known index; the rest are mostly active. */
const STATUS_ORDER: PeerSimStatus[] = ['ACTIVATED', 'SUSPENDED', 'PRE_ACTIVATED', 'SLEEPING', 'ACTIVATED_FOR_TEST', 'CANCELLED']
const DAY = 86_400_000

export function serialToIccid(serial: string): string {
  const body = `893301${serial.slice(0, 12)}`
  return `${body}${luhnDigit(body)}0`
}

export function seedLines(count: number, seed: number, now: number): Line[] {
  const next = prng(seed)
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 10)).join('')
  const lines: Line[] = []
  const used = new Set<string>()
  while (lines.length < count) {
    const i = lines.length
    const body = `16${digits(10)}`
    if (used.has(body)) continue
    used.add(body)
    const serialNumber = `${body}${luhnDigit(body)}`
    const status = i < STATUS_ORDER.length ? STATUS_ORDER[i]! : next() < 0.8 ? 'ACTIVATED' : STATUS_ORDER[Math.floor(next() * STATUS_ORDER.length)]!
    const created = now - (400 + Math.floor(next() * 400)) * DAY
    const attached = status !== 'PRE_ACTIVATED'
    lines.push({
      serialNumber,
      iccid: serialToIccid(serialNumber),
      imsi: `20801${digits(10)}`,
      msisdn: { cc: '33', sn: `6${digits(8)}` },
      subscription: `M2M${digits(9)}`,
      customerEnvironment: 'CEN-0042',
      status,
      // [I] Orange's reasons are free text; these read like an operator's.
      suspensionReason: status === 'SUSPENDED' ? 'Customer request' : null,
      lastStatusChange: created + Math.floor(next() * 300) * DAY,
      lastStatusRefresh: now - Math.floor(next() * 3) * DAY,
      requestedStatus: null,
      statusChangeRequest: null,
      subscriptionCreated: created,
      subscriptionConnected: attached ? created + DAY : null,
      cell: attached ? { mcc: 208, mnc: 1, lac: 1000 + Math.floor(next() * 9000), cellId: 10_000 + Math.floor(next() * 50_000) } : null,
      position: attached ? { latitude: 48.8 + next() * 0.2, longitude: 2.2 + next() * 0.3, accuracyMeters: 200 + Math.floor(next() * 800), at: now - Math.floor(next() * 48) * 3_600_000 } : null,
      roaming: i === 0 ? false : next() < 0.1,
      ip: attached ? `10.${Math.floor(next() * 255)}.${Math.floor(next() * 255)}.${1 + Math.floor(next() * 253)}` : null,
    })
  }
  return lines
}

/**
 * Whether a line may go to `requested`. [I] Orange publishes no transition table; these rules are what the states
 * mean: a cancelled SIM is gone, a SIM already in the state cannot "change" to it, test activation is for SIMs that
 * were never activated, and a SIM that was never activated cannot be put to sleep or suspended.
 */
export function refusal(line: Line, requested: Requestable): { code: string; message: string } | null {
  if (line.status === 'CANCELLED') return { code: 'SIM_CANCELLED', message: 'The SIM is cancelled; its status cannot change' }
  if (line.status === requested) return { code: 'SAME_STATUS', message: `The SIM is already ${requested}` }
  if (requested === 'ACTIVATED_FOR_TEST' && line.status !== 'PRE_ACTIVATED') {
    return { code: 'TRANSITION_NOT_ALLOWED', message: `Test activation is only possible from PRE_ACTIVATED, not ${line.status}` }
  }
  if ((requested === 'SLEEPING' || requested === 'SUSPENDED') && line.status === 'PRE_ACTIVATED') {
    return { code: 'TRANSITION_NOT_ALLOWED', message: `A SIM never activated cannot become ${requested}` }
  }
  return null
}
