import type { DeviceKey } from '../../../../src-shared/models/device-id'

/** A device as a selection names it; "/" appears in no device id, so the key reads back unambiguously. */
export const keyOf = (device: DeviceKey): string => `${device.typeId}/${device.deviceId}`

export function deviceOf(key: string): DeviceKey {
  const at = key.indexOf('/')
  return { typeId: key.slice(0, at), deviceId: key.slice(at + 1) }
}
