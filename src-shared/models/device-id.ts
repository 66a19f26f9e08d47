import { z } from 'zod'

/** Device type and device ID: 1–36 characters of letters, digits, '-', '_', '.'. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._-]{1,36}$/
export const deviceIdSchema = z.string().max(36).regex(DEVICE_ID_PATTERN, { message: "must be 1–36 letters, digits, '-', '_' or '.'" })

export const deviceKeySchema = z.object({ typeId: deviceIdSchema, deviceId: deviceIdSchema })
export type DeviceKey = z.infer<typeof deviceKeySchema>
