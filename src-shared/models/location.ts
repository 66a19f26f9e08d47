/**
 * A device's location (docs/wire/platform-mqtt.md §3 "Location update", docs/wire/weather.md §7): WGS84 latitude and longitude in decimal degrees,
 * optional elevation and accuracy in metres, when it was measured, and where Fieldline got it from. zod's numbers
 * refuse NaN and ±Infinity, so no such value can be stored however it arrives (a JSON `1e999` parses to Infinity).
 */
import { z } from 'zod'

export const LOCATION_SOURCES = ['operator', 'import', 'device'] as const
export const locationSourceSchema = z.enum(LOCATION_SOURCES)
export type LocationSource = z.infer<typeof locationSourceSchema>

/**
 * [I] The spec gives no range for elevation or accuracy: from below the deepest ocean trench (−10,994 m) to far above
 * any aircraft, and an accuracy no larger than the Earth's circumference.
 */
export const ELEVATION_MIN = -12_000
export const ELEVATION_MAX = 100_000
export const ACCURACY_MAX = 40_075_000

export const latitudeSchema = z.number().min(-90).max(90)
export const longitudeSchema = z.number().min(-180).max(180)
export const elevationSchema = z.number().min(ELEVATION_MIN).max(ELEVATION_MAX)
export const accuracySchema = z.number().min(0).max(ACCURACY_MAX)
/** ISO 8601 with a time zone (`Z` or an offset): a time without one means a different instant on every machine. */
export const locationTimeSchema = z.iso.datetime({ offset: true }).max(64)

/** What an operator gives (the UI's form, `fieldline devices locate`). */
export const locationInputShape = {
  latitude: latitudeSchema,
  longitude: longitudeSchema,
  elevation: elevationSchema.optional(),
  accuracy: accuracySchema.optional(),
  measuredAt: locationTimeSchema.optional(),
}

export const deviceLocationSchema = z.object({
  latitude: z.number(),
  longitude: z.number(),
  elevation: z.number().nullable(),
  accuracy: z.number().nullable(),
  /** When the position was measured: the device's `measuredDateTime`, the operator's date, or null (an import). */
  measuredAt: z.string().nullable(),
  source: locationSourceSchema,
  /** When Fieldline stored it. */
  updatedAt: z.string(),
})
export type DeviceLocation = z.infer<typeof deviceLocationSchema>

/**
 * A managed device's location update (docs/wire/platform-mqtt.md §3): `{"d": {longitude, latitude, elevation?, accuracy?,
 * measuredDateTime?}, "reqId"}`. [I] The spec lists exactly these members; anything else is refused rather than
 * guessed at, and the reqId (which the answer must carry) is required.
 */
export const locationUpdateSchema = z
  .object({
    d: z
      .object({
        longitude: longitudeSchema,
        latitude: latitudeSchema,
        elevation: elevationSchema.optional(),
        accuracy: accuracySchema.optional(),
        measuredDateTime: locationTimeSchema.optional(),
      })
      .strict(),
    reqId: z.string().min(1).max(128),
  })
  .strict()
export type LocationUpdate = z.infer<typeof locationUpdateSchema>

/** A position measured further ahead than this is a device or operator clock that is wrong, not a measurement. */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000

const DECIMAL = /^[+-]?(?:\d{1,12}(?:\.\d{0,15})?|\.\d{1,15})$/

/**
 * A number typed as text (a CSV cell, a command-line argument): plain decimal notation only. A decimal comma, an
 * exponent, hex, "NaN" or "Infinity" is refused (null) rather than read as something the operator did not write.
 */
export function parseDecimal(text: string): number | null {
  const t = text.trim()
  if (!DECIMAL.test(t)) return null
  const n = Number(t)
  return Number.isFinite(n) ? n : null
}
