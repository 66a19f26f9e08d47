/**
 * The bridge's own MQTT session: a link of its own, not the platform profile's shared one (platform-links.ts), with a
 * persistent session (clean session off) under a client id of its own, so that the broker keeps the commands published
 * to mbed devices while the bridge is stopped, failed or away, and delivers them when it connects again
 * (command-intake.ts: each is journalled before it is acknowledged).
 *
 * - The client id is `a:<org>:<appId>-<tag>`: the platform profile's org and application id (the broker's credentials
 *   and ACLs are the application's), and a tag derived from the bridge's queue directory, which is one per data folder
 *   and mbed profile (or FIELDLINE_* configuration, queue-dir.ts). So the same bridge finds its session again after a
 *   restart, and neither another workspace's bridge nor the app's shared link (the profile's own id: device
 *   management, following locations) takes it over: the broker closes the older of two connections with one id.
 * - A plain `a:` id, even when the profile's is a scalable `A:` one: a shared subscription would split the commands
 *   between instances, and each command must reach the one bridge that owns the mbed account.
 * - Changing the platform profile's client id or broker starts a new session (the tag is kept, the org and app id
 *   change). A command the broker held for the old one was never acknowledged: it is not the bridge's to deliver. The
 *   old session must not stay at the broker for good, collecting commands nobody will read (mosquitto keeps one
 *   until `persistent_client_expiration`, by default for ever): the queue directory records the session it last
 *   used (`session.json`: broker URL, credentials removed, and client id), and `replaceSession` ends a replaced one by
 *   connecting once under its id with a clean session (MQTT 3.1.1: the broker drops the session and what it queued),
 *   then disconnecting. The app restarts a running bridge when its platform profile is saved, so that happens at once
 *   (with the old settings' credentials when the broker changed); a bridge not running has its replaced session kept
 *   to end (`keepReplacedSession`). A FIELDLINE_* bridge whose broker or client id changed runs on another queue
 *   directory: the directories it replaces (queues.ts: same mbed URL) are handed to `replaceSession`, whose recorded
 *   sessions it ends likewise. Deleting an mbed profile ends its bridge's session the same way (`endSession`), and
 *   removing a queue keeps its session to end.
 * - Ending is best effort, with a short timeout. A session it could not end (broker unreachable, or on another broker
 *   than the one the bridge now has credentials for) is written to `sessions-to-end.json` beside the queue
 *   directories, and every bridge that starts on that broker ends it then. The bridge's queue and command journal
 *   stay on disk whatever happens to the session (queues.ts removes them, on the operator's word).
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { MAX_PLATFORM_ID } from '../../../src-shared/models/platform-ids'
import { redactUrlsIn } from '../common/redact-url'
import type { Logger } from '../log/logger'
import { parseClientId } from '../platform/broker-url'
import { createPlatformLink, type PlatformLink, type PlatformLinkOptions } from '../platform/link'
import type { MbedBridgeConfig } from './config'

const TAG_LENGTH = 8

/** The bridge's MQTT client id for the platform client id `clientId` and the queue directory `queueDir` (see the header). */
export function bridgeClientId(clientId: string, queueDir: string): string {
  const { org, appId } = parseClientId(clientId)
  const tag = createHash('sha256').update(resolve(queueDir)).digest('hex').slice(0, TAG_LENGTH)
  return `a:${org}:${appId.slice(0, MAX_PLATFORM_ID - TAG_LENGTH - 1)}-${tag}`
}

/** The bridge's own link, persistent, not yet connected (the bridge connects it once its subscriptions are registered). */
export function createBridgeLink(mqtt: MbedBridgeConfig['mqtt'], queueDir: string, extra: Pick<PlatformLinkOptions, 'reconnect' | 'connectTimeoutMs'> & { logger?: Logger } = {}): PlatformLink {
  return createPlatformLink({
    url: mqtt.url,
    clientId: bridgeClientId(mqtt.clientId, queueDir),
    ...(mqtt.username !== undefined ? { username: mqtt.username } : {}),
    ...(mqtt.password !== undefined ? { password: mqtt.password } : {}),
    ...(mqtt.ca ? { ca: mqtt.ca } : {}),
    // MQTT 3.1.1, the platform's documented protocol: no session expiry to send, the broker's own setting applies.
    session: { persistent: true, expirySeconds: 0 },
    ...extra,
  })
}

