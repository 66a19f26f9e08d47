/**
 * A forwarder's configuration, resolved: sources, rules and destinations with their secrets. It comes from a historian
 * profile and the profiles it names (historian.service.ts), or for scripts from FIELDLINE_HISTORIAN_* and
 * FIELDLINE_MQTT_* variables (`fromEnvironment`). Both go through `checkConfig`, so the rules are the same.
 */
import { hostname } from 'node:os'
import type { CouchSettings, HistorianRule, KafkaSettings } from '../../../src-shared/models/historian'
import { historianRuleSchema } from '../../../src-shared/models/historian'
import { z } from 'zod'
import { AppError } from '../common/errors'
import { parseOrThrow } from '../common/validation'
import { describeIssue, issueFacts } from '../../../src-shared/models/input-issues'
import { linkSecurity, parseClientId } from '../platform/broker-url'
import { assertSecureUrl } from '../http/secure-url'
import { assertDestinationSecrets, normaliseCouchSettings, normaliseHistorianSettings, normaliseKafkaSettings } from '../profiles/destination-settings'
import { configurationDbName } from './buckets'

export type DestinationConfig =
  | { ref: string; name: string; kind: 'couchdb'; settings: CouchSettings; secrets: { apiKey?: string; password?: string } }
  | { ref: string; name: string; kind: 'kafka'; settings: KafkaSettings; secrets: { password?: string; clientKey?: string } }

export interface MqttSourceConfig {
  url: string
  /** The platform profile's application client id; the forwarder's own id is derived from it (forwarderClientId). */
  clientId: string
  username?: string
  password?: string
  ca?: string[]
  protocolVersion: 4 | 5
  shareGroup: string
  instanceId: string
  sessionExpirySeconds: number
}

export interface ForwarderConfig {
  /** The historian profile's id, or 'env'. */
  id: string
  org: string
  mqtt: MqttSourceConfig | null
  mbed: boolean
  rules: HistorianRule[]
  destinations: DestinationConfig[]
}

/** Device events of every type, device, event and format. */
export const EVENT_FILTER = 'iot-2/type/+/id/+/evt/+/fmt/+'

export function subscriptionFilter(shareGroup: string): string {
  return shareGroup ? `$share/${shareGroup}/${EVENT_FILTER}` : EVENT_FILTER
}

/** The computer's name as an instance id: letters, digits, '.', '_', '-', at most 36. */
export function defaultInstanceId(): string {
  const name = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 36)
  return name || 'historian'
}

/**
 * The forwarder's MQTT client id: `A:<org>:<appId>:<instance>`, the platform's form for one instance of a scalable
 * application (spec §3). It differs from the profile's own id so that the forwarder's persistent session and the shared
 * link (mbed bridge, device management, clean sessions) never take each other's connection, and each instance sharing
 * a subscription has its own.
 */
export function forwarderClientId(profileClientId: string, instanceId: string): string {
  const { org, appId } = parseClientId(profileClientId)
  return `A:${org}:${appId}:${instanceId}`
}

export function checkConfig(config: ForwarderConfig): ForwarderConfig {
  if (!/^[a-z0-9][a-z0-9_-]{0,35}$/.test(config.org)) {
    throw AppError.withRef('VALIDATION', `The organisation id "${config.org.slice(0, 40)}" must be lower-case letters and digits (it names the bucket databases)`, {
      key: 'historian.invalidOrg',
      params: { org: config.org.slice(0, 40) },
    })
  }
  if (!config.mqtt && !config.mbed) throw AppError.withRef('VALIDATION', 'Choose at least one source: the MQTT broker or the mbed bridge', { key: 'historian.noSource' })
  if (config.mqtt) {
    linkSecurity(config.mqtt.url)
    forwarderClientId(config.mqtt.clientId, config.mqtt.instanceId)
    if (config.mqtt.shareGroup && config.mqtt.protocolVersion !== 5) {
      throw AppError.withRef('VALIDATION', 'A shared subscription needs MQTT 5: set the MQTT version to 5', { key: 'historian.shareNeedsMqtt5' })
    }
  }
  if (config.rules.length === 0) throw AppError.withRef('VALIDATION', 'Add at least one forwarding rule', { key: 'historian.noRules' })
  const refs = new Set(config.destinations.map((d) => d.ref))
  for (const rule of config.rules) {
    for (const ref of rule.destinations) {
      if (!refs.has(ref)) throw AppError.withRef('NOT_FOUND', `The rule names ${ref}, which is not a destination`, { key: 'historian.unknownDestination', params: { ref } })
    }
  }
  for (const d of config.destinations) {
    const secrets = new Set(
      Object.entries(d.secrets)
        .filter(([, v]) => typeof v === 'string' && v !== '')
        .map(([k]) => k),
    )
    assertDestinationSecrets(d.kind, d.settings, secrets)
    if (d.kind === 'couchdb') configurationDbName(config.org, d.settings.dbName)
  }
  return config
}

