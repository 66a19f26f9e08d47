/**
 * What a headless bridge needs, from a saved mbed profile plus its platform (MQTT) profile, or from environment
 * variables for scripts. Both end in one `MbedBridgeConfig`, checked here so that a bad configuration is refused
 * before anything connects, with the reason (the CLI exits 2 with it).
 */
import { mbedPresubscriptionsSchema, type MbedPresubscription } from '../../../src-shared/models/mbed-presubscriptions'
import { AppError } from '../common/errors'
import { assertSecureUrl } from '../http/secure-url'
import { parseJsonDocument } from '../json/parse'
import { deepestNode } from '../json/schema-diagnostics'
import { linkSecurity, parseClientId, type LinkSecurity } from '../platform/broker-url'
import { isValidTopicPart } from '../platform/topics'
import type { ChannelKind } from './channel'
import { MBED_CONNECTOR_URL, type MbedFlavour } from './connector.client'

export interface MbedBridgeConfig {
  mbed: {
    apiUrl: string
    /** Secret. */
    accessKey: string
    flavour: MbedFlavour
    channel: ChannelKind
    defaultDeviceType: string
    queueSize: number
    /** Pre-subscription rules, or null: every observable resource (subscriptions.ts). */
    presubscriptions: MbedPresubscription[] | null
    /** Extra PEM CA certificates for the mbed API. */
    ca?: string[]
  }
  mqtt: {
    url: string
    clientId: string
    username?: string
    /** Secret. */
    password?: string
    ca?: string[]
  }
}

/** The mbed profile as the profiles service stores it (src-shared/models/profiles.ts mbedSettingsSchema). */
export interface MbedProfileSettings {
  apiUrl: string
  flavour: MbedFlavour
  channel: ChannelKind
  defaultDeviceType: string
  queueSize: number
  presubscriptions: MbedPresubscription[] | null
}

/** The platform profile (platformSettingsSchema). */
export interface PlatformProfileSettings {
  url: string
  clientId: string
  username: string
  ca: string
}

export const DEFAULT_QUEUE_SIZE = 10_000

function invalid(name: string, message: string): AppError {
  return AppError.withRef('VALIDATION', `${name}: ${message}`, { key: 'mbed.config.invalid', params: { name, reason: message } })
}

/** Pelion / Izuma hosts use the newer API forms (docs/wire/mbed.md §1.1): their cloud hosts are *.mbedcloud.com; Izuma kept them. */
export function inferFlavour(apiUrl: string, channel: ChannelKind | undefined): MbedFlavour {
  if (channel === 'websocket') return 'pelion'
  try {
    const host = new URL(apiUrl).hostname.toLowerCase()
    if (host.endsWith('.mbedcloud.com') || host.includes('izuma') || host.includes('pelion')) return 'pelion'
  } catch {
    // Reported by checkBridgeConfig.
  }
  return 'connector'
}

/** Pre-subscription JSON nested deeper than this is refused unread (a rule is three levels deep). */
const PRESUBSCRIPTIONS_MAX_DEPTH = 8

/**
 * The variables a bridge configured from the environment reads, by the setting each holds: the one list of their
 * names, which bridgeConfigFromEnv reads and a refusal names (ENV_SETTING_NAMES). The CA files they name are read by
 * the caller.
 */
export const ENV_VARIABLES = {
  apiUrl: 'FIELDLINE_MBED_URL',
  accessKey: 'FIELDLINE_MBED_ACCESS_KEY',
  channel: 'FIELDLINE_MBED_CHANNEL',
  flavour: 'FIELDLINE_MBED_FLAVOUR',
  defaultDeviceType: 'FIELDLINE_MBED_DEVICE_TYPE',
  queueSize: 'FIELDLINE_MBED_QUEUE_SIZE',
  presubscriptions: 'FIELDLINE_MBED_PRESUBSCRIPTIONS',
  mqttUrl: 'FIELDLINE_MQTT_URL',
  mqttClientId: 'FIELDLINE_MQTT_CLIENT_ID',
  mqttUsername: 'FIELDLINE_MQTT_USERNAME',
  mqttPassword: 'FIELDLINE_MQTT_PASSWORD',
  mbedCaFile: 'FIELDLINE_MBED_CA_FILE',
  mqttCaFile: 'FIELDLINE_MQTT_CA_FILE',
} as const

