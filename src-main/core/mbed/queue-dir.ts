/**
 * Where a bridge keeps the messages it owes the broker (publish-queue.ts): `<data dir>/mbed/queues/<id>/`.
 *
 * - A bridge of a saved mbed profile (the app, `fieldline bridge mbed --profile`): `profile-<profile id>`. The app and
 *   the CLI share it, so what one left is published by the other; the queue's lock keeps them from running at once.
 * - A bridge configured by FIELDLINE_* variables: `env-<hash>` of the mbed API URL, the broker URL and the MQTT
 *   client id (never of a secret), so the same configuration finds its queue again after a restart; the CLI records
 *   those three in the queue's `origin.json` (queues.ts), so that a queue stranded by a change of them says whose it was.
 */
import { createHash } from 'node:crypto'
import { basename, join } from 'node:path'
import { ENV_VARIABLES, type MbedBridgeConfig } from './config'
import { MBED_CONNECTOR_URL } from './connector.client'

export function mbedQueuesDir(dataDir: string): string {
  return join(dataDir, 'mbed', 'queues')
}

/** The queue directory of a saved mbed profile's bridge (profile ids are lower-case letters, digits and '-'). */
export function profileQueueDir(dataDir: string, profileId: string): string {
  return join(mbedQueuesDir(dataDir), `profile-${profileId}`)
}

/** What an environment-configured bridge's queue is named after. */
export type QueueIdentity = { mbed: Pick<MbedBridgeConfig['mbed'], 'apiUrl'>; mqtt: Pick<MbedBridgeConfig['mqtt'], 'url' | 'clientId'> }

/** The queue directory of a bridge configured from the environment. */
export function configQueueDir(dataDir: string, config: QueueIdentity): string {
  const hash = createHash('sha256').update(`${config.mbed.apiUrl}\n${config.mqtt.url}\n${config.mqtt.clientId}`).digest('hex').slice(0, 16)
  return join(mbedQueuesDir(dataDir), `env-${hash}`)
}

/**
 * The name of the queue the FIELDLINE_* variables configure (`env-<hash>`), read as bridgeConfigFromEnv reads them,
 * or null when they name no broker or client id; the rest of the configuration (the access key) is not needed.
 */
export function environmentQueueName(env: Record<string, string | undefined>): string | null {
  const get = (name: string): string | undefined => env[name]?.trim() || undefined
  const url = get(ENV_VARIABLES.mqttUrl)
  const clientId = get(ENV_VARIABLES.mqttClientId)
  if (!url || !clientId) return null
  return basename(configQueueDir('', { mbed: { apiUrl: get(ENV_VARIABLES.apiUrl) ?? MBED_CONNECTOR_URL }, mqtt: { url, clientId } }))
}
