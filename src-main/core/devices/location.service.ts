/**
 * A device's location (docs/wire/platform-mqtt.md §3, docs/wire/weather.md §7): set or cleared by an operator (audited, in the same bulkDocs call as
 * the change), or reported by the managed device itself (location-intake.ts; not an operator action, so not audited).
 * The newest measurement wins: a device's report measured before the stored position is not applied.
 *
 * The location lives on the device document, where the platform keeps it; a write re-reads the document and changes
 * only the location, so an operator's edit and a device's report racing each other both land.
 */
import type { Device, DeviceKey, ParsedInput } from '../../../src-shared/contract'
import { MAX_FUTURE_MS, type DeviceLocation, type LocationSource } from '../../../src-shared/models/location'
import type { CallContext } from '../common/call-context'
import { AppError } from '../common/errors'
import type { EventBus } from '../common/events'
import { auditDoc } from '../store/audit.store'
import { getDeviceDoc, toDevice, getDraftDoc, type DeviceDoc } from '../store/devices.store'
import { isConflict, type Db } from '../store/documents'

export interface LocationDeps {
  db: Db
  bus: EventBus
  now?: () => Date
}

const ATTEMPTS = 5
/** One `devices:location` event carries at most this many devices; more are sent in further events. */
const EVENT_BATCH = 1000
const EVENT_INTERVAL_MS = 100

function label(key: DeviceKey): string {
  return `${key.typeId}/${key.deviceId}`
}

function notFound(key: DeviceKey): AppError {
  return AppError.withRef('NOT_FOUND', `Device ${label(key)} does not exist`, { key: 'errors.deviceNotFound', params: { id: label(key) } })
}

/** `measuredAt` later than the clock allows for is a wrong clock, not a measurement. */
export function assertNotFuture(measuredAt: string | null, now: number): void {
  if (measuredAt !== null && Date.parse(measuredAt) > now + MAX_FUTURE_MS) {
    throw AppError.withRef('VALIDATION', `The location was measured in the future (${measuredAt.slice(0, 40)}); check the clock that wrote it`, {
      key: 'location.measuredInFuture',
      params: { at: measuredAt.slice(0, 40) },
    })
  }
}

/**
 * `devices:location` names the devices whose location changed. A fleet reporting at once would otherwise push one
 * event per device: changes are gathered and pushed at most ten times a second (DESIGN: ≤ 10 pushes/s).
 */
function locationEvents(bus: EventBus) {
  const pending = new Map<string, { typeId: string; deviceId: string; source: LocationSource }>()
  let timer: NodeJS.Timeout | undefined
  const flush = (): void => {
    if (timer) clearTimeout(timer)
    timer = undefined
    while (pending.size > 0) {
      const items = [...pending.values()].slice(0, EVENT_BATCH)
      for (const i of items) pending.delete(`${i.typeId}/${i.deviceId}`)
      bus.emit('devices:location', { items })
    }
  }
  return {
    push(key: DeviceKey, source: LocationSource, now: boolean): void {
      pending.set(label(key), { typeId: key.typeId, deviceId: key.deviceId, source })
      if (now || pending.size >= EVENT_BATCH) flush()
      else if (!timer) {
        timer = setTimeout(flush, EVENT_INTERVAL_MS)
        timer.unref?.()
      }
    },
    flush,
  }
}