/** A rule list in FIELDLINE_HISTORIAN_RULES: JSON, each rule as in a profile. */
const envRules = z.array(historianRuleSchema).min(1).max(200)

type Env = Record<string, string | undefined>

/**
 * A settings schema's refusal, named after the variable each refused field came from (`names`: field → variable), so a
 * script's author reads FIELDLINE_HISTORIAN_QUEUE_SIZE, not the profile's field queueSize.
 */
function fromVariables<T>(what: string, names: Readonly<Record<string, string>>, build: () => T): T {
  try {
    return build()
  } catch (e) {
    if (!(e instanceof z.ZodError)) throw e
    const named = e.issues.map((i) => {
      const path = i.path.join('.')
      // The value the variable held is not known here: the words say the limit without what was given.
      return describeIssue(names[String(i.path[0])] ?? `${what} (${path || 'value'})`, issueFacts(i, path))
    })
    const first = names[String(e.issues[0]?.path[0])] ?? what
    throw AppError.withRef('VALIDATION', named.join('; '), { key: 'historian.invalidVariable', params: { name: first } })
  }
}

const COUCH_VARIABLES = {
  url: 'FIELDLINE_HISTORIAN_COUCH_URL',
  username: 'FIELDLINE_HISTORIAN_COUCH_USERNAME',
  iamUrl: 'FIELDLINE_HISTORIAN_COUCH_IAM_URL',
  dbName: 'FIELDLINE_HISTORIAN_COUCH_DB',
  bucketInterval: 'FIELDLINE_HISTORIAN_COUCH_BUCKET',
  timeZone: 'FIELDLINE_HISTORIAN_COUCH_TIME_ZONE',
  retentionBuckets: 'FIELDLINE_HISTORIAN_COUCH_RETENTION',
  queueSize: 'FIELDLINE_HISTORIAN_QUEUE_SIZE',
  batchSize: 'FIELDLINE_HISTORIAN_COUCH_BATCH_SIZE',
  ca: 'FIELDLINE_HISTORIAN_COUCH_CA_FILE',
}
const KAFKA_VARIABLES = {
  brokers: 'FIELDLINE_HISTORIAN_KAFKA_BROKERS',
  security: 'FIELDLINE_HISTORIAN_KAFKA_SECURITY',
  saslMechanism: 'FIELDLINE_HISTORIAN_KAFKA_MECHANISM',
  username: 'FIELDLINE_HISTORIAN_KAFKA_USERNAME',
  restUrl: 'FIELDLINE_HISTORIAN_KAFKA_REST_URL',
  clusterId: 'FIELDLINE_HISTORIAN_KAFKA_CLUSTER_ID',
  topic: 'FIELDLINE_HISTORIAN_KAFKA_TOPIC',
  queueSize: 'FIELDLINE_HISTORIAN_QUEUE_SIZE',
  batchSize: 'FIELDLINE_HISTORIAN_KAFKA_BATCH_SIZE',
  ca: 'FIELDLINE_HISTORIAN_KAFKA_CA_FILE',
  clientCert: 'FIELDLINE_HISTORIAN_KAFKA_CERT_FILE',
}
const FORWARDER_VARIABLES = {
  rules: 'FIELDLINE_HISTORIAN_RULES',
  mqttVersion: 'FIELDLINE_HISTORIAN_MQTT_VERSION',
  shareGroup: 'FIELDLINE_HISTORIAN_SHARE_GROUP',
  instanceId: 'FIELDLINE_HISTORIAN_INSTANCE',
  sessionExpirySeconds: 'FIELDLINE_HISTORIAN_SESSION_EXPIRY',
}

function trimmed(env: Env, name: string): string | undefined {
  const v = env[name]?.trim()
  return v ? v : undefined
}

/**
 * A URL variable: a script writes the whole URL, so one without http(s):// is refused here, naming the variable, rather
 * than read as a bare host (a profile's form takes `account.cloudant.com` as https://; `notaurl` would then be tried as
 * a host name and fail only when reached).
 */
