/**
 * The rules of the historian's profiles (models/historian.ts): where a destination's credentials may travel, which
 * secrets each way of signing in needs, and which time zones exist. Profiles check them when an operator saves; the
 * historian checks the same rules for a configuration read from environment variables.
 */
import { couchSettingsSchema, historianSettingsSchema, kafkaSettingsSchema, type CouchSettings, type KafkaSettings } from '../../../src-shared/models/historian'
import { destinationSecretProblems } from '../../../src-shared/models/destination-rules'
import { withDefaultScheme } from '../../../src-shared/models/transport-rules'
import { AppError } from '../common/errors'
import { isLoopbackHost } from '../../../src-shared/models/hosts'
import { assertSecureUrl } from '../http/secure-url'
import { parseCaBundle } from '../http/trust'

/** Throws VALIDATION unless the runtime knows the IANA zone (Intl is the one place that can tell). */
export function assertTimeZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone
  } catch {
    throw AppError.withRef('VALIDATION', `Unknown time zone "${zone.slice(0, 64)}": use an IANA name such as Europe/Paris`, { key: 'historian.unknownTimeZone', params: { zone: zone.slice(0, 64) } })
  }
}

function canonicalZone(zone: string): string | null {
  try {
    return assertTimeZone(zone)
  } catch {
    return null
  }
}

/**
 * A service's base URL. A bare host (`account.cloudant.com`, `couch.example.com:6984`) means https://, as the forms
 * take it (withDefaultScheme) and as the other services' profiles do: the form accepted it and the core refused it.
 */
function baseUrl(value: string): string {
  return assertSecureUrl(withDefaultScheme(value)).href.replace(/\/+$/, '')
}

function checkCa(ca: string): void {
  if (ca.trim() !== '') parseCaBundle([ca])
}

export function normaliseCouchSettings(raw: Record<string, unknown>): CouchSettings {
  const s = couchSettingsSchema.parse(raw)
  checkCa(s.ca)
  if (s.auth === 'basic' && s.username === '') {
    throw AppError.withRef('VALIDATION', 'A user name is required to sign in with user name and password', { key: 'historian.usernameRequired' })
  }
  return { ...s, url: baseUrl(s.url), iamUrl: baseUrl(s.iamUrl), timeZone: assertTimeZone(s.timeZone) }
}

/**
 * A destination's bucket databases are named after its name part, interval and zone (iotp_<org>_<name>_<bucket>): once
 * it exists they stay as they are, for a change would leave every database already written out of the history and the
 * retention, which find a destination's databases by that name (and the forwarder would go on writing the old ones).
 */
export function assertCouchLayoutKept(before: CouchSettings, after: CouchSettings): void {
  // The zone as the core writes it now (assertTimeZone), should an older save have spelt it otherwise (europe/paris).
  const sameZone = before.timeZone === after.timeZone || canonicalZone(before.timeZone) === after.timeZone
  if (before.dbName === after.dbName && before.bucketInterval === after.bucketInterval && sameZone) return
  throw AppError.withRef(
    'VALIDATION',
    "A destination's database name part, bucket interval and time zone are fixed once it exists: its databases are named after them, and the history and the retention would no longer find those already written. Add another destination for another layout",
    { key: 'historian.layoutFixed' },
  )
}

/** A broker address: host:port, a host name or an IP literal ([::1]:9093), with a port. */
function parseBroker(broker: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(broker)
  const port = m ? Number(m[2]) : 0
  if (!m || port < 1 || port > 65_535) {
    throw AppError.withRef('VALIDATION', `Invalid broker address "${broker.slice(0, 100)}": use host:port`, { key: 'historian.invalidBroker', params: { broker: broker.slice(0, 100) } })
  }
  return { host: m[1] ?? '', port }
}

export function normaliseKafkaSettings(raw: Record<string, unknown>): KafkaSettings {
  const s = kafkaSettingsSchema.parse(raw)
  checkCa(s.ca)
  if (s.clientCert.trim() !== '') checkCa(s.clientCert)
  if (s.transport === 'native') {
    if (s.brokers.length === 0) throw AppError.withRef('VALIDATION', 'Name at least one broker (host:port)', { key: 'historian.brokersRequired' })
    const hosts = s.brokers.map(parseBroker)
    // As for HTTP: without TLS, credentials and events may only travel to this computer (the test brokers run there).
    if (s.security === 'plaintext' && !hosts.every((h) => isLoopbackHost(h.host))) {
      throw AppError.withRef('VALIDATION', 'Kafka without TLS is accepted for brokers on this computer only: use SASL_SSL or SSL', { key: 'historian.plaintextRemote' })
    }
    return s
  }
  if (s.restUrl === '') throw AppError.withRef('VALIDATION', 'The REST producer needs its URL', { key: 'historian.restUrlRequired' })
  if (s.transport === 'confluent-rest' && s.clusterId === '') {
    throw AppError.withRef('VALIDATION', 'The Confluent REST producer needs the cluster id', { key: 'historian.clusterIdRequired' })
  }
  return { ...s, restUrl: baseUrl(s.restUrl) }
}

export function normaliseHistorianSettings(raw: Record<string, unknown>): Record<string, unknown> {
  const s = historianSettingsSchema.parse(raw)
  if (s.shareGroup !== '' && s.mqttVersion !== 5) {
    // An MQTT 3.1.1 broker reads `$share/…` as a plain topic filter that no event ever matches: refuse, do not go silent.
    throw AppError.withRef('VALIDATION', 'A shared subscription needs MQTT 5: set the MQTT version to 5', { key: 'historian.shareNeedsMqtt5' })
  }
  if (!s.mqtt && !s.mbed) throw AppError.withRef('VALIDATION', 'Choose at least one source: the MQTT broker or the mbed bridge', { key: 'historian.noSource' })
  return s
}

/** The core's English for the shared rule's refusals (the renderer shows the translated key). */
const SECRET_PROBLEMS: Record<string, string> = {
  'historian.apiKeyRequired': 'The IAM API key is required',
  'historian.passwordRequired': 'The password (or API key) is required',
  'historian.clientCertPair': 'SSL client authentication needs both the certificate and its key, or neither',
}

/** The secrets a destination cannot sign in without, given how it signs in (models/destination-rules.ts). */
export function assertDestinationSecrets(extension: 'couchdb' | 'kafka', settings: Record<string, unknown>, secrets: ReadonlySet<string>): void {
  const [problem] = Object.values(destinationSecretProblems(extension, settings as CouchSettings | KafkaSettings, (s) => secrets.has(s)))
  if (problem) throw AppError.withRef('VALIDATION', SECRET_PROBLEMS[problem.key] ?? problem.key, problem)
}
