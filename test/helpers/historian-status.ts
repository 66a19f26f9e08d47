/** A forwarder's status and a destination's, as the core reports them, for the tests of what is said of them (app, CLI, files). */
import type { DestinationStatus, HistorianStatus } from '../../src-shared/models/historian'

/** A connected CouchDB destination with nothing queued, changed by `over`. */
export const destinationStatus = (over: Partial<DestinationStatus> = {}): DestinationStatus => ({
  ref: 'couchdb/lab',
  name: 'Lab history',
  state: 'connected',
  reason: null,
  nextTryAt: null,
  eventsPerSecond: 0,
  delivered: 0,
  refused: 0,
  queued: 0,
  queueSize: 1000,
  oldestQueuedAt: null,
  oldestQueuedAgeSeconds: null,
  dropped: 0,
  lastError: null,
  lastErrorAt: null,
  waitingSince: null,
  ...over,
})

/** A running forwarder subscribed to the platform's broker with one destination, changed by `over`. */
export const historianStatus = (over: Partial<HistorianStatus> = {}): HistorianStatus => ({
  state: 'running',
  reason: null,
  profileId: 'plant',
  since: '2026-12-06T00:00:00.000Z',
  mqtt: { state: 'connected', filter: 'iot-2/type/+/id/+/evt/+/fmt/+', reason: null },
  mbed: 'off',
  received: 0,
  unmatched: 0,
  intakeFailures: 0,
  unreadableTopics: 0,
  lastUnreadableTopic: null,
  destinations: [destinationStatus()],
  ...over,
})
