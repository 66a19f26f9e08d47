import type { DeviceKey, Result } from '../../../../src-shared/contract'
import type { WeatherView } from '../../../../src-shared/models/weather'
import { api } from '../api'
import { locationChanged } from './device-detail.svelte'
import { EventStore } from './event-store.svelte'

/** setTimeout's longest delay; an expiry further away is looked at again then. */
const MAX_DELAY_MS = 2_147_483_647

/**
 * The weather at one device's location, while its page is open (dispose() when it closes). The core answers from its
 * cache until the provider's expiry and from the cache "as of" its time when the provider cannot be reached; this
 * store asks again when the reading expires, when the weather settings, the interface settings or the device's location
 * change, and when the operator asks for a refresh (which goes to the provider whatever the expiry).
 */
export class WeatherPanel extends EventStore<WeatherView> {
  readonly key: DeviceKey
  /** A refresh the operator asked for is on its way. */
  refreshing = $state(false)
  /** The reading on screen is past the provider's expiry (the provider could not be asked again yet). */
  expired = $state(false)
  #force = false
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(key: DeviceKey) {
    // The interface language is the readings' until a weather language is saved: a change asks again in the new one.
    super(api, { refreshOn: [{ event: 'weather:changed' }, { event: 'settings:changed' }, locationChanged(key)], live: 'always' })
    this.key = key
  }

  get view(): WeatherView | null {
    return this.value
  }

  protected fetch(): Promise<Result<WeatherView>> {
    return api.invoke('weather:get', { ...this.key, refresh: this.#force })
  }

  /** Asks the provider now, whatever the expiry of the reading on screen. */
  async update(): Promise<void> {
    this.refreshing = true
    // load() calls fetch() before its first await, so the flag applies to this read alone.
    this.#force = true
    const pending = this.load()
    this.#force = false
    await pending
    this.refreshing = false
  }

  protected override accept(value: WeatherView): void {
    super.accept(value)
    this.#watch(value.reading.expiresAt)
  }

  /** Reads again when the reading expires: the core then asks the provider (or says why it could not). */
  #watch(expiresAt: string): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const left = Date.parse(expiresAt) - Date.now()
    this.expired = !(left > 0)
    if (this.expired) return
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined
        if (Date.parse(expiresAt) > Date.now()) return this.#watch(expiresAt)
        this.expired = true
        void this.load()
      },
      Math.min(left, MAX_DELAY_MS),
    )
  }

  override dispose(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    super.dispose()
  }
}
