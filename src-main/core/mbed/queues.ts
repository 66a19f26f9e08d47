/**
 * The mbed bridges' queues on disk (`<data dir>/mbed/queues/`, queue-dir.ts) as `fieldline bridge mbed queues` shows
 * them, and the removal of one nobody will send any more.
 *
 * Why: a bridge configured by FIELDLINE_* variables finds its queue by a hash of its mbed URL, broker URL and client
 * id, so changing one of them starts a new queue and strands the old one with whatever it held; a deleted mbed profile
 * leaves its queue too. Each queue is listed with whom it belongs to (a saved profile, or the configuration recorded
 * in its `origin.json`), whether that owner is still configured, the messages waiting, its size, its oldest message,
 * the process holding it, the early async responses its `early/` journal holds (early-answers.ts), and the commands
 * its `commands/` journal holds (command-journal.ts): taken from the broker, acknowledged, not yet sent to devices.
 *
 * Removal is refused for a queue still configured (a saved profile's, or the current environment's: its bridge would
 * publish those messages at its next start) and for one a running bridge holds (its lock, taken here too while the
 * directory is deleted, so no bridge can open it meanwhile). The early answers go with it: they are this queue's alone
 * (its journal lives in the queue's directory, under the queue's lock), and only a bridge opening this queue would ever
 * publish them — the one its owner, no longer configured, will not start again. So do the journalled commands: the
 * broker forgot them once the bridge acknowledged them, so removing the queue drops them for good. The removal says
 * how many of each, and keeps the queue's MQTT session to end at the next start of a bridge on its broker (session.ts).
 */
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { AppError } from '../common/errors'
import { redactUrlsIn } from '../common/redact-url'
import { inspectQueue, queueHolder, removeQueueDir } from '../store/disk-queue'
import { journalledCommands } from './command-journal'
import { countEarlyAnswers } from './early-answers'
import { outItemCodec } from './publish-queue'
import { mbedQueuesDir, type QueueIdentity } from './queue-dir'
import { removeWithSession } from './session'

/** Whom a queue belongs to. */
export type MbedQueueOwner =
  | { kind: 'profile'; id: string; name: string | null }
  /** FIELDLINE_* variables; the URLs and client id are null for a queue written before Fieldline recorded them. */
  | { kind: 'environment'; mbedUrl: string | null; mqttUrl: string | null; clientId: string | null }

export interface MbedQueueInfo {
  /** The directory's name: `profile-<id>` or `env-<hash>`. */
  name: string
  dir: string
  owner: MbedQueueOwner
  /** Its owner still runs on it: the profile exists, or it is the current environment's configuration. */
  configured: boolean
  /** The process of the bridge holding it, or null. */
  heldBy: number | null
  /** Messages waiting for the broker. */
  waiting: number
  /** Messages it dropped over its life (full while the broker was away). */
  dropped: number
  /**
   * Async responses that came before their command's 202, held in its `early/` journal: the next bridge on this queue
   * publishes them by the endpoint and path their id names (or counts them as unmatched).
   */
  early: number
  /**
   * Commands in its `commands/` journal: taken from the broker (acknowledged, so the broker no longer has them) and
   * not yet sent to mbed; the next bridge on this queue sends them.
   */
  commands: number
  /** When the broker delivered the oldest of those commands (ISO), or null when there is none. */
  commandsOldestAt: string | null
  /** Bytes on disk, the early journal's included. */
  bytes: number
  /** When its oldest waiting message was queued (ISO), or null (none, or queued before Fieldline recorded it). */
  oldestAt: string | null
}

export interface QueueContext {
  /** The saved mbed profiles (id and name). */
  profiles: readonly { id: string; name: string }[]
  /** The queue name of the configuration in the current environment (FIELDLINE_*), if it has a complete one. */
  current?: string | null
}

const NAME = /^(profile-[a-z0-9][a-z0-9-]*|env-[0-9a-f]{16})$/
const ORIGIN = 'origin.json'

/**
 * Records, in an environment-configured bridge's queue, the configuration its name is a hash of (never a secret), so
 * that the list can say whose it is once that configuration has changed.
 */
export function recordEnvironmentOrigin(dir: string, config: QueueIdentity): void {
  mkdirSync(dir, { recursive: true })
  const origin = { mbedUrl: redactUrlsIn(config.mbed.apiUrl), mqttUrl: redactUrlsIn(config.mqtt.url), clientId: config.mqtt.clientId }
  writeFileSync(join(dir, ORIGIN), `${JSON.stringify(origin)}\n`)
}

/**
 * The queues of the FIELDLINE_* bridges that the one of `queueDir`, configured by `config`, replaces: those whose
 * origin names the same mbed URL with another broker URL or client id, and that no bridge holds. The variables of that
 * mbed account's bridge changed, so their sessions are ended (session.ts); the queues stay for `queues remove`.
 */
export function replacedEnvironmentQueues(dataDir: string, config: QueueIdentity, queueDir: string): string[] {
  const mbedUrl = redactUrlsIn(config.mbed.apiUrl)
  let names: string[]
  try {
    names = readdirSync(mbedQueuesDir(dataDir)).filter((n) => n.startsWith('env-') && NAME.test(n))
  } catch {
    return []
  }
  return names.map((n) => join(mbedQueuesDir(dataDir), n)).filter((dir) => resolve(dir) !== resolve(queueDir) && readOrigin(dir).mbedUrl === mbedUrl && queueHolder(dir) === null)
}

