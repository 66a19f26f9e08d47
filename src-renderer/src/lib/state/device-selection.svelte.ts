import { MAX_SELECTION_KEYS, type DeviceQuery, type DeviceSelection } from '../../../../src-shared/models/device-query'
import type { DeviceKey } from '../../../../src-shared/models/device-id'

/** A device as the selection names it; "/" appears in no device id, so the key reads back unambiguously. */
export const keyOf = (device: DeviceKey): string => `${device.typeId}/${device.deviceId}`

function deviceOf(key: string): DeviceKey {
  const at = key.indexOf('/')
  return { typeId: key.slice(0, at), deviceId: key.slice(at + 1) }
}

/** Never changed: each change of the selection replaces the raw state with a fresh set. */
const NONE: ReadonlySet<string> = new Set()

type State = { mode: 'some'; keys: ReadonlySet<string> } | { mode: 'all'; query: DeviceQuery; total: number; except: ReadonlySet<string> }

/**
 * The operator's selection in the device list, in the core's own terms: devices picked one by one, or every device
 * matching a query except some. "All 1,000,000 matching" is a query and a short list of exceptions, never a million
 * ids; the cap on picked or excepted devices is the contract's.
 */
export class DeviceSelectionState {
  #state = $state.raw<State>({ mode: 'some', keys: NONE })

  get all(): boolean {
    return this.#state.mode === 'all'
  }

  /** How many devices are selected. */
  get count(): number {
    const s = this.#state
    return s.mode === 'some' ? s.keys.size : Math.max(0, s.total - s.except.size)
  }

  get empty(): boolean {
    return this.count === 0
  }

  has(device: DeviceKey): boolean {
    const s = this.#state
    return s.mode === 'some' ? s.keys.has(keyOf(device)) : !s.except.has(keyOf(device))
  }

  /** Selects or unselects one device. Returns false when the contract's cap on named devices is reached. */
  toggle(device: DeviceKey): boolean {
    return this.set([device], !this.has(device))
  }

  /** Selects (or unselects) each of these devices; what is already so stays. */
  set(devices: readonly DeviceKey[], selected: boolean): boolean {
    const s = this.#state
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a fresh copy replaces the raw state whole
    const named = new Set(s.mode === 'some' ? s.keys : s.except)
    // Picked devices are named when selected; in "all matching", excepted devices are named when unselected.
    const name = s.mode === 'some' ? selected : !selected
    for (const device of devices) {
      const key = keyOf(device)
      if (!name) named.delete(key)
      else if (named.size >= MAX_SELECTION_KEYS) return false
      else named.add(key)
    }
    this.#state = s.mode === 'some' ? { mode: 'some', keys: named } : { ...s, except: named }
    return true
  }

  /** Every device the query matches (`total`: the core's exact count of them). */
  selectAll(query: DeviceQuery, total: number): void {
    this.#state = { mode: 'all', query, total, except: NONE }
  }

  clear(): void {
    this.#state = { mode: 'some', keys: NONE }
  }

  /** The selection as the core's channels take it (picked devices in the list's order); null when nothing is selected. */
  toSelection(order: Pick<DeviceQuery, 'sort' | 'descending'>): DeviceSelection | null {
    const s = this.#state
    if (this.empty) return null
    if (s.mode === 'all') return { query: s.query, except: [...s.except].map(deviceOf) }
    return { keys: [...s.keys].map(deviceOf), sort: order.sort, descending: order.descending }
  }
}
