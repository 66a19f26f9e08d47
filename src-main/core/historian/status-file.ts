/**
 * The status file each forwarder keeps in its directory (`historian/<id>/status.json`, written by forwarder.ts): read by
 * `fieldline historian status` from another process, and by the app when it starts, to show what a forwarder that ran
 * before left queued on disk. A file that is missing, cut short or not a status reads as none.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { historianStatusSchema, type HistorianStatus } from '../../../src-shared/models/historian'
import { processAlive } from '../store/disk-queue'

const statusFileSchema = z.object({ pid: z.number().int(), updatedAt: z.string(), status: historianStatusSchema })
export type StatusFile = z.infer<typeof statusFileSchema>

/**
 * Where a forwarder keeps its queues and its status file. Here rather than in forwarder.ts, so that reading a status
 * (`fieldline historian status`) does not load the forwarder's MQTT and Kafka clients.
 */
export function forwarderDir(dataDir: string, id: string): string {
  return join(dataDir, 'historian', id)
}

/** The forwarder directories of a data directory (one per profile that ever ran, `env` for the variables). */
export function forwarderIds(dataDir: string): string[] {
  const root = join(dataDir, 'historian')
  try {
    return readdirSync(root)
      .filter((d) => statSync(join(root, d)).isDirectory())
      .sort()
  } catch {
    return []
  }
}

export function readStatusFile(dataDir: string, id: string): StatusFile | null {
  try {
    const parsed = statusFileSchema.safeParse(JSON.parse(readFileSync(join(forwarderDir(dataDir, id), 'status.json'), 'utf8')))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/**
 * The last forwarder of this data directory as it was left, when nothing runs now: stopped (or failed), its
 * destinations stopped with the queues they had. A forwarder killed while it ran wrote its status each second, so its
 * queue counts are at most that old; the events themselves are on disk and go at the next start.
 */
export function restingStatus(dataDir: string): HistorianStatus | null {
  const latest = forwarderIds(dataDir)
    .map((id) => readStatusFile(dataDir, id))
    .filter((f): f is StatusFile => f !== null)
    .sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))
    .at(-1)
  if (!latest) return null
  const s = latest.status
  // A file still saying it runs, of a process that is gone: that run was killed or crashed rather than stopped.
  const abrupt = s.state !== 'stopped' && s.state !== 'failed' && (latest.pid === process.pid || !processAlive(latest.pid))
  return {
    ...s,
    ...(abrupt ? { endedAbruptlyAt: latest.updatedAt } : {}),
    state: s.state === 'failed' ? 'failed' : 'stopped',
    mqtt: { state: 'off', filter: null, reason: null },
    destinations: s.destinations.map((d) => ({ ...d, state: 'stopped', eventsPerSecond: 0, nextTryAt: null })),
  }
}
