/**
 * Managed devices' location updates, received on the platform MQTT links the operator chose to follow (docs/wire/platform-mqtt.md §3):
 * a gateway publishes `iotdevice-1/type/<t>/id/<d>/device/update/location` with `{"d": {longitude, latitude,
 * elevation?, accuracy?, measuredDateTime?}, "reqId"}`, and Fieldline, in the platform's place, stores the position
 * on device d and answers `{"rc", "reqId"}` on `iotdm-1/type/<t>/id/<d>/response`: 200 once the position is stored
 * (or superseded by a later one), 400 for an invalid update, 403 when this computer may not record it (below), 404 for
 * a device the workspace does not have, 500 when the workspace could not write it. The answer is sent only after the write, so a 200 is never lost.
 *
 * A directly connected device publishes `iotdevice-1/device/update/location`, which names no device (the platform
 * knows the sender from its client id; MQTT does not tell a subscriber). Those cannot be attributed: they are counted
 * and logged, and not answered, since any answer on the shared `iotdm-1/response` would reach every device.
 *
 * Following is a choice, not a side effect of opening a link: a broker that does not let this application read
 * iotdevice-1 topics (Watson IoT itself keeps them to the platform) may refuse the subscription or close the
 * connection, and the mbed bridge or a device-management action sharing that link must not pay for it.
 *
 * Where the team server refuses this computer's changes to devices (a viewer's computer, core/sync/role-gate.ts), the
 * position, a field of the shared device document, would never reach the team: the core does not save it, so nothing
 * is recorded here. Following is refused with that reason, and an update that arrives while following (the role became
 * known after following started) is answered 403, forbidden (docs/wire/platform-mqtt.md §3): the update is valid and
 * the device known, it is this recorder that may not write it, and a gateway does not retry a refusal as it may a 500.
 * One warning a minute says so in the log, not an error per update.
 *
 * Updates from one device are written one at a time; while one is being written, later ones wait and only the one
 * measured last is written next (its predecessors are answered with it), so a device reporting fast costs one write
 * at a time, never a queue.
 */
import { z } from 'zod'
import type { DeviceKey } from '../../../src-shared/contract'
import { locationUpdateSchema, type DeviceLocation, type LocationUpdate } from '../../../src-shared/models/location'
import type { SyncRole } from '../../../src-shared/models/sync'
import { AppError, isAppError } from '../common/errors'
import type { Logger } from '../log/logger'
import type { PlatformLink } from '../platform/link'
import { DM_DIRECT_LOCATION_TOPIC, DM_LOCATION_SUBSCRIPTION, dmPlatformResponseTopic, parseTopic } from '../platform/topics'
import { assertNotFuture, type LocationService } from './location.service'

/** A location update is a few hundred bytes; anything far larger is not one and is not parsed. */
const MAX_UPDATE_BYTES = 4096
/** At most one warning a minute about updates not applied (unattributable, or not recorded here): a chatty device must not fill the log. */
const WARNING_INTERVAL_MS = 60_000

const reqIdOnly = z.object({ reqId: z.string().min(1).max(128) })

interface Pending {
  link: PlatformLink
  key: DeviceKey
  position: Omit<DeviceLocation, 'source' | 'updatedAt'> & { measuredAt: string }
  reqIds: string[]
}

export interface LocationIntakeDeps {
  locations: Pick<LocationService, 'fromDevice'>
  /** The team role when the team server refuses this computer's changes to devices (the role gate's word), else null. */
  refusingDevices?: () => SyncRole | null
  logger?: Logger
  now?: () => Date
}

/** Why following is refused on a computer whose changes to devices the team server refuses. */
export function notRecordedHere(role: SyncRole): AppError {
  return AppError.withRef(
    'FORBIDDEN',
    `This computer is a ${role} on the team server, which refuses its changes to devices: location reports are not recorded here (ask a team administrator for the operator role, or stop sharing devices in Team sync)`,
    { key: 'location.follow.notRecorded' },
  )
}

export interface LocationIntakeStats {
  stored: number
  stale: number
  refused: number
  unknownDevice: number
  failed: number
  /** Updates answered 403: the team server refuses this computer's changes to devices. */
  notRecorded: number
  /** Direct-form updates, which name no device. */
  unattributed: number
}