export function createLocationService({ db, bus, now = () => new Date() }: LocationDeps) {
  const events = locationEvents(bus)

  /**
   * Re-reads the device and writes `change(doc)` (with its audit entry, when one is given) until no other write came in
   * between. PouchDB writes each document of a bulk call on its own: when the device lost the race, the audit entry
   * written beside it is removed again before the next attempt, so the trail records the change once.
   */
  async function write(key: DeviceKey, change: (doc: DeviceDoc) => { doc: DeviceDoc; audit?: ReturnType<typeof auditDoc> } | null): Promise<(DeviceDoc & { _rev: string }) | null> {
    for (let attempt = 1; ; attempt++) {
      const current = await getDeviceDoc(db, key)
      if (!current) throw notFound(key)
      const next = change(current)
      if (!next) return null
      const docs: object[] = next.audit ? [next.doc, next.audit] : [next.doc]
      const results = await db.bulkDocs(docs as DeviceDoc[])
      const [deviceResult, auditResult] = results
      if (deviceResult && 'ok' in deviceResult && deviceResult.ok) {
        if (auditResult && 'error' in auditResult && auditResult.error) throw new Error(`the audit entry was not written: ${auditResult.message ?? ''}`)
        return { ...next.doc, _rev: (deviceResult as PouchDB.Core.Response).rev }
      }
      if (auditResult && 'ok' in auditResult && auditResult.ok) await db.remove(next.audit!._id, (auditResult as PouchDB.Core.Response).rev)
      if (!isConflict(deviceResult) || attempt >= ATTEMPTS) {
        if (isConflict(deviceResult)) throw AppError.withRef('CONFLICT', `Device ${label(key)} keeps being changed elsewhere; try again`, { key: 'errors.deviceChanged', params: { id: label(key) } })
        throw new Error(`the device was not written: ${(deviceResult as PouchDB.Core.Error | undefined)?.message ?? 'no answer'}`)
      }
    }
  }

  async function asDevice(doc: DeviceDoc & { _rev: string }, key: DeviceKey): Promise<Device> {
    return toDevice(doc, await getDraftDoc(db, key))
  }

  return {
    async set(input: ParsedInput<'devices:setLocation'>, ctx: CallContext): Promise<Device> {
      const at = now()
      assertNotFuture(input.measuredAt ?? null, at.getTime())
      const key = { typeId: input.typeId, deviceId: input.deviceId }
      const location: DeviceLocation = {
        latitude: input.latitude,
        longitude: input.longitude,
        elevation: input.elevation ?? null,
        accuracy: input.accuracy ?? null,
        measuredAt: input.measuredAt ?? null,
        source: 'operator',
        updatedAt: at.toISOString(),
      }
      const saved = await write(key, (doc) => ({
        doc: { ...doc, location, updatedAt: location.updatedAt },
        audit: auditDoc({ at: location.updatedAt, actor: ctx.actor, action: 'device.location.set', target: label(key), outcome: 'ok', before: doc.location ?? null, after: location }),
      }))
      events.push(key, 'operator', true)
      bus.emit('audit:changed', {})
      return asDevice(saved!, key)
    },

    async clear(key: DeviceKey, ctx: CallContext): Promise<{ cleared: boolean }> {
      const at = now().toISOString()
      const saved = await write(key, (doc) => {
        if (!doc.location) return null
        const { location: before, ...rest } = doc
        return { doc: { ...rest, updatedAt: at }, audit: auditDoc({ at, actor: ctx.actor, action: 'device.location.clear', target: label(key), outcome: 'ok', before }) }
      })
      if (!saved) return { cleared: false }
      events.push(key, 'operator', true)
      bus.emit('audit:changed', {})
      return { cleared: true }
    },

    /**
     * A managed device's own report. 'stale' when the stored position was measured later (reports can arrive out of
     * order); 'unknown' when the workspace has no such device (a report does not create one).
     */
    async fromDevice(key: DeviceKey, reported: Omit<DeviceLocation, 'source' | 'updatedAt'>): Promise<'stored' | 'stale' | 'unknown'> {
      const location: DeviceLocation = { ...reported, source: 'device', updatedAt: now().toISOString() }
      let stale = false
      try {
        await write(key, (doc) => {
          const stored = doc.location?.measuredAt
          stale = Boolean(stored && location.measuredAt && Date.parse(location.measuredAt) < Date.parse(stored))
          return stale ? null : { doc: { ...doc, location } }
        })
      } catch (e) {
        if (e instanceof AppError && e.code === 'NOT_FOUND') return 'unknown'
        throw e
      }
      if (stale) return 'stale'
      events.push(key, 'device', false)
      return 'stored'
    },

    close(): void {
      events.flush()
    },
  }
}

export type LocationService = ReturnType<typeof createLocationService>