const SESSION_FILE = 'session.json'
/** Sessions still to end, in the folder of the queue directories (one per data folder): see the header. */
const TO_END_FILE = 'sessions-to-end.json'
/** How long ending a session may take; it runs beside the bridge's start, never in its way. */
const END_TIMEOUT_MS = 10_000

/** A session at a broker: the broker URL without credentials (it is written to disk and logged) and the client id. */
interface Session {
  url: string
  clientId: string
}

const sameSession = (a: Session, b: Session): boolean => a.url === b.url && a.clientId === b.clientId
const isSession = (v: unknown): v is Session => typeof v === 'object' && v !== null && typeof (v as Session).url === 'string' && typeof (v as Session).clientId === 'string'

function currentSession(mqtt: MbedBridgeConfig['mqtt'], queueDir: string): Session {
  return { url: redactUrlsIn(mqtt.url), clientId: bridgeClientId(mqtt.clientId, queueDir) }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return null
  }
}

function recordedSession(queueDir: string): Session | null {
  const v = readJson(join(queueDir, SESSION_FILE))
  return isSession(v) ? { url: redactUrlsIn(v.url), clientId: v.clientId } : null
}

function toEndFile(queueDir: string): string {
  return join(dirname(resolve(queueDir)), TO_END_FILE)
}

function sessionsToEnd(queueDir: string): Session[] {
  const v = readJson(toEndFile(queueDir))
  return Array.isArray(v) ? v.filter(isSession) : []
}