export function createLocationIntake({ locations, refusingDevices = () => null, logger, now = () => new Date() }: LocationIntakeDeps) {
  const waiting = new Map<string, Pending>()
  const writing = new Set<string>()
  const idle: (() => void)[] = []
  const stats: LocationIntakeStats = { stored: 0, stale: 0, refused: 0, unknownDevice: 0, failed: 0, notRecorded: 0, unattributed: 0 }
  const followed = new WeakSet<PlatformLink>()
  let lastDirectWarning = -Infinity
  let lastNotRecordedWarning = -Infinity

  function notRecorded(e: AppError, updates: number): void {
    stats.notRecorded += updates
    const at = now().getTime()
    if (at - lastNotRecordedWarning < WARNING_INTERVAL_MS) return
    lastNotRecordedWarning = at
    logger?.warn({ count: stats.notRecorded, reason: e.message }, 'location intake: location reports are not recorded on this computer; they are answered 403')
  }

  function answer(link: PlatformLink, key: DeviceKey, rc: number, reqId: string): void {
    link.publish(dmPlatformResponseTopic(key.typeId, key.deviceId), { rc, reqId }, { qos: 1 }).catch((e: unknown) => {
      logger?.warn({ device: `${key.typeId}/${key.deviceId}`, rc, err: e instanceof Error ? e.message : String(e) }, 'location intake: the answer to a location update was not delivered')
    })
  }

  function refuse(link: PlatformLink, key: DeviceKey, payload: unknown, why: string): void {
    stats.refused++
    logger?.warn({ device: `${key.typeId}/${key.deviceId}`, why }, 'location intake: refused a location update')
    const id = reqIdOnly.safeParse(payload)
    if (id.success) answer(link, key, 400, id.data.reqId)
  }

  async function drain(id: string): Promise<void> {
    writing.add(id)
    try {
      for (let next = waiting.get(id); next; next = waiting.get(id)) {
        waiting.delete(id)
        let rc = 200
        try {
          const outcome = await locations.fromDevice(next.key, next.position)
          if (outcome === 'unknown') {
            stats.unknownDevice++
            rc = 404
          } else stats[outcome]++
        } catch (e) {
          if (isAppError(e) && e.code === 'FORBIDDEN') {
            notRecorded(e, next.reqIds.length)
            rc = 403
          } else {
            stats.failed++
            rc = 500
            logger?.error({ device: id, err: isAppError(e) ? e.message : e instanceof Error ? e.message : String(e) }, 'location intake: the location was not stored')
          }
        }
        for (const reqId of next.reqIds) answer(next.link, next.key, rc, reqId)
      }
    } finally {
      writing.delete(id)
      if (writing.size === 0) for (const resolve of idle.splice(0)) resolve()
    }
  }

  function accept(link: PlatformLink, key: DeviceKey, update: LocationUpdate): void {
    const d = update.d
    const position = {
      latitude: d.latitude,
      longitude: d.longitude,
      elevation: d.elevation ?? null,
      accuracy: d.accuracy ?? null,
      // A report without its own time was measured, as far as anyone can tell, when it arrived.
      measuredAt: d.measuredDateTime ?? now().toISOString(),
    }
    const id = `${key.typeId}/${key.deviceId}`
    const queued = waiting.get(id)
    if (queued) {
      queued.reqIds.push(update.reqId)
      if (Date.parse(position.measuredAt) >= Date.parse(queued.position.measuredAt)) Object.assign(queued, { link, position })
    } else waiting.set(id, { link, key, position, reqIds: [update.reqId] })
    if (!writing.has(id)) void drain(id)
  }

  function onGatewayUpdate(link: PlatformLink, topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic)
    if (parsed?.kind !== 'dm-location') return
    const key = { typeId: parsed.type, deviceId: parsed.id }
    if (payload.length > MAX_UPDATE_BYTES) {
      stats.refused++
      logger?.warn({ device: `${key.typeId}/${key.deviceId}`, bytes: payload.length }, 'location intake: an oversized location update was ignored')
      return
    }
    let body: unknown
    try {
      body = JSON.parse(payload.toString('utf8'))
    } catch {
      stats.refused++
      logger?.warn({ device: `${key.typeId}/${key.deviceId}` }, 'location intake: a location update that is not JSON was ignored')
      return
    }
    const update = locationUpdateSchema.safeParse(body)
    if (!update.success)
      return refuse(
        link,
        key,
        body,
        update.error.issues
          .map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`)
          .join('; ')
          .slice(0, 300),
      )
    try {
      assertNotFuture(update.data.d.measuredDateTime ?? null, now().getTime())
    } catch (e) {
      return refuse(link, key, body, e instanceof Error ? e.message : 'measured in the future')
    }
    accept(link, key, update.data)
  }

  function onDirectUpdate(profileId: string): void {
    stats.unattributed++
    const at = now().getTime()
    if (at - lastDirectWarning < WARNING_INTERVAL_MS) return
    lastDirectWarning = at
    logger?.warn(
      { profile: profileId, topic: DM_DIRECT_LOCATION_TOPIC, count: stats.unattributed },
      'location intake: location updates in the direct form name no device and cannot be applied; devices must report through a gateway (iotdevice-1/type/<t>/id/<d>/device/update/location)',
    )
  }

  function assertRecordable(): void {
    const role = refusingDevices()
    if (role !== null) throw notRecordedHere(role)
  }

  return {
    /** Throws where the team server refuses this computer's changes to devices: what it reports is not recorded here. */
    assertRecordable,

    /**
     * Listens on `link` (once, however often asked); the subscriptions last as long as the link. Throws, listening to
     * nothing, where the team server refuses this computer's changes to devices.
     */
    attach(profileId: string, link: PlatformLink): void {
      assertRecordable()
      if (followed.has(link)) return
      followed.add(link)
      const subscriptions = [
        link.subscribe(DM_LOCATION_SUBSCRIPTION, (topic, payload) => onGatewayUpdate(link, topic, payload)),
        link.subscribe(DM_DIRECT_LOCATION_TOPIC, () => onDirectUpdate(profileId)),
      ]
      for (const s of subscriptions) {
        s.ready.catch((e: unknown) => logger?.warn({ profile: profileId, err: e instanceof Error ? e.message : String(e) }, 'location intake: the broker refused the subscription'))
      }
    },

    stats(): LocationIntakeStats {
      return { ...stats }
    },

    /** Resolves once every update received so far is written and answered (for close, and for tests). */
    settled(): Promise<void> {
      if (writing.size === 0) return Promise.resolve()
      return new Promise((resolve) => idle.push(resolve))
    },
  }
}

export type LocationIntake = ReturnType<typeof createLocationIntake>
