import type { Device, DeviceKey, Input, Output, Result } from '../../../../src-shared/contract'
import { api } from '../api'
import { EventStore, type RefreshTrigger } from './event-store.svelte'

/** `devices:location` naming this device: its location was set, cleared, or reported by the device. */
export function locationChanged(key: DeviceKey): RefreshTrigger {
  return { event: 'devices:location', when: (e) => e.items.some((i) => i.typeId === key.typeId && i.deviceId === key.deviceId) }
}

/** One device's record, kept fresh while its page is open (dispose() when it closes). */
export class DeviceDetail extends EventStore<Device> {
  readonly key: DeviceKey

  constructor(key: DeviceKey) {
    // A location set elsewhere, or reported by the device itself, is announced by `devices:location` alone.
    super(api, { refreshOn: [{ event: 'devices:changed' }, locationChanged(key)], live: 'always' })
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

  /** Places the device (audited by the core); the answer is the updated record. */
  async setLocation(position: Omit<Input<'devices:setLocation'>, keyof DeviceKey>): Promise<Result<Device>> {
    const result = await api.invoke('devices:setLocation', { ...this.key, ...position })
    if (result.ok) this.accept(result.value)
    return result
  }

  /** Forgets the location (audited by the core); `cleared` is false when there was none by then. */
  clearLocation(): Promise<Result<{ cleared: boolean }>> {
    return this.write(api.invoke('devices:clearLocation', this.key))
  }

  /** Moves the device to the trash; the answer names the trash entry, for Undo. */
  remove(): Promise<Result<Output<'devices:remove'>>> {
    return api.invoke('devices:remove', this.key)
  }
}