function envUrl(env: Env, name: string): string | undefined {
  const v = trimmed(env, name)
  if (v === undefined) return undefined
  try {
    assertSecureUrl(v)
  } catch (e) {
    if (!(e instanceof AppError)) throw e
    throw AppError.withRef('VALIDATION', `${name} must be an https:// URL (http:// for this computer only): ${e.message}`, { key: 'historian.invalidVariable', params: { name } })
  }
  return v
}

function envNumber(env: Env, name: string): number | undefined {
  const v = trimmed(env, name)
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n)) throw AppError.withRef('VALIDATION', `${name} must be a whole number`, { key: 'historian.invalidVariable', params: { name } })
  return n
}

/**
 * The forwarder from environment variables (README "Historical data storage"): a CouchDB destination from
 * FIELDLINE_HISTORIAN_COUCH_*, a Kafka destination from FIELDLINE_HISTORIAN_KAFKA_*, the broker from FIELDLINE_MQTT_*.
 * Without FIELDLINE_HISTORIAN_RULES every event goes to every destination. CA files are read by the CLI and passed in.
 */
export interface EnvironmentFiles {
  mqttCa?: string[]
  couchCa?: string
  kafkaCa?: string
  kafkaCert?: string
  kafkaKey?: string
}

/** The organisation from FIELDLINE_HISTORIAN_ORG, else from FIELDLINE_MQTT_CLIENT_ID; null when neither is set. */
export function orgFromEnvironment(env: Env): string | null {
  const clientId = trimmed(env, 'FIELDLINE_MQTT_CLIENT_ID')
  return trimmed(env, 'FIELDLINE_HISTORIAN_ORG') ?? (clientId ? parseClientId(clientId).org : null)
}

/** What a script sets for a destination's credentials, by the refusal of the shared rules that finds them missing. */
const COUCH_CREDENTIALS: Readonly<Record<string, string>> = {
  'historian.usernameRequired': 'FIELDLINE_HISTORIAN_COUCH_URL needs FIELDLINE_HISTORIAN_COUCH_API_KEY (IBM Cloud IAM), or FIELDLINE_HISTORIAN_COUCH_USERNAME and FIELDLINE_HISTORIAN_COUCH_PASSWORD',
  'historian.passwordRequired': 'FIELDLINE_HISTORIAN_COUCH_USERNAME needs FIELDLINE_HISTORIAN_COUCH_PASSWORD (or set FIELDLINE_HISTORIAN_COUCH_API_KEY for IBM Cloud IAM instead)',
}
const KAFKA_CREDENTIALS: Readonly<Record<string, string>> = {
  'historian.passwordRequired': 'FIELDLINE_HISTORIAN_KAFKA_PASSWORD is required (for Event Streams, the API key)',
  'historian.clientCertPair': 'FIELDLINE_HISTORIAN_KAFKA_CERT_FILE and FIELDLINE_HISTORIAN_KAFKA_KEY_FILE go together: set both or neither',
}

/**
 * Builds one destination from variables; a refusal about its credentials (a profile's form names the field) then names
 * the variables instead, the first one as the refused variable.
 */
function withCredentialVariables<T>(hints: Readonly<Record<string, string>>, build: () => T): T {
  try {
    return build()
  } catch (e) {
    const hint = e instanceof AppError ? hints[e.details?.ref?.key ?? ''] : undefined
    if (!hint) throw e
    throw AppError.withRef('VALIDATION', hint, { key: 'historian.invalidVariable', params: { name: hint.split(' ')[0]! } })
  }
}

function secretNames(secrets: Record<string, string>): Set<string> {
  return new Set(Object.keys(secrets))
}

