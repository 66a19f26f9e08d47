/**
 * The native Kafka producer: kafkajs 2.2.4 (pure JavaScript; the only client here that installs without downloading
 * native code — docs/wire/couchdb-kafka.md §2.2 — and talks to librdkafka's mock cluster, which the tests use).
 *
 * - SASL_SSL (Event Streams: user `token`, password the API key, mechanism PLAIN; or SCRAM), or SSL with an optional
 *   client certificate, or plaintext for brokers on this computer (the mock cluster has no TLS or SASL). SASL_SSL and SSL
 *   against a real cluster are not exercised by the tests here (docs/wire/couchdb-kafka.md §2.1).
 * - acks = all (-1): the broker acknowledges once every in-sync replica has the records.
 * - kafkajs retries a failing request a little (its own back-off); what still fails comes back as a DeliveryError and
 *   the destination retries later with the events still queued.
 * - A send succeeds or fails as a whole; records a failed send had already written may be written again by the retry
 *   (at least once; the `id` header lets a consumer recognise them).
 */
import type { ICustomPartitioner, Kafka, KafkaConfig, LogEntry, Producer, SASLOptions } from 'kafkajs'
import { classifyTransportError } from '../http/transport-errors'
import { trustedCas } from '../http/trust'
import type { Logger } from '../log/logger'
import { DeliveryError } from './delivery-error'
import type { KafkaRecord, KafkaSendResult, KafkaSink } from './kafka-sink'

export interface NativeKafkaOptions {
  brokers: string[]
  security: 'sasl_ssl' | 'ssl' | 'plaintext'
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  /** Extra PEM CAs, trusted in addition to the bundled and system roots. */
  ca?: string[]
  clientCert?: string
  clientKey?: string
  clientId?: string
  requestTimeoutMs?: number
  connectionTimeoutMs?: number
  /** kafkajs's own retries of one request before the failure comes back to the destination. */
  retries?: number
  logger?: Logger
}

const FORBIDDEN = new Set(['TOPIC_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'])
const AUTH = new Set(['SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM'])
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD'])

/** The errors kafkajs wraps (a retry count exceeded wraps the last failure in `cause`), outermost first. */
function chain(e: unknown): unknown[] {
  const out: unknown[] = []
  let cur: unknown = e
  while (cur && out.length < 8) {
    out.push(cur)
    cur = (cur as { cause?: unknown }).cause
  }
  return out
}

/** A kafkajs failure as a delivery verdict. */
export function kafkaFailure(e: unknown): DeliveryError {
  const errors = chain(e)
  const types = errors.map((x) => (x as { type?: unknown }).type).filter((t): t is string => typeof t === 'string')
  const names = errors.map((x) => (x as { name?: unknown }).name)
  const text = (errors[errors.length - 1] instanceof Error ? (errors[errors.length - 1] as Error).message : String(e)).slice(0, 200)
  const params = { reason: text }
  if (types.some((t) => FORBIDDEN.has(t))) return new DeliveryError('stop', 'FORBIDDEN', `Kafka refused access: ${text}`, { key: 'historian.kafkaForbidden', params })
  if (types.some((t) => AUTH.has(t)) || names.includes('KafkaJSSASLAuthenticationError')) {
    return new DeliveryError('stop', 'AUTH_FAILED', `Kafka refused the credentials: ${text}`, { key: 'historian.kafkaAuthFailed', params })
  }
  if (types.some((t) => TOO_LARGE.has(t))) return new DeliveryError('split', 'TOO_LARGE', `Kafka found the records too large: ${text}`, { key: 'historian.kafkaTooLarge', params })
  for (const x of errors) {
    const transport = classifyTransportError(x)
    if (transport?.kind === 'tls')
      return new DeliveryError('stop', 'TLS', `The secure connection to Kafka could not be verified: ${transport.explained}`, { key: 'historian.kafkaTls', params: { reason: transport.code } })
  }
  if (names.includes('KafkaJSRequestTimeoutError')) return new DeliveryError('retry', 'TIMEOUT', `Kafka did not answer in time: ${text}`, { key: 'historian.kafkaUnavailable', params })
  return new DeliveryError('retry', 'NETWORK', `Kafka is unavailable: ${text}`, { key: 'historian.kafkaUnavailable', params })
}

