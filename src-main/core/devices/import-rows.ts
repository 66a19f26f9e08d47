import { DEVICE_ID_PATTERN, type MessageRef } from '../../../src-shared/contract'
import { DEVICE_COLUMNS } from '../../../src-shared/models/device-query'
import { ORANGE_SERIAL_PATTERN } from '../../../src-shared/models/orange'
import { describeJsonProblem, FORBIDDEN_KEYS, inspectJson, METADATA_LIMITS, type JsonLimits } from '../../../src-shared/models/json-value'
import type { DeviceLocation } from '../../../src-shared/models/location'
import { REFUSAL_COLUMN, REFUSED_LINE_MEMBER } from '../../../src-shared/models/refused-rows-csv'
import { checkConfigValue } from './extension-config'
import { looksLikeMangledNumber } from './iccid'
import { LOCATION_FIELDS, rowLocation } from './location-cells'
import { METADATA_COLUMN, SIM_ID_COLUMN } from './import-fields'

/** A device as read from one row of an import file, before it is checked against the workspace. */
export interface ImportDevice {
  typeId: string
  deviceId: string
  description: string
  metadata: Record<string, string>
  extensionConfig: Record<string, unknown> | null
  location: Omit<DeviceLocation, 'updatedAt'> | null
}

type Refusal = { ok: false; message: string; ref: MessageRef }
export type RowOutcome = { ok: true; device: ImportDevice } | Refusal

function refuse(message: string, key: string, params?: Record<string, string | number>): Refusal {
  return { ok: false, message, ref: params ? { key, params } : { key } }
}

const CARRIER_IDS = { jasper: 'iccid', atnt: 'iccid', orange: 'serialnumber' } as const
type CarrierName = keyof typeof CARRIER_IDS

/**
 * The SIM a row names: `carrier` + `iccid` (Jasper, AT&T) or `carrier` + `serialnumber` (Orange; `carrier` may be left
 * empty there, as a serial number is Orange's alone). A carrier without its identifier, or an identifier the named
 * carrier does not use, is refused for that row rather than dropped.
 */
function carrierConfig(fields: Record<string, unknown>): { ok: true; config: Record<string, unknown> | null } | Refusal {
  const carrier = fields.carrier === undefined || fields.carrier === null ? '' : fields.carrier
  if (typeof carrier !== 'string') return refuse('carrier must be text', 'import.notString', { field: 'carrier' })
  const name = carrier.trim().toLowerCase()
  if (name !== '' && !(name in CARRIER_IDS)) return refuse(`Unknown carrier "${carrier.slice(0, 40)}": write jasper, atnt or orange`, 'import.unknownCarrier', { value: carrier.slice(0, 40) })
  // A device export names the SIM `simId`, whichever the carrier: it is the column that carrier takes.
  const simId = fields[SIM_ID_COLUMN]
  const given = (f: string) => fields[f] !== undefined && fields[f] !== null && fields[f] !== ''
  const fromExport: Record<string, unknown> = {}
  if (simId !== undefined && simId !== null && simId !== '' && !given('iccid') && !given('serialnumber')) {
    if (name === '') return refuse('A simId needs a carrier column: jasper, atnt or orange', 'import.missingField', { field: 'carrier' })
    fromExport[CARRIER_IDS[name as CarrierName]] = simId
  }
  const ids: Record<string, string> = {}
  for (const field of ['iccid', 'serialnumber'] as const) {
    const v = given(field) ? fields[field] : fromExport[field]
    if (v === undefined || v === null || v === '') continue
    if (typeof v === 'number') {
      return field === 'iccid'
        ? refuse(`ICCID ${v} is a number; ICCIDs must be text (numbers lose digits)`, 'import.numericIccid', { value: String(v) })
        : refuse('serialnumber must be text in quotes, not a number', 'import.notString', { field })
    }
    if (typeof v !== 'string') return refuse(`${field} must be text`, 'import.notString', { field })
    if (looksLikeMangledNumber(v)) {
      return field === 'iccid'
        ? refuse(`ICCID "${v}" was turned into a number by a spreadsheet and its digits are lost; format the column as text and export again`, 'import.numericIccid', { value: v })
        : refuse(`${field} "${v}" looks like a number a spreadsheet converted; the original digits are lost — format the column as text and export again`, 'import.mangledNumber', { field, value: v })
    }
    ids[field] = v
  }
  const chosen = (name || (ids.serialnumber !== undefined && ids.iccid === undefined ? 'orange' : '')) as CarrierName | ''
  if (chosen === '') {
    return ids.iccid === undefined ? { ok: true, config: null } : refuse('An ICCID needs a carrier column: jasper or atnt', 'import.missingField', { field: 'carrier' })
  }
  const needed = CARRIER_IDS[chosen]
  const other = needed === 'iccid' ? 'serialnumber' : 'iccid'
  if (ids[needed] === undefined) return refuse(`Carrier ${chosen} needs its ${needed} column filled`, 'import.carrierWithoutId', { carrier: chosen, field: needed })
  if (ids[other] !== undefined) return refuse(`Carrier ${chosen} takes ${needed}, not ${other}`, 'import.wrongIdForCarrier', { carrier: chosen, field: other })
  if (chosen === 'orange' && !ORANGE_SERIAL_PATTERN.test(ids.serialnumber!)) {
    return refuse(`The Orange serial number "${ids.serialnumber!.slice(0, 40)}" must be 13 digits`, 'import.badSerial', { value: ids.serialnumber!.slice(0, 40) })
  }
  return { ok: true, config: { [chosen]: { [needed]: ids[needed] } } }
}