/** The destinations FIELDLINE_HISTORIAN_COUCH_* and FIELDLINE_HISTORIAN_KAFKA_* describe (possibly none). */
export function destinationsFromEnvironment(env: Env, files: EnvironmentFiles = {}): DestinationConfig[] {
  const destinations: DestinationConfig[] = []
  const couchUrl = envUrl(env, 'FIELDLINE_HISTORIAN_COUCH_URL')
  if (couchUrl) {
    const apiKey = trimmed(env, 'FIELDLINE_HISTORIAN_COUCH_API_KEY')
    const password = trimmed(env, 'FIELDLINE_HISTORIAN_COUCH_PASSWORD')
    const secrets = { ...(apiKey ? { apiKey } : {}), ...(password ? { password } : {}) }
    const settings = withCredentialVariables(COUCH_CREDENTIALS, () => {
      const s = fromVariables('FIELDLINE_HISTORIAN_COUCH_*', COUCH_VARIABLES, () =>
        normaliseCouchSettings({
          url: couchUrl,
          auth: apiKey ? 'iam' : 'basic',
          username: trimmed(env, 'FIELDLINE_HISTORIAN_COUCH_USERNAME') ?? '',
          ...(envUrl(env, 'FIELDLINE_HISTORIAN_COUCH_IAM_URL') ? { iamUrl: envUrl(env, 'FIELDLINE_HISTORIAN_COUCH_IAM_URL') } : {}),
          dbName: trimmed(env, 'FIELDLINE_HISTORIAN_COUCH_DB') ?? 'default',
          ...(trimmed(env, 'FIELDLINE_HISTORIAN_COUCH_BUCKET') ? { bucketInterval: trimmed(env, 'FIELDLINE_HISTORIAN_COUCH_BUCKET') } : {}),
          ...(trimmed(env, 'FIELDLINE_HISTORIAN_COUCH_TIME_ZONE') ? { timeZone: trimmed(env, 'FIELDLINE_HISTORIAN_COUCH_TIME_ZONE') } : {}),
          ...(envNumber(env, 'FIELDLINE_HISTORIAN_COUCH_RETENTION') !== undefined ? { retentionBuckets: envNumber(env, 'FIELDLINE_HISTORIAN_COUCH_RETENTION') } : {}),
          ...(envNumber(env, 'FIELDLINE_HISTORIAN_QUEUE_SIZE') !== undefined ? { queueSize: envNumber(env, 'FIELDLINE_HISTORIAN_QUEUE_SIZE') } : {}),
          ...(envNumber(env, 'FIELDLINE_HISTORIAN_COUCH_BATCH_SIZE') !== undefined ? { batchSize: envNumber(env, 'FIELDLINE_HISTORIAN_COUCH_BATCH_SIZE') } : {}),
          ...(files.couchCa ? { ca: files.couchCa } : {}),
        }),
      )
      assertDestinationSecrets('couchdb', s, secretNames(secrets))
      return s
    })
    destinations.push({ ref: 'couchdb/env', name: 'FIELDLINE_HISTORIAN_COUCH_URL', kind: 'couchdb', settings, secrets })
  }
  const brokers = trimmed(env, 'FIELDLINE_HISTORIAN_KAFKA_BROKERS')
  const restUrl = envUrl(env, 'FIELDLINE_HISTORIAN_KAFKA_REST_URL')
  if (brokers || restUrl) {
    const password = trimmed(env, 'FIELDLINE_HISTORIAN_KAFKA_PASSWORD')
    const restApi = trimmed(env, 'FIELDLINE_HISTORIAN_KAFKA_REST_API') ?? 'eventstreams'
    const secrets = { ...(password ? { password } : {}), ...(files.kafkaKey ? { clientKey: files.kafkaKey } : {}) }
    const settings = withCredentialVariables(KAFKA_CREDENTIALS, () => {
      const s = fromVariables('FIELDLINE_HISTORIAN_KAFKA_*', KAFKA_VARIABLES, () =>
        normaliseKafkaSettings({
          transport: brokers ? 'native' : restApi === 'confluent' ? 'confluent-rest' : 'eventstreams-rest',
          brokers: brokers
            ? brokers
                .split(',')
                .map((b) => b.trim())
                .filter(Boolean)
            : [],
          ...(trimmed(env, 'FIELDLINE_HISTORIAN_KAFKA_SECURITY') ? { security: trimmed(env, 'FIELDLINE_HISTORIAN_KAFKA_SECURITY') } : {}),
          ...(trimmed(env, 'FIELDLINE_HISTORIAN_KAFKA_MECHANISM') ? { saslMechanism: trimmed(env, 'FIELDLINE_HISTORIAN_KAFKA_MECHANISM') } : {}),
          ...(trimmed(env, 'FIELDLINE_HISTORIAN_KAFKA_USERNAME') ? { username: trimmed(env, 'FIELDLINE_HISTORIAN_KAFKA_USERNAME') } : {}),
          restUrl: restUrl ?? '',
          clusterId: trimmed(env, 'FIELDLINE_HISTORIAN_KAFKA_CLUSTER_ID') ?? '',
          topic: trimmed(env, 'FIELDLINE_HISTORIAN_KAFKA_TOPIC') ?? '',
          ...(envNumber(env, 'FIELDLINE_HISTORIAN_QUEUE_SIZE') !== undefined ? { queueSize: envNumber(env, 'FIELDLINE_HISTORIAN_QUEUE_SIZE') } : {}),
          ...(envNumber(env, 'FIELDLINE_HISTORIAN_KAFKA_BATCH_SIZE') !== undefined ? { batchSize: envNumber(env, 'FIELDLINE_HISTORIAN_KAFKA_BATCH_SIZE') } : {}),
          ...(files.kafkaCa ? { ca: files.kafkaCa } : {}),
          ...(files.kafkaCert ? { clientCert: files.kafkaCert } : {}),
        }),
      )
      assertDestinationSecrets('kafka', s, secretNames(secrets))
      return s
    })
    destinations.push({ ref: 'kafka/env', name: brokers ? 'FIELDLINE_HISTORIAN_KAFKA_BROKERS' : 'FIELDLINE_HISTORIAN_KAFKA_REST_URL', kind: 'kafka', settings, secrets })
  }
  return destinations
}

