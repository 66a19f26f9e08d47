import type { Device, DeviceKey, Result } from '../../../../src-shared/contract'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

/** One device's record, kept fresh while its page is open (dispose() when it closes). */
export class DeviceDetail extends EventStore<Device> {
  readonly key: DeviceKey

  constructor(key: DeviceKey) {
    super(api, { refreshOn: [{ event: 'devices:changed' }], live: 'always' })
    this.key = key
  }

  get device(): Device | null {
    return this.value
  }

  protected fetch(): Promise<Result<Device>> {
    return api.invoke('devices:get', this.key)
  }

  /** Takes the record the core returned from a write, without another round trip. */
  set(device: Device): void {
    this.accept(device)
  }

  /** Marks which packages' actions the device accepts (audited by the core); the answer is the updated record. */
  async setSupportedBundles(bundles: string[]): Promise<Result<Device>> {
    const result = await api.invoke('devices:setSupportedBundles', { ...this.key, bundles })
    if (result.ok) this.accept(result.value)
    return result
  }

  remove(): Promise<Result<unknown>> {
    return api.invoke('devices:remove', this.key)
  }
}
