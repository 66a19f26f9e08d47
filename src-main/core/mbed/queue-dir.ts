/**
 * Where a bridge keeps the messages it owes the broker (publish-queue.ts): `<data dir>/mbed/queues/<id>/`.
 *
 * - A bridge of a saved mbed profile (the app, `fieldline bridge mbed --profile`): `profile-<profile id>`. The app and
 *   the CLI share it, so what one left is published by the other; the queue's lock keeps them from running at once.
 * - A bridge configured by FIELDLINE_* variables: `env-<hash>` of the mbed API URL, the broker URL and the MQTT
 *   client id (never of a secret), so the same configuration finds its queue again after a restart.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { MbedBridgeConfig } from './config'

export function mbedQueuesDir(dataDir: string): string {
  return join(dataDir, 'mbed', 'queues')
}

/** The queue directory of a saved mbed profile's bridge (profile ids are lower-case letters, digits and '-'). */
export function profileQueueDir(dataDir: string, profileId: string): string {
  return join(mbedQueuesDir(dataDir), `profile-${profileId}`)
}

/** The queue directory of a bridge configured from the environment. */
export function configQueueDir(dataDir: string, config: Pick<MbedBridgeConfig, 'mbed' | 'mqtt'>): string {
  const hash = createHash('sha256').update(`${config.mbed.apiUrl}\n${config.mqtt.url}\n${config.mqtt.clientId}`).digest('hex').slice(0, 16)
  return join(mbedQueuesDir(dataDir), `env-${hash}`)
}
