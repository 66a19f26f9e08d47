import type { Device, DeviceKey, DeviceSummary } from '../../../src-shared/contract'
import { deviceDocId } from '../../../src-shared/models/device-id'
import type { DeviceLocation } from '../../../src-shared/models/location'
import { getOrNull, type BaseDoc, type Db } from './documents'
import { CURRENT_SCHEMA } from './schema'

export interface DeviceDoc extends BaseDoc {
  kind: 'device'
  typeId: string
  deviceId: string
  description: string
  metadata: Record<string, unknown>
  extensionConfig: Record<string, unknown> | null
  /** Device-management packages whose actions this device accepts; absent on documents written before. */
  supportedBundles?: string[]
  /** Where the device is (set by an operator, imported, or reported by the device); absent when unknown. */
  location?: DeviceLocation
  createdAt: string
  updatedAt: string
}

export interface DraftDoc extends BaseDoc {
  kind: 'draft'
  target: string
  text: string
  savedAt: string
}

export { deviceDocId }

/** Drafts are separate documents so that autosaving an edit never conflicts with the device itself. */
export function draftDocId(key: DeviceKey): string {
  return `draft:${deviceDocId(key)}`
}

export function newDeviceDoc(
  input: DeviceKey & { description: string; metadata: Record<string, unknown>; extensionConfig?: Record<string, unknown> | null; location?: Omit<DeviceLocation, 'updatedAt'> | null },
  now: string,
): DeviceDoc {
  return {
    ...(input.location ? { location: { ...input.location, updatedAt: now } } : {}),
    _id: deviceDocId(input),
    kind: 'device',
    schemaVersion: CURRENT_SCHEMA.device,
    typeId: input.typeId,
    deviceId: input.deviceId,
    description: input.description,
    metadata: input.metadata,
    extensionConfig: input.extensionConfig ?? null,
    createdAt: now,
    updatedAt: now,
  }
}

export function toSummary(doc: DeviceDoc): DeviceSummary {
  return {
    typeId: doc.typeId,
    deviceId: doc.deviceId,
    description: doc.description,
    extensions: doc.extensionConfig ? Object.keys(doc.extensionConfig).sort() : [],
  }
}

export function toDevice(doc: DeviceDoc, draft: DraftDoc | null): Device {
  return {
    ...toSummary(doc),
    metadata: doc.metadata,
    extensionConfig: doc.extensionConfig,
    supportedBundles: doc.supportedBundles ?? [],
    location: doc.location ?? null,
    draft: draft ? { text: draft.text, savedAt: draft.savedAt } : null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  }
}

export async function getDeviceDoc(db: Db, key: DeviceKey) {
  return getOrNull<DeviceDoc>(db, deviceDocId(key))
}

export async function getDraftDoc(db: Db, key: DeviceKey) {
  return getOrNull<DraftDoc>(db, draftDocId(key))
}