function saslOptions(s: NonNullable<NativeKafkaOptions['sasl']>): SASLOptions {
  const { username, password } = s
  if (s.mechanism === 'plain') return { mechanism: 'plain', username, password }
  if (s.mechanism === 'scram-sha-256') return { mechanism: 'scram-sha-256', username, password }
  return { mechanism: 'scram-sha-512', username, password }
}

function kafkaLogs(logger: Logger | undefined) {
  // kafkajs logs every retry as an error; the destination reports the outcome, so its lines go to debug.
  return () =>
    ({ namespace, log }: LogEntry) => {
      logger?.debug({ namespace, message: log.message, broker: (log as { broker?: unknown }).broker }, 'kafkajs')
    }
}

/**
 * kafkajs's default partitioner (murmur2 of the key modulo the topic's partition count, as the Java client), its answer
 * remembered per partition count and key (the topic plays no part in it). A fleet sends many events per device, and per
 * record the hash, the key's bytes and the partition list kafkajs filters cost several µs, more than the lookup. At most
 * `limit` keys are remembered; past that the memory starts over.
 */
export function rememberingPartitioner(defaultPartitioner: ICustomPartitioner, limit = 100_000): ICustomPartitioner {
  return () => {
    const compute = defaultPartitioner()
    const known = new Map<string, number>()
    return (args) => {
      const key = args.message.key
      if (typeof key !== 'string' || (args.message.partition !== undefined && args.message.partition !== null)) return compute(args)
      const k = `${args.partitionMetadata.length}\n${key}`
      let partition = known.get(k)
      if (partition === undefined) {
        partition = compute(args)
        if (known.size >= limit) known.clear()
        known.set(k, partition)
      }
      return partition
    }
  }
}

export function createNativeKafkaSink(options: NativeKafkaOptions): KafkaSink {
  const config: KafkaConfig = {
    clientId: options.clientId ?? 'fieldline-historian',
    brokers: options.brokers,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    retry: { retries: options.retries ?? 3, initialRetryTime: 300, maxRetryTime: 5_000 },
    logCreator: kafkaLogs(options.logger),
  }
  if (options.security !== 'plaintext') {
    const client = options.clientCert && options.clientKey ? { cert: options.clientCert, key: options.clientKey } : {}
    // Certificates are always verified; a private CA is added to the roots, not substituted for them.
    config.ssl = { rejectUnauthorized: true, ca: trustedCas(options.ca ?? []), ...client }
  }
  if (options.security === 'sasl_ssl' && options.sasl) config.sasl = saslOptions(options.sasl)
  // kafkajs loads with the first send or check, not in every process that builds the historian's destinations.
  let kafka: Promise<{ client: Kafka; defaultPartitioner: ICustomPartitioner }> | undefined
  const loadKafka = () =>
    (kafka ??= import('kafkajs').then(({ Kafka, Partitioners, logLevel }) => ({
      client: new Kafka({ ...config, logLevel: logLevel.WARN }),
      defaultPartitioner: Partitioners.DefaultPartitioner,
    })))
  let producer: Producer | null = null
  let connecting: Promise<Producer> | null = null

  async function connected(): Promise<Producer> {
    if (producer) return producer
    if (!connecting) {
      connecting = loadKafka()
        .then(({ client, defaultPartitioner }) => {
          const p = client.producer({ createPartitioner: rememberingPartitioner(defaultPartitioner), allowAutoTopicCreation: true })
          return p
            .connect()
            .then(() => {
              producer = p
              return p
            })
            .catch(async (e: unknown) => {
              await p.disconnect().catch(() => undefined)
              throw e
            })
        })
        .finally(() => {
          connecting = null
        })
    }
    return connecting
  }

  return {
    async send(topic, records: readonly KafkaRecord[]): Promise<KafkaSendResult> {
      try {
        const p = await connected()
        await p.send({
          topic,
          acks: -1,
          messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: String(r.timestamp) })),
        })
        return { failures: [] }
      } catch (e) {
        const failure = kafkaFailure(e)
        // A producer that lost its brokers is rebuilt on the next send rather than trusted again.
        if (failure.verdict !== 'split' && producer) {
          const p = producer
          producer = null
          await p.disconnect().catch(() => undefined)
        }
        throw failure
      }
    },
    async verify() {
      try {
        await connected()
      } catch (e) {
        throw kafkaFailure(e)
      }
      return `${options.brokers.join(', ')}: connected${options.security === 'plaintext' ? ' (without TLS, this computer only)' : ''}`
    },
    async close() {
      const p = producer
      producer = null
      await p?.disconnect().catch(() => undefined)
    },
  }
}
