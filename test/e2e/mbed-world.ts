import mqtt from 'mqtt'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { startMbedPeer, type MbedPeer } from '../peers/mbed/mbed.peer'
import { test } from './fixtures'
import { skipWithoutKeyring } from './steps'

export interface MbedWorld {
  readonly broker: Mosquitto
  readonly peer: MbedPeer
  /** An application subscribed to `filter` on the broker: the messages it receives, as they arrive. */
  watch(filter: string): Promise<{ topic: string; body: Record<string, unknown> }[]>
}

/**
 * What the mbed specs run against, for each test: Debian's mosquitto on a free loopback port and the strict mbed peer,
 * stopped after it. The profile's access key goes to the OS keychain, so a missing D-Bus session or mosquitto skips the
 * test with the reason (and fails it under FIELDLINE_STRICT=1).
 */
export function useMbedWorld(): MbedWorld {
  let broker: Mosquitto | undefined
  let peer: MbedPeer | undefined
  const watchers: mqtt.MqttClient[] = []

  test.beforeEach(async () => {
    const reason = mosquittoSkipReason()
    test.skip(reason !== null, reason ?? '')
    skipWithoutKeyring()
    broker = await startMosquitto()
    // Short server-side polls, so that stopping the bridge at the end does not wait out a 30 s hold.
    peer = await startMbedPeer({ pollTimeoutMs: 1000 })
  })

  test.afterEach(async () => {
    for (const watcher of watchers.splice(0)) await watcher.endAsync(true)
    await peer?.close()
    await broker?.stop()
  })

  return {
    get broker() {
      return broker!
    },
    get peer() {
      return peer!
    },
    async watch(filter) {
      const messages: { topic: string; body: Record<string, unknown> }[] = []
      const watcher = await mqtt.connectAsync(broker!.url, { clientId: `a:org1:watcher-${watchers.length + 1}` })
      watchers.push(watcher)
      await watcher.subscribeAsync(filter, { qos: 1 })
      watcher.on('message', (topic, payload) => messages.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown> }))
      return messages
    },
  }
}
