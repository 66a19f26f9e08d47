/**
 * Imports mbed endpoints into the workspace as devices: typeId = the endpoint's type when it is a valid type id, else
 * the default device type (the same rule the bridge uses for topics, so an imported device is the device the bridge
 * publishes for); deviceId = the endpoint name.
 *
 * Written like every other device change (devices.service.ts): the new device documents and their audit entry in one
 * bulkDocs call, then the events (the device index follows the workspace by itself). Endpoints whose name breaks the device id rule
 * (1–36 of A–Z a–z 0–9 - _ .) are refused and reported one by one; devices that already exist are left untouched
 * and reported as existing.
 */
import { DEVICE_ID_PATTERN, type DeviceKey, type MessageRef } from '../../../src-shared/contract'
import type { EventBus } from '../common/events'
import { auditDoc } from '../store/audit.store'
import { deviceDocId, getDeviceDoc, newDeviceDoc, type DeviceDoc } from '../store/devices.store'
import { assertBulkOk, type Db } from '../store/documents'
import { deviceTypeFor } from './endpoint-types'

export interface ImportableEndpoint {
  name: string
  /** The endpoint type ('' or absent when unknown). */
  type?: string
  queueMode?: boolean
}

export interface EndpointImportReport {
  added: DeviceKey[]
  existing: DeviceKey[]
  refused: { name: string; reason: string; ref: MessageRef }[]
}

export interface ImportEndpointsOptions {
  defaultDeviceType: string
  /** Who asked, for the audit trail (`ui`, `cli:<user>`). */
  actor: string
  /** Where the endpoints came from, for the audit entry (the API URL). */
  source?: string
  bus?: EventBus
}

/** Endpoints per bulkDocs call (each with its own audit entry), as the file import batches its writes. */
const BATCH = 500

export async function importEndpoints(db: Db, endpoints: readonly ImportableEndpoint[], options: ImportEndpointsOptions): Promise<EndpointImportReport> {
  if (!DEVICE_ID_PATTERN.test(options.defaultDeviceType)) {
    throw new RangeError(`defaultDeviceType must match the device id rule, got ${JSON.stringify(options.defaultDeviceType.slice(0, 40))}`)
  }
  const report: EndpointImportReport = { added: [], existing: [], refused: [] }
  const seen = new Set<string>()
  const fresh: DeviceDoc[] = []
  const now = new Date().toISOString()

  for (const e of endpoints) {
    if (!DEVICE_ID_PATTERN.test(e.name)) {
      report.refused.push({
        name: e.name,
        reason: `Endpoint name "${e.name.slice(0, 60)}" cannot be a device id: use 1–36 letters, digits, '-', '_' or '.'`,
        ref: { key: 'mbed.import.invalidName', params: { name: e.name.slice(0, 60) } },
      })
      continue
    }
    const key: DeviceKey = { typeId: deviceTypeFor(e.type || undefined, options.defaultDeviceType), deviceId: e.name }
    const id = deviceDocId(key)
    if (seen.has(id)) continue
    seen.add(id)
    if (await getDeviceDoc(db, key)) {
      report.existing.push(key)
      continue
    }
    const metadata: Record<string, unknown> = { mbedEndpoint: e.name }
    if (e.type) metadata.mbedType = e.type
    if (e.queueMode !== undefined) metadata.mbedQueueMode = e.queueMode
    fresh.push(newDeviceDoc({ ...key, description: e.type ? `mbed endpoint (${e.type})` : 'mbed endpoint', metadata }, now))
  }

  for (let i = 0; i < fresh.length; i += BATCH) {
    const batch = fresh.slice(i, i + BATCH)
    const audit = auditDoc({
      at: now,
      actor: options.actor,
      action: 'devices.import.mbed',
      target: options.source ?? 'mbed endpoints',
      outcome: 'ok',
      after: { added: batch.map((d) => `${d.typeId}/${d.deviceId}`) },
      detail: `${batch.length} mbed endpoint(s) imported as devices${report.refused.length > 0 && i === 0 ? `; ${report.refused.length} refused` : ''}`,
    })
    assertBulkOk(await db.bulkDocs([...batch, audit] as DeviceDoc[]))
    for (const d of batch) report.added.push({ typeId: d.typeId, deviceId: d.deviceId })
  }
  if (report.added.length > 0) {
    options.bus?.emit('devices:changed', { reason: 'imported' })
    options.bus?.emit('audit:changed', {})
  }
  return report
}
