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
 *   used (`session.json`: broker URL and client id, no secret), and `replaceSession` ends a replaced one on the same
 *   broker by connecting once under its id with a clean session. One on another broker is left there, and logged: the
 *   credentials the bridge has are the new broker's.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { MAX_PLATFORM_ID } from '../../../src-shared/models/platform-ids'
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
/** How long ending a replaced session may take; it runs beside the bridge's start, never in its way. */
const FORGET_TIMEOUT_MS = 10_000

function recordedSession(queueDir: string): { url: string; clientId: string } | null {
  try {
    const v = JSON.parse(readFileSync(join(queueDir, SESSION_FILE), 'utf8')) as { url?: unknown; clientId?: unknown }
    return typeof v.url === 'string' && typeof v.clientId === 'string' ? { url: v.url, clientId: v.clientId } : null
  } catch {
    return null
  }
}

/**
 * Records the session the bridge of `queueDir` uses now, and ends the one it used before when the platform profile's
 * client id changed on the same broker (see the header). Never throws: what it could not do is logged.
 */
export async function replaceSession(mqtt: MbedBridgeConfig['mqtt'], queueDir: string, logger?: Logger): Promise<void> {
  const now = { url: mqtt.url, clientId: bridgeClientId(mqtt.clientId, queueDir) }
  const before = recordedSession(queueDir)
  try {
    mkdirSync(queueDir, { recursive: true })
    writeFileSync(join(queueDir, SESSION_FILE), `${JSON.stringify(now)}\n`)
  } catch (e) {
    logger?.warn({ queueDir, err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: could not record its MQTT session')
  }
  if (!before || (before.url === now.url && before.clientId === now.clientId)) return
  if (before.url !== now.url) {
    logger?.warn({ broker: before.url, clientId: before.clientId }, 'mbed bridge: the MQTT session it used on its previous broker is left there (the broker expires it)')
    return
  }
  const old = createPlatformLink({
    url: mqtt.url,
    clientId: before.clientId,
    ...(mqtt.username !== undefined ? { username: mqtt.username } : {}),
    ...(mqtt.password !== undefined ? { password: mqtt.password } : {}),
    ...(mqtt.ca ? { ca: mqtt.ca } : {}),
    connectTimeoutMs: FORGET_TIMEOUT_MS,
  })
  let timer: NodeJS.Timeout | undefined
  try {
    // A clean connection under the old id ends its session at the broker, with what it held.
    await Promise.race([old.connect(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), FORGET_TIMEOUT_MS)))])
    logger?.info({ clientId: before.clientId }, 'mbed bridge: ended the MQTT session of its previous client id')
  } catch (e) {
    logger?.warn({ clientId: before.clientId, err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: could not end the MQTT session of its previous client id; the broker expires it')
  } finally {
    clearTimeout(timer)
    await old.close()
  }
}