/** A row is an object holding metadata: one level more than metadata, and no larger than a row may be. */
const ROW_LIMITS: JsonLimits = { maxDepth: METADATA_LIMITS.maxDepth + 1, maxBytes: 4 * 1024 * 1024 }

function refuseJson(fields: unknown, limits: JsonLimits, what: string): RowOutcome | null {
  const problem = inspectJson(fields, limits)
  if (!problem) return null
  const { message, key, params } = describeJsonProblem(problem, what)
  return refuse(message, key, params)
}

/** The refused-rows export's own members (its reason, a refused line kept as text) are known, so that a fixed export imports without them becoming metadata. */
const KNOWN = new Set<string>(['typeId', 'deviceId', 'description', 'carrier', 'iccid', 'serialnumber', 'metadata', 'extensionConfig', REFUSAL_COLUMN, REFUSED_LINE_MEMBER, ...LOCATION_FIELDS])

/**
 * A device export's columns (`devices export`, the app's Export): `simId` is read as the carrier's identifier, and the
 * columns Fieldline works out itself (the SIM cache's status and usage, extensions, last change, weather…) are not kept
 * as metadata, so that an export imports again as the devices it holds. Its `metadata.<field>` columns are metadata.
 */
const EXPORT_ONLY = new Set<string>(DEVICE_COLUMNS.filter((c) => !['typeId', 'deviceId', 'description', 'carrier'].includes(c)))

/**
 * Turns the fields of one row (CSV cells or a JSON object) into a device, or says precisely why not.
 * Identifiers are strings, always: a number where an id belongs is refused, because a spreadsheet or a
 * JSON writer that made it a number may already have lost digits.
 */
export function rowToDevice(fields: Record<string, unknown>): RowOutcome {
  // Before anything copies the row: Infinity would be stored as null and a "__proto__" member would vanish.
  const unsafe = refuseJson(fields, ROW_LIMITS, 'The row')
  if (unsafe) return unsafe
  for (const field of ['typeId', 'deviceId']) {
    const v = fields[field]
    if (v === undefined || v === null || v === '') return refuse(`Missing ${field}`, 'import.missingField', { field })
    if (typeof v !== 'string') return refuse(`${field} must be text in quotes, not ${typeof v === 'number' ? 'a number' : typeof v}`, 'import.notString', { field })
    if (looksLikeMangledNumber(v))
      return refuse(`${field} "${v}" looks like a number a spreadsheet converted; the original digits are lost — format the column as text and export again`, 'import.mangledNumber', {
        field,
        value: v,
      })
    if (!DEVICE_ID_PATTERN.test(v)) return refuse(`${field} "${v.slice(0, 60)}" must be 1–36 letters, digits, '-', '_' or '.'`, 'errors.invalidDeviceId', { field, value: v.slice(0, 60) })
  }
  const description = fields.description ?? ''
  if (typeof description !== 'string' || description.length > 1000) return refuse('description must be text of at most 1000 characters', 'import.badRow', { detail: 'description' })

  let extensionConfig: Record<string, unknown> | null = null
  if (fields.extensionConfig !== undefined && fields.extensionConfig !== null) {
    if (typeof fields.extensionConfig !== 'object' || Array.isArray(fields.extensionConfig)) return refuse('extensionConfig must be an object', 'import.badRow', { detail: 'extensionConfig' })
    extensionConfig = fields.extensionConfig as Record<string, unknown>
  }
  const sim = carrierConfig(fields)
  if (!sim.ok) return sim
  if (sim.config) extensionConfig = { ...extensionConfig, ...sim.config }
  if (extensionConfig) {
    const check = checkConfigValue(extensionConfig)
    if (!check.valid) return refuse(`Invalid extension configuration: ${check.messages.join('; ')}`, 'import.badConfig', { detail: check.messages.join('; ') })
  }

  const place = rowLocation(fields)
  if (!place.ok) return place

  const metadata: Record<string, string> = {}
  const rawMeta = fields.metadata
  if (rawMeta !== undefined && rawMeta !== null) {
    if (typeof rawMeta !== 'object' || Array.isArray(rawMeta)) return refuse('metadata must be an object', 'import.badRow', { detail: 'metadata' })
    for (const [k, v] of Object.entries(rawMeta)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v)
  }
  for (const [k, v] of Object.entries(fields)) {
    if (KNOWN.has(k) || EXPORT_ONLY.has(k) || v === undefined || v === '') continue
    const key = k.startsWith(METADATA_COLUMN) && k.length > METADATA_COLUMN.length ? k.slice(METADATA_COLUMN.length) : k
    // An export writes a field a device does not hold as an empty cell, or null in JSON Lines.
    if (key !== k && v === null) continue
    if (FORBIDDEN_KEYS.has(key)) return refuse(`The column "${k}" is not allowed`, 'import.forbiddenColumn', { column: k })
    metadata[key] = typeof v === 'string' ? v : JSON.stringify(v)
  }
  const oversized = refuseJson(metadata, METADATA_LIMITS, 'The metadata')
  if (oversized) return oversized
  return { ok: true, device: { typeId: fields.typeId as string, deviceId: fields.deviceId as string, description, metadata, extensionConfig, location: place.location } }
}
