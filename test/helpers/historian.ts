/** Shared pieces of the historian's tests: destinations on the test peers, a stand-in mbed source, a forwarder on a temp dir. */
import type { CouchSettings, KafkaSettings } from '../../src-shared/models/historian'
import { couchSettingsSchema, kafkaSettingsSchema } from '../../src-shared/models/historian'
import type { DestinationConfig, ForwarderConfig } from '../../src-main/core/historian/config'
import type { DeviceEventSource } from '../../src-main/core/historian/forwarder'
import type { CouchPeer } from '../peers/couchdb/couchdb.peer'

export const POLL = { timeout: 20_000, interval: 50 }

/** Back-offs short enough for a test to see several retries in a second or two (the logic is the same). */
export const FAST = { backoff: { minMs: 50, maxMs: 400 }, reconnect: { minMs: 50, maxMs: 400 }, drainMs: 5_000, syncIntervalMs: 20 }

export function couchDestination(peer: CouchPeer, settings: Partial<CouchSettings> = {}, apiKey = 'iam-test-key', id = 'cloudant'): Extract<DestinationConfig, { kind: 'couchdb' }> {
  return {
    ref: `couchdb/${id}`,
    name: id,
    kind: 'couchdb',
    settings: couchSettingsSchema.parse({ url: peer.url, iamUrl: peer.iamUrl, dbName: 'hist', ...settings }),
    secrets: { apiKey },
  }
}

export function kafkaDestination(settings: Partial<KafkaSettings> & { topic: string }, secrets: { password?: string } = {}, id = 'kafka'): Extract<DestinationConfig, { kind: 'kafka' }> {
  return { ref: `kafka/${id}`, name: id, kind: 'kafka', settings: kafkaSettingsSchema.parse(settings), secrets }
}

/** Stands in for the mbed bridge: `emit` hands one device event over, synchronously, as the bridge does. */
export function fakeMbed(): DeviceEventSource & { emit(type: string, device: string, event: string, body: unknown): void } {
  const taps = new Set<(topic: string, payload: string) => void>()
  return {
    onDeviceEvent(tap) {
      taps.add(tap)
      return () => taps.delete(tap)
    },
    emit(type, device, event, body) {
      for (const tap of taps) tap(`iot-2/type/${type}/id/${device}/evt/${event}/fmt/json`, JSON.stringify(body))
    },
  }
}

/** A forwarder fed by the stand-in mbed source alone (no broker), every event to every destination. */
export function mbedOnlyConfig(destinations: DestinationConfig[], org = 'testorg'): ForwarderConfig {
  return { id: 'test', org, mqtt: null, mbed: true, rules: [{ deviceType: '*', eventId: '*', destinations: destinations.map((d) => d.ref as never) }], destinations }
}