/**
 * The pre-subscription rules of FIELDLINE_MBED_PRESUBSCRIPTIONS: a JSON array in the wire form of §1.4. A syntax
 * error, and a rule outside the limits, are refused with the line and column where they are.
 */
export function parsePresubscriptionsJson(text: string, name: string = ENV_VARIABLES.presubscriptions): MbedPresubscription[] {
  const doc = parseJsonDocument(text, { syntaxKey: 'mbed.config.invalid', depth: { max: PRESUBSCRIPTIONS_MAX_DEPTH, key: 'mbed.config.invalid' } })
  if (!doc.ok) {
    const first = doc.diagnostics[0]
    throw invalid(name, first ? `line ${first.line}, column ${first.column}: ${first.message}` : 'is not valid JSON')
  }
  const parsed = mbedPresubscriptionsSchema.safeParse(doc.value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const path = issue?.path ?? []
  // The deepest value that exists: an unknown key or a missing one points at its object.
  const at = doc.lines.position(deepestNode(doc.tree, path)?.offset ?? 0)
  const where = path.length > 0 ? `${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ` : ''
  throw invalid(name, `line ${at.line}, column ${at.column}: ${where}${issue?.message ?? 'invalid'}`)
}

/**
 * Reads ENV_VARIABLES: the mbed URL (default the Connector host), access key, channel (longpoll | websocket, default
 * longpoll), default device type (default mbed), flavour (connector | pelion; default from the host and channel), queue
 * size, pre-subscriptions (JSON rules; unset: every observable resource), and the broker's URL, client id, user name
 * and password.
 */
export function bridgeConfigFromEnv(env: Record<string, string | undefined>): MbedBridgeConfig {
  const V = ENV_VARIABLES
  const get = (name: string): string | undefined => {
    const v = env[name]
    return v === undefined || v.trim() === '' ? undefined : v.trim()
  }
  const accessKey = env[V.accessKey]?.trim()
  if (!accessKey) throw invalid(V.accessKey, 'is required (the mbed access key)')
  const mqttUrl = get(V.mqttUrl)
  if (!mqttUrl) throw invalid(V.mqttUrl, 'is required (mqtt://, mqtts://, ws:// or wss:// URL of the broker)')
  const clientId = get(V.mqttClientId)
  if (!clientId) throw invalid(V.mqttClientId, 'is required (an application client id, a:<org>:<appId>)')

  const channelText = get(V.channel) ?? 'longpoll'
  if (channelText !== 'longpoll' && channelText !== 'websocket') throw invalid(V.channel, `must be longpoll or websocket, not "${channelText.slice(0, 40)}"`)
  const flavourText = get(V.flavour)
  if (flavourText !== undefined && flavourText !== 'connector' && flavourText !== 'pelion') {
    throw invalid(V.flavour, `must be connector or pelion, not "${flavourText.slice(0, 40)}"`)
  }
  const apiUrl = get(V.apiUrl) ?? MBED_CONNECTOR_URL
  const queueText = get(V.queueSize)
  const queueSize = queueText === undefined ? DEFAULT_QUEUE_SIZE : Number(queueText)
  const presubscriptionsText = get(V.presubscriptions)
  const presubscriptions = presubscriptionsText === undefined ? null : parsePresubscriptionsJson(presubscriptionsText)

  const password = env[V.mqttPassword]
  const username = get(V.mqttUsername)
  return {
    mbed: {
      apiUrl,
      accessKey,
      flavour: flavourText ?? inferFlavour(apiUrl, channelText),
      channel: channelText,
      defaultDeviceType: get(V.defaultDeviceType) ?? 'mbed',
      queueSize,
      presubscriptions,
    },
    mqtt: {
      url: mqttUrl,
      clientId,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined && password !== '' ? { password } : {}),
    },
  }
}

