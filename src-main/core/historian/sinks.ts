/** Builds each destination's sink from its configuration: the one place that knows every kind. */
import type { Logger } from '../log/logger'
import type { DestinationConfig } from './config'
import { createCouchClient, type CouchAuth, type CouchClient } from './couch.client'
import { createCouchSink } from './couch.sink'
import { createKafkaDestinationSink, type KafkaSink } from './kafka-sink'
import { createRestKafkaSink } from './kafka-rest.sink'
import { createNativeKafkaSink } from './kafkajs.sink'
import type { Sink } from './sink'

export interface SinkTuning {
  /** kafkajs request timeout (tests shorten it to see a hung broker quickly). */
  kafkaRequestTimeoutMs?: number
  kafkaRetries?: number
}

export function couchClientFor(d: Extract<DestinationConfig, { kind: 'couchdb' }>, logger?: Logger): CouchClient {
  const s = d.settings
  const auth: CouchAuth = s.auth === 'iam' ? { kind: 'iam', apiKey: d.secrets.apiKey ?? '', iamUrl: s.iamUrl } : { kind: 'basic', username: s.username, password: d.secrets.password ?? '' }
  return createCouchClient({ url: s.url, auth, ...(s.ca.trim() ? { ca: [s.ca] } : {}), ...(logger ? { logger } : {}) })
}

export function buildKafkaSink(d: Extract<DestinationConfig, { kind: 'kafka' }>, logger?: Logger, tuning: SinkTuning = {}): KafkaSink {
  const s = d.settings
  const ca = s.ca.trim() ? [s.ca] : undefined
  if (s.transport === 'native') {
    return createNativeKafkaSink({
      brokers: s.brokers,
      security: s.security,
      ...(s.security === 'sasl_ssl' ? { sasl: { mechanism: s.saslMechanism, username: s.username, password: d.secrets.password ?? '' } } : {}),
      ...(ca ? { ca } : {}),
      ...(s.clientCert.trim() && d.secrets.clientKey ? { clientCert: s.clientCert, clientKey: d.secrets.clientKey } : {}),
      ...(tuning.kafkaRequestTimeoutMs ? { requestTimeoutMs: tuning.kafkaRequestTimeoutMs } : {}),
      ...(tuning.kafkaRetries !== undefined ? { retries: tuning.kafkaRetries } : {}),
      ...(logger ? { logger } : {}),
    })
  }
  return createRestKafkaSink({
    api: s.transport === 'confluent-rest' ? 'confluent-v3' : 'eventstreams-v2',
    url: s.restUrl,
    password: d.secrets.password ?? '',
    username: s.username,
    clusterId: s.clusterId,
    ...(ca ? { ca } : {}),
    ...(logger ? { logger } : {}),
  })
}

export function buildSink(d: DestinationConfig, org: string, logger?: Logger, tuning: SinkTuning = {}): Sink {
  if (d.kind === 'couchdb') {
    const s = d.settings
    return createCouchSink({ client: couchClientFor(d, logger), org, namePart: s.dbName, interval: s.bucketInterval, zone: s.timeZone, ...(logger ? { logger } : {}) })
  }
  return createKafkaDestinationSink(buildKafkaSink(d, logger, tuning), d.settings.topic, { check: d.settings.transport === 'native' })
}