/** Adds `add` to the sessions still to end and takes `drop` off, read again just before (another bridge may write it). */
function updateSessionsToEnd(queueDir: string, change: { add?: Session; drop?: readonly Session[] }, logger?: Logger): void {
  const before = sessionsToEnd(queueDir)
  let next = before.filter((s) => !change.drop?.some((d) => sameSession(s, d)))
  if (change.add && !next.some((s) => sameSession(s, change.add as Session))) next = [...next, change.add]
  if (next.length === before.length && next.every((s, i) => sameSession(s, before[i] as Session))) return
  try {
    mkdirSync(dirname(toEndFile(queueDir)), { recursive: true })
    writeFileSync(toEndFile(queueDir), `${JSON.stringify(next)}\n`)
  } catch (e) {
    logger?.warn({ file: toEndFile(queueDir), err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: could not record the MQTT sessions still to end')
  }
}

/**
 * Connects once under `session`'s client id with a clean session, on the broker of `mqtt` (whose credentials are
 * used), then disconnects: the broker drops the session. Whether it did; never throws.
 */
async function endOne(mqtt: MbedBridgeConfig['mqtt'], session: Session, why: string, logger?: Logger): Promise<boolean> {
  const link = createPlatformLink({
    url: mqtt.url,
    clientId: session.clientId,
    ...(mqtt.username !== undefined ? { username: mqtt.username } : {}),
    ...(mqtt.password !== undefined ? { password: mqtt.password } : {}),
    ...(mqtt.ca ? { ca: mqtt.ca } : {}),
    connectTimeoutMs: END_TIMEOUT_MS,
  })
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([link.connect(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${END_TIMEOUT_MS / 1000} s`)), END_TIMEOUT_MS)))])
    logger?.info({ broker: session.url, clientId: session.clientId }, `mbed bridge: ended the MQTT session of ${why} at the broker (what it queued is dropped)`)
    return true
  } catch (e) {
    logger?.warn(
      { broker: session.url, clientId: session.clientId, err: redactUrlsIn(e instanceof Error ? e.message : String(e)) },
      `mbed bridge: could not end the MQTT session of ${why}; a bridge that starts on that broker ends it`,
    )
    return false
  } finally {
    clearTimeout(timer)
    await link.close()
  }
}

type Mqtt = MbedBridgeConfig['mqtt']

/**
 * Ends `session` with the first of `credentials` on its broker (never another broker's credentials), else (or when
 * that fails) keeps it to end later.
 */
async function endOrKeep(credentials: readonly (Mqtt | null | undefined)[], session: Session, queueDir: string, why: string, logger?: Logger): Promise<void> {
  const mqtt = credentials.find((c): c is Mqtt => !!c && redactUrlsIn(c.url) === session.url)
  if (mqtt && (await endOne(mqtt, session, why, logger))) {
    updateSessionsToEnd(queueDir, { drop: [session] }, logger)
    return
  }
  if (!mqtt) {
    // The credentials at hand are another broker's (or none): they are not sent to this one.
    logger?.warn({ broker: session.url, clientId: session.clientId }, `mbed bridge: the MQTT session of ${why} is on another broker; a bridge that starts on that broker ends it`)
  }
  updateSessionsToEnd(queueDir, { add: session }, logger)
}

/** What a bridge's start knows of the sessions it replaces (see the header). */
export interface Replacing {
  /** The settings the bridge ran on before, whose credentials end its old session on the old broker. */
  previous?: Mqtt | null
  /** Other queue directories whose bridge this one replaces (a FIELDLINE_* bridge's earlier configurations). */
  dirs?: readonly string[]
}

/**
 * Records the session the bridge of `queueDir` uses now, ends the one it used before when the client id or broker
 * changed, and those of the queue directories it replaces, and ends the sessions left to end on this broker (see the
 * header). Never throws: what it could not do is logged.
 */
export async function replaceSession(mqtt: Mqtt, queueDir: string, logger?: Logger, replacing: Replacing = {}): Promise<void> {
  const now = currentSession(mqtt, queueDir)
  const before = recordedSession(queueDir)
  try {
    mkdirSync(queueDir, { recursive: true })
    writeFileSync(join(queueDir, SESSION_FILE), `${JSON.stringify(now)}\n`)
  } catch (e) {
    logger?.warn({ queueDir, err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: could not record its MQTT session')
  }
  // A session in use again (a restored profile) is no longer one to end.
  updateSessionsToEnd(queueDir, { drop: [now] }, logger)
  // Taken over now, so that a later start does not end them again: ended below, or kept to end.
  const replaced = (replacing.dirs ?? []).flatMap((dir) => {
    const s = recordedSession(dir)
    forgetSession(dir, logger)
    return s && !sameSession(s, now) ? [s] : []
  })
  const pending = sessionsToEnd(queueDir).filter((s) => s.url === now.url)
  const ended = await Promise.all(pending.map(async (s) => ((await endOne(mqtt, s, 'a bridge no longer configured', logger)) ? [s] : [])))
  updateSessionsToEnd(queueDir, { drop: ended.flat() }, logger)
  const credentials = [mqtt, replacing.previous]
  if (before && !sameSession(before, now)) await endOrKeep(credentials, before, queueDir, 'its previous client id', logger)
  await Promise.all(replaced.map((s) => endOrKeep(credentials, s, queueDir, 'its previous FIELDLINE_* configuration', logger)))
}

function forgetSession(queueDir: string, logger?: Logger): void {
  try {
    rmSync(join(queueDir, SESSION_FILE), { force: true })
  } catch (e) {
    logger?.warn({ queueDir, err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: could not forget a replaced MQTT session')
  }
}

/**
 * The bridge of `queueDir`, not running, will run on `mqtt` at its next start (its platform profile was saved): the
 * session it recorded, when that is another, is kept to end by the next bridge that starts on its broker, and the one
 * it will use is no longer one to end (settings changed back). Never throws.
 */
export function keepReplacedSession(mqtt: Mqtt, queueDir: string, logger?: Logger): void {
  const now = currentSession(mqtt, queueDir)
  const before = recordedSession(queueDir)
  updateSessionsToEnd(queueDir, { drop: [now], ...(before && !sameSession(before, now) ? { add: before } : {}) }, logger)
}

/**
 * Ends the session of the bridge of `queueDir`, whose owner is gone (a deleted mbed profile), with the credentials of
 * `mqtt` (its platform profile's; null when that is gone too: the session is kept to end later). Never throws.
 */
export async function endSession(mqtt: Mqtt | null, queueDir: string, logger?: Logger): Promise<void> {
  const session = recordedSession(queueDir)
  if (session) await endOrKeep([mqtt], session, queueDir, 'a deleted mbed profile', logger)
}

/**
 * Runs `remove` (the removal of the queue in `queueDir`, queues.ts), then keeps the session of that queue's bridge to
 * end at the next start of a bridge on its broker: no bridge will resume it. A removal that throws keeps nothing.
 */
export function removeWithSession(queueDir: string, remove: () => void, logger?: Logger): void {
  const session = recordedSession(queueDir)
  remove()
  if (session) updateSessionsToEnd(queueDir, { add: session }, logger)
}
