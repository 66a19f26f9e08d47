import type { ErrorInfo, Device, DeviceKey } from '../../../../src-shared/contract'
import { api } from '../api'
import { toBridgeError } from '../errors'

/** One device's record, kept fresh while its page is open. */
export class DeviceDetail {
  device = $state.raw<Device | null>(null)
  error = $state.raw<ErrorInfo | null>(null)
  loading = $state(true)
  readonly key: DeviceKey
  #seq = 0
  #stop: (() => void)[] = []

  constructor(key: DeviceKey) {
    this.key = key
    this.#stop.push(
      api.on('devices:changed', () => void this.load()),
      api.onReconnect(() => void this.load()),
    )
  }

  async load(): Promise<void> {
    const seq = ++this.#seq
    const result = await api.invoke('devices:get', this.key)
    if (seq !== this.#seq) return
    this.loading = false
    if (result.ok) {
      this.device = result.value
      this.error = null
    } else {
      this.error = result.error
    }
  }

  /** Replaces the record with one the core returned from a write, without another round trip. */
  set(device: Device): void {
    this.#seq++
    this.device = device
    this.error = null
  }

  /** Marks which packages' actions the device accepts (audited by the core); the answer is the updated record. */
  async setSupportedBundles(bundles: string[]): Promise<ErrorInfo | null> {
    try {
      this.set(await api.call('devices:setSupportedBundles', { ...this.key, bundles }))
      return null
    } catch (e) {
      return toBridgeError(e)
    }
  }

  async remove(): Promise<ErrorInfo | null> {
    try {
      await api.call('devices:remove', this.key)
      return null
    } catch (e) {
      return toBridgeError(e)
    }
  }

  dispose(): void {
    for (const stop of this.#stop) stop()
    this.#stop = []
  }
}