/** Maps a saved mbed profile and its platform profile (with their secrets from the vault) to a bridge configuration. */
export function bridgeConfigFromProfiles(
  mbed: { settings: MbedProfileSettings; accessKey: string | null },
  platform: { settings: PlatformProfileSettings; password: string | null },
): MbedBridgeConfig {
  if (!mbed.accessKey) throw invalid('accessKey', 'the mbed profile has no access key in the vault')
  return {
    mbed: {
      apiUrl: mbed.settings.apiUrl,
      accessKey: mbed.accessKey,
      flavour: mbed.settings.flavour,
      channel: mbed.settings.channel,
      defaultDeviceType: mbed.settings.defaultDeviceType,
      queueSize: mbed.settings.queueSize,
      presubscriptions: mbed.settings.presubscriptions,
    },
    mqtt: {
      url: platform.settings.url,
      clientId: platform.settings.clientId,
      ...(platform.settings.username ? { username: platform.settings.username } : {}),
      ...(platform.password ? { password: platform.password } : {}),
      ...(platform.settings.ca.trim() ? { ca: [platform.settings.ca] } : {}),
    },
  }
}

/** How a refusal names each setting: a profile's words by default; ENV_SETTING_NAMES for a bridge configured by variables. */
export interface SettingNames {
  apiUrl: string
  channel: string
  defaultDeviceType: string
  queueSize: string
  presubscriptions: string
  mqttUrl: string
  mqttPassword: string
  mqttClientId: string
}

const PROFILE_SETTING_NAMES: SettingNames = {
  apiUrl: 'mbed API URL',
  channel: 'channel',
  defaultDeviceType: 'default device type',
  queueSize: 'queue size',
  presubscriptions: 'pre-subscriptions',
  mqttUrl: 'MQTT URL',
  mqttPassword: 'MQTT password',
  mqttClientId: 'MQTT client id',
}

/** The variables bridgeConfigFromEnv reads each setting from: the operator set those, not "queue size". */
export const ENV_SETTING_NAMES: SettingNames = ENV_VARIABLES

/**
 * Checks a configuration; throws VALIDATION naming the first problem by `names`. Returns the MQTT link's security so
 * the caller can warn about an unencrypted connection to another host (allowed: plant networks).
 */
export function checkBridgeConfig(config: MbedBridgeConfig, names: SettingNames = PROFILE_SETTING_NAMES): { mqttSecurity: LinkSecurity } {
  const rethrow = (name: string, e: unknown): never => {
    throw invalid(name, e instanceof Error ? e.message : String(e))
  }
  try {
    assertSecureUrl(config.mbed.apiUrl)
  } catch (e) {
    rethrow(names.apiUrl, e)
  }
  if (!['longpoll', 'websocket'].includes(config.mbed.channel)) throw invalid(names.channel, 'must be longpoll or websocket')
  if (config.mbed.channel === 'websocket' && config.mbed.flavour !== 'pelion') {
    throw invalid(names.channel, 'the WebSocket channel exists on Pelion/Izuma hosts only; use longpoll with the legacy Connector or set the flavour to pelion')
  }
  if (!isValidTopicPart('typeId', config.mbed.defaultDeviceType)) {
    throw invalid(names.defaultDeviceType, `"${String(config.mbed.defaultDeviceType).slice(0, 40)}" must be 1–36 letters, digits, '-', '_' or '.'`)
  }
  if (!Number.isInteger(config.mbed.queueSize) || config.mbed.queueSize < 1 || config.mbed.queueSize > 10_000_000) {
    throw invalid(names.queueSize, 'must be a whole number from 1 to 10,000,000')
  }
  if (config.mbed.presubscriptions !== null) {
    const parsed = mbedPresubscriptionsSchema.safeParse(config.mbed.presubscriptions)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw invalid(names.presubscriptions, `${(issue?.path ?? []).join('.')}: ${issue?.message ?? 'invalid'}`)
    }
  }
  let mqttSecurity: LinkSecurity = 'tls'
  try {
    mqttSecurity = linkSecurity(config.mqtt.url)
  } catch (e) {
    rethrow(names.mqttUrl, e)
  }
  // MQTT 3.1.1 §3.1.2.9: a password without a user name is a protocol error; brokers drop the connection for it.
  if (config.mqtt.password !== undefined && config.mqtt.username === undefined) throw invalid(names.mqttPassword, 'a password needs a user name (FIELDLINE_MQTT_USERNAME)')
  try {
    parseClientId(config.mqtt.clientId)
  } catch (e) {
    rethrow(names.mqttClientId, e)
  }
  return { mqttSecurity }
}