function readOrigin(dir: string): { mbedUrl: string | null; mqttUrl: string | null; clientId: string | null } {
  const text = (() => {
    try {
      return readFileSync(join(dir, ORIGIN), 'utf8')
    } catch {
      return null
    }
  })()
  let v: Record<string, unknown> = {}
  try {
    const parsed: unknown = text === null ? {} : JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null) v = parsed as Record<string, unknown>
  } catch {
    // Unreadable: whose it is stays unknown.
  }
  const str = (x: unknown): string | null => (typeof x === 'string' && x.length > 0 ? x : null)
  return { mbedUrl: str(v.mbedUrl), mqttUrl: str(v.mqttUrl), clientId: str(v.clientId) }
}

function bytesOf(dir: string): number {
  let total = 0
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    try {
      // The early journal's folder is counted by its files, as the queue's own are.
      total += f.isDirectory() ? bytesOf(join(dir, f.name)) : statSync(join(dir, f.name)).size
    } catch {
      // Deleted meanwhile (a running bridge lets a delivered segment go).
    }
  }
  return total
}

function describe(dataDir: string, name: string, context: QueueContext): MbedQueueInfo {
  const dir = join(mbedQueuesDir(dataDir), name)
  let owner: MbedQueueOwner
  let configured: boolean
  if (name.startsWith('profile-')) {
    const id = name.slice('profile-'.length)
    const profile = context.profiles.find((p) => p.id === id)
    owner = { kind: 'profile', id, name: profile?.name ?? null }
    configured = profile !== undefined
  } else {
    owner = { kind: 'environment', ...readOrigin(dir) }
    configured = context.current === name
  }
  const inspected = inspectQueue(dir, outItemCodec)
  const oldest = inspected?.oldestReceivedAt ?? null
  const commands = journalledCommands(dir)
  return {
    name,
    dir,
    owner,
    configured,
    heldBy: queueHolder(dir),
    waiting: inspected?.queued ?? 0,
    dropped: inspected?.dropped ?? 0,
    early: countEarlyAnswers(dir),
    commands: commands.count,
    commandsOldestAt: commands.oldestAt === null ? null : new Date(commands.oldestAt).toISOString(),
    bytes: bytesOf(dir),
    oldestAt: oldest === null ? null : new Date(oldest).toISOString(),
  }
}

/** Every mbed queue of the data directory, by name. */
export function listMbedQueues(dataDir: string, context: QueueContext): MbedQueueInfo[] {
  let names: string[]
  try {
    names = readdirSync(mbedQueuesDir(dataDir), { withFileTypes: true })
      .filter((e) => e.isDirectory() && NAME.test(e.name))
      .map((e) => e.name)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
  return names.sort().map((name) => describe(dataDir, name, context))
}

function inUse(name: string): (pid: number) => AppError {
  return (pid) =>
    AppError.withRef('CONFLICT', pid > 0 ? `The mbed bridge of process ${pid} is using the queue ${name}: stop it first` : `The queue ${name} is locked`, {
      key: 'mbed.queueInUse',
      params: { name, pid },
    })
}

/**
 * Deletes a queue no longer configured that no bridge holds, with the messages and commands it still holds; returns what it was.
 * Refuses a name that is not a queue's (VALIDATION), a queue that does not exist (NOT_FOUND), one still configured or
 * held (CONFLICT), each with a translatable reason.
 */
export function removeMbedQueue(dataDir: string, name: string, context: QueueContext): MbedQueueInfo {
  if (!NAME.test(name)) {
    throw AppError.withRef('VALIDATION', `"${name.slice(0, 80)}" is not the name of an mbed queue (profile-<id> or env-<16 hex digits>)`, {
      key: 'mbed.queueNameInvalid',
      params: { name: name.slice(0, 80) },
    })
  }
  const queue = listMbedQueues(dataDir, context).find((q) => q.name === name)
  if (!queue) throw AppError.withRef('NOT_FOUND', `There is no mbed queue ${name} in ${mbedQueuesDir(dataDir)}`, { key: 'mbed.queueNotFound', params: { name } })
  if (queue.configured) {
    const message =
      queue.owner.kind === 'profile'
        ? `The queue ${name} belongs to the mbed profile "${queue.owner.name ?? queue.owner.id}": its bridge publishes these messages at its next start`
        : `The queue ${name} belongs to the mbed bridge configured by this environment's FIELDLINE_* variables: it publishes these messages at its next start`
    throw AppError.withRef(
      'CONFLICT',
      message,
      queue.owner.kind === 'profile' ? { key: 'mbed.queueOfProfile', params: { name, profile: queue.owner.name ?? queue.owner.id } } : { key: 'mbed.queueOfEnvironment', params: { name } },
    )
  }
  if (queue.heldBy !== null) throw inUse(name)(queue.heldBy)
  // Its bridge will not resume its MQTT session: the next bridge on that broker ends it (session.ts).
  removeWithSession(queue.dir, () => removeQueueDir(queue.dir, inUse(name)))
  return queue
}
