import { z } from 'zod'
import { DEVICE_ID_PATTERN } from './platform-ids'

/** Device type and device ID: 1–36 characters of letters, digits, '-', '_', '.' (the platform's rule). */
export { DEVICE_ID_PATTERN }
export const deviceIdSchema = z.string().max(36).regex(DEVICE_ID_PATTERN, { message: "must be 1–36 letters, digits, '-', '_' or '.'" })

export const deviceKeySchema = z.object({ typeId: deviceIdSchema, deviceId: deviceIdSchema })
export type DeviceKey = z.infer<typeof deviceKeySchema>

/** The workspace document of a device (the core's store and the window name it alike: the sync lists refusals by it). */
export function deviceDocId(key: DeviceKey): string {
  return `device:${key.typeId}:${key.deviceId}`
}
