/**
 * The location columns of an import row: `latitude` and `longitude` (CSV headers lat, lon, lng, long are read as
 * them), optionally `elevation` and `accuracy` in metres. CSV cells are text, JSON Lines values may be numbers. Half a
 * position, a number written any other way than plain decimals, or one out of range refuses the row.
 */
import type { MessageRef } from '../../../src-shared/contract'
import { accuracySchema, elevationSchema, latitudeSchema, longitudeSchema, parseDecimal, type DeviceLocation } from '../../../src-shared/models/location'

export const LOCATION_FIELDS = ['latitude', 'longitude', 'elevation', 'accuracy'] as const
export type LocationField = (typeof LOCATION_FIELDS)[number]

/** Folded CSV headers that mean a location field. */
export const LOCATION_HEADER_ALIASES: Record<string, LocationField> = {
  latitude: 'latitude',
  lat: 'latitude',
  longitude: 'longitude',
  lon: 'longitude',
  lng: 'longitude',
  long: 'longitude',
  elevation: 'elevation',
  accuracy: 'accuracy',
}

const RANGES = { latitude: latitudeSchema, longitude: longitudeSchema, elevation: elevationSchema, accuracy: accuracySchema }
const RANGE_TEXT = { latitude: '−90 to 90', longitude: '−180 to 180', elevation: '−12000 to 100000 metres', accuracy: '0 to 40075000 metres' }

/** The range `value` is outside of, in words (`−90 to 90`), or null when it is a valid `field` (an import row's cell, `devices locate`). */
export function outsideRange(field: LocationField, value: number): string | null {
  return RANGES[field].safeParse(value).success ? null : RANGE_TEXT[field]
}

type Refusal = { ok: false; message: string; ref: MessageRef }

function refuse(message: string, key: string, params: Record<string, string | number>): Refusal {
  return { ok: false, message, ref: { key, params } }
}

function cell(fields: Record<string, unknown>, field: LocationField): { ok: true; value: number | undefined } | Refusal {
  const raw = fields[field]
  if (raw === undefined || raw === null || raw === '') return { ok: true, value: undefined }
  const shown = String(raw).slice(0, 40)
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDecimal(raw) : null
  if (value === null || !Number.isFinite(value)) {
    return refuse(`${field} "${shown}" is not a number written in decimals (e.g. 45.1885)`, 'import.badNumber', { field, value: shown })
  }
  const range = outsideRange(field, value)
  if (range) return refuse(`${field} ${shown} is outside ${range}`, 'import.outOfRange', { field, value: shown })
  return { ok: true, value }
}

export function rowLocation(fields: Record<string, unknown>): { ok: true; location: Omit<DeviceLocation, 'updatedAt'> | null } | Refusal {
  const values: Partial<Record<LocationField, number>> = {}
  for (const field of LOCATION_FIELDS) {
    const c = cell(fields, field)
    if (!c.ok) return c
    if (c.value !== undefined) values[field] = c.value
  }
  const { latitude, longitude, elevation, accuracy } = values
  if (latitude === undefined && longitude === undefined) {
    if (elevation === undefined && accuracy === undefined) return { ok: true, location: null }
    return refuse('An elevation or accuracy needs latitude and longitude', 'import.locationIncomplete', { field: latitude === undefined ? 'latitude' : 'longitude' })
  }
  if (latitude === undefined || longitude === undefined) {
    const missing = latitude === undefined ? 'latitude' : 'longitude'
    return refuse(`A location needs both latitude and longitude; ${missing} is empty`, 'import.locationIncomplete', { field: missing })
  }
  return { ok: true, location: { latitude, longitude, elevation: elevation ?? null, accuracy: accuracy ?? null, measuredAt: null, source: 'import' } }
}