export function fromEnvironment(env: Env, files: EnvironmentFiles = {}): ForwarderConfig {
  const destinations = destinationsFromEnvironment(env, files)
  if (destinations.length === 0) {
    throw AppError.withRef('VALIDATION', 'No destination: set FIELDLINE_HISTORIAN_COUCH_URL or FIELDLINE_HISTORIAN_KAFKA_BROKERS (or _KAFKA_REST_URL)', { key: 'historian.noDestination' })
  }
  const rulesText = trimmed(env, 'FIELDLINE_HISTORIAN_RULES')
  let rules: HistorianRule[] = [{ deviceType: '*', eventId: '*', destinations: destinations.map((d) => d.ref as HistorianRule['destinations'][number]) }]
  if (rulesText) {
    let parsed: unknown
    try {
      parsed = JSON.parse(rulesText)
    } catch (e) {
      throw AppError.withRef('VALIDATION', `FIELDLINE_HISTORIAN_RULES is not JSON: ${e instanceof Error ? e.message : String(e)}`, {
        key: 'historian.invalidVariable',
        params: { name: 'FIELDLINE_HISTORIAN_RULES' },
      })
    }
    rules = parseOrThrow(envRules, parsed, 'FIELDLINE_HISTORIAN_RULES')
  }
  const mqttUrl = trimmed(env, 'FIELDLINE_MQTT_URL')
  const clientId = trimmed(env, 'FIELDLINE_MQTT_CLIENT_ID')
  if (!mqttUrl || !clientId) throw AppError.withRef('VALIDATION', 'Set FIELDLINE_MQTT_URL and FIELDLINE_MQTT_CLIENT_ID: the forwarder takes the events from the broker', { key: 'historian.noBroker' })
  const source = fromVariables('FIELDLINE_HISTORIAN_*', FORWARDER_VARIABLES, () =>
    normaliseHistorianSettings({
      rules,
      mqttVersion: Number(trimmed(env, 'FIELDLINE_HISTORIAN_MQTT_VERSION') ?? (trimmed(env, 'FIELDLINE_HISTORIAN_SHARE_GROUP') ? 5 : 4)),
      shareGroup: trimmed(env, 'FIELDLINE_HISTORIAN_SHARE_GROUP') ?? '',
      instanceId: trimmed(env, 'FIELDLINE_HISTORIAN_INSTANCE') ?? '',
      ...(envNumber(env, 'FIELDLINE_HISTORIAN_SESSION_EXPIRY') !== undefined ? { sessionExpirySeconds: envNumber(env, 'FIELDLINE_HISTORIAN_SESSION_EXPIRY') } : {}),
    }),
  ) as { mqttVersion: 4 | 5; shareGroup: string; instanceId: string; sessionExpirySeconds: number }
  const username = trimmed(env, 'FIELDLINE_MQTT_USERNAME')
  const password = env.FIELDLINE_MQTT_PASSWORD
  return checkConfig({
    id: 'env',
    org: orgFromEnvironment(env) ?? '',
    mqtt: {
      url: mqttUrl,
      clientId,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(files.mqttCa ? { ca: files.mqttCa } : {}),
      protocolVersion: source.mqttVersion,
      shareGroup: source.shareGroup,
      instanceId: source.instanceId || defaultInstanceId(),
      sessionExpirySeconds: source.sessionExpirySeconds,
    },
    mbed: false,
    rules,
    destinations,
  })
}
