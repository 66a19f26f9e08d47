/** Headless bridge configuration (src-main/core/mbed/config.ts) and the client's URL rules. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { ENV_SETTING_NAMES, ENV_VARIABLES, bridgeConfigFromEnv, bridgeConfigFromProfiles, checkBridgeConfig, inferFlavour, parsePresubscriptionsJson } from '../../src-main/core/mbed/config'
import { mbedSettingsSchema } from '../../src-shared/models/profiles'
import { checkWebSocketUrl, createMbedClient, deriveWebSocketUrl, encodeResourcePath } from '../../src-main/core/mbed/connector.client'

const base = {
  FIELDLINE_MBED_ACCESS_KEY: 'ak_1',
  FIELDLINE_MQTT_URL: 'mqtts://org.messaging.internetofthings.ibmcloud.com:8883',
  FIELDLINE_MQTT_CLIENT_ID: 'a:org:bridge',
}

function refusal(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    return (e as AppError).message
  }
  throw new Error('expected a refusal')
}

describe('bridgeConfigFromEnv', () => {
  it('applies the defaults', () => {
    const c = bridgeConfigFromEnv(base)
    expect(c.mbed).toEqual({
      apiUrl: 'https://api.connector.mbed.com',
      accessKey: 'ak_1',
      flavour: 'connector',
      channel: 'longpoll',
      defaultDeviceType: 'mbed',
      queueSize: 10_000,
      presubscriptions: null,
    })
    expect(c.mqtt).toEqual({ url: base.FIELDLINE_MQTT_URL, clientId: 'a:org:bridge' })
    expect(checkBridgeConfig(c).mqttSecurity).toBe('tls')
  })

  it('reads every variable', () => {
    const c = bridgeConfigFromEnv({
      ...base,
      FIELDLINE_MBED_URL: 'https://api.us-east-1.mbedcloud.com',
      FIELDLINE_MBED_CHANNEL: 'websocket',
      FIELDLINE_MBED_DEVICE_TYPE: 'mbed-dev',
      FIELDLINE_MBED_QUEUE_SIZE: '500',
      FIELDLINE_MQTT_USERNAME: 'a-org-key',
      FIELDLINE_MQTT_PASSWORD: 'token',
    })
    expect(c.mbed).toMatchObject({ flavour: 'pelion', channel: 'websocket', defaultDeviceType: 'mbed-dev', queueSize: 500 })
    expect(c.mqtt).toMatchObject({ username: 'a-org-key', password: 'token' })
    checkBridgeConfig(c)
  })

  it('reads each setting from the variable the one list names, which the README lists and a refusal names', () => {
    const V = ENV_VARIABLES
    const c = bridgeConfigFromEnv({
      [V.accessKey]: 'ak_listed',
      [V.mqttUrl]: 'mqtts://listed.example.com:8883',
      [V.mqttClientId]: 'a:org:listed',
      [V.mqttUsername]: 'listed-user',
      [V.mqttPassword]: 'listed-token',
      [V.apiUrl]: 'https://api.listed.example.com',
      [V.channel]: 'websocket',
      [V.flavour]: 'pelion',
      [V.defaultDeviceType]: 'listed-type',
      [V.queueSize]: '321',
      [V.presubscriptions]: '[{"endpoint-type": "Listed"}]',
    })
    expect(c).toEqual({
      mbed: {
        apiUrl: 'https://api.listed.example.com',
        accessKey: 'ak_listed',
        flavour: 'pelion',
        channel: 'websocket',
        defaultDeviceType: 'listed-type',
        queueSize: 321,
        presubscriptions: [{ 'endpoint-type': 'Listed' }],
      },
      mqtt: { url: 'mqtts://listed.example.com:8883', clientId: 'a:org:listed', username: 'listed-user', password: 'listed-token' },
    })
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    expect(Object.values(V).filter((name) => !readme.includes(name))).toEqual([])
    for (const [setting, name] of Object.entries(ENV_SETTING_NAMES)) expect(V[setting as keyof typeof V]).toBe(name)
  })

  it('names what is missing or wrong', () => {
    expect(refusal(() => bridgeConfigFromEnv({ ...base, FIELDLINE_MBED_ACCESS_KEY: '' }))).toContain('FIELDLINE_MBED_ACCESS_KEY')
    expect(refusal(() => bridgeConfigFromEnv({ ...base, FIELDLINE_MQTT_URL: undefined }))).toContain('FIELDLINE_MQTT_URL')
    expect(refusal(() => bridgeConfigFromEnv({ ...base, FIELDLINE_MQTT_CLIENT_ID: ' ' }))).toContain('FIELDLINE_MQTT_CLIENT_ID')
    expect(refusal(() => bridgeConfigFromEnv({ ...base, FIELDLINE_MBED_CHANNEL: 'callback' }))).toContain('FIELDLINE_MBED_CHANNEL')
    expect(refusal(() => bridgeConfigFromEnv({ ...base, FIELDLINE_MBED_FLAVOUR: 'izuma' }))).toContain('FIELDLINE_MBED_FLAVOUR')
    const check = (env: Record<string, string>) => refusal(() => checkBridgeConfig(bridgeConfigFromEnv({ ...base, ...env })))
    expect(check({ FIELDLINE_MBED_URL: 'http://api.connector.mbed.com' })).toContain('mbed API URL')
    expect(check({ FIELDLINE_MBED_DEVICE_TYPE: 'has space' })).toContain('default device type')
    expect(check({ FIELDLINE_MBED_QUEUE_SIZE: '0' })).toContain('queue size')
    expect(check({ FIELDLINE_MBED_QUEUE_SIZE: 'lots' })).toContain('queue size')
    expect(check({ FIELDLINE_MQTT_URL: 'https://broker' })).toContain('MQTT URL')
    expect(check({ FIELDLINE_MQTT_CLIENT_ID: 'd:org:type:dev' })).toContain('MQTT client id')
    expect(check({ FIELDLINE_MBED_CHANNEL: 'websocket', FIELDLINE_MBED_FLAVOUR: 'connector' })).toContain('Pelion')
    expect(check({ FIELDLINE_MQTT_PASSWORD: 'secret' })).toContain('user name')
  })

  it('names the variable that holds the problem when asked to (cold trial: FIELDLINE_MBED_QUEUE_SIZE=abc said "queue size")', () => {
    const check = (env: Record<string, string>) => refusal(() => checkBridgeConfig(bridgeConfigFromEnv({ ...base, ...env }), ENV_SETTING_NAMES))
    expect(check({ FIELDLINE_MBED_URL: 'http://api.connector.mbed.com' })).toMatch(/^FIELDLINE_MBED_URL: /)
    expect(check({ FIELDLINE_MBED_DEVICE_TYPE: 'has space' })).toMatch(/^FIELDLINE_MBED_DEVICE_TYPE: /)
    expect(check({ FIELDLINE_MBED_QUEUE_SIZE: 'lots' })).toMatch(/^FIELDLINE_MBED_QUEUE_SIZE: must be a whole number/)
    expect(check({ FIELDLINE_MQTT_URL: 'https://broker' })).toMatch(/^FIELDLINE_MQTT_URL: /)
    expect(check({ FIELDLINE_MQTT_CLIENT_ID: 'd:org:type:dev' })).toMatch(/^FIELDLINE_MQTT_CLIENT_ID: /)
    expect(check({ FIELDLINE_MBED_CHANNEL: 'websocket', FIELDLINE_MBED_FLAVOUR: 'connector' })).toMatch(/^FIELDLINE_MBED_CHANNEL: /)
    expect(check({ FIELDLINE_MQTT_PASSWORD: 'secret' })).toMatch(/^FIELDLINE_MQTT_PASSWORD: /)
  })

  it('allows plain MQTT to another host, marked so the caller warns', () => {
    expect(checkBridgeConfig(bridgeConfigFromEnv({ ...base, FIELDLINE_MQTT_URL: 'mqtt://10.0.0.5:1883' })).mqttSecurity).toBe('plain-remote')
    expect(checkBridgeConfig(bridgeConfigFromEnv({ ...base, FIELDLINE_MQTT_URL: 'mqtt://127.0.0.1:1883' })).mqttSecurity).toBe('loopback-plain')
  })

  it('infers the flavour from the host', () => {
    expect(inferFlavour('https://api.connector.mbed.com', 'longpoll')).toBe('connector')
    expect(inferFlavour('https://api.us-east-1.mbedcloud.com', undefined)).toBe('pelion')
    expect(inferFlavour('http://127.0.0.1:1234', 'websocket')).toBe('pelion')
  })
})

describe('bridgeConfigFromProfiles', () => {
  it('maps the mbed and platform profiles and requires the access key', () => {
    const mbed = {
      apiUrl: 'https://api.connector.mbed.com',
      flavour: 'connector' as const,
      channel: 'longpoll' as const,
      defaultDeviceType: 'mbed',
      queueSize: 1000,
      presubscriptions: [{ 'endpoint-type': 'Light' }],
    }
    const platform = { url: 'mqtts://b:8883', clientId: 'a:o:app', username: 'u', ca: '' }
    const c = bridgeConfigFromProfiles({ settings: mbed, accessKey: 'k' }, { settings: platform, password: 'p' })
    expect(c).toEqual({ mbed: { ...mbed, accessKey: 'k' }, mqtt: { url: 'mqtts://b:8883', clientId: 'a:o:app', username: 'u', password: 'p' } })
    expect(refusal(() => bridgeConfigFromProfiles({ settings: mbed, accessKey: null }, { settings: platform, password: null }))).toContain('access key')
  })
})

describe('mbed client URLs', () => {
  it('sends the key over https, or http to loopback only', () => {
    expect(refusal(() => createMbedClient({ baseUrl: 'http://api.connector.mbed.com', accessKey: 'k' }))).toContain('https://')
    expect(refusal(() => createMbedClient({ baseUrl: 'https://x', accessKey: 'k', wsUrl: 'ws://x/ws' }))).toContain('https://')
    expect(refusal(() => createMbedClient({ accessKey: 'has space' }))).toContain('access key')
    expect(refusal(() => createMbedClient({ accessKey: '' }))).toContain('access key')
  })

  it('derives the WebSocket URL from the API base', () => {
    expect(deriveWebSocketUrl(new URL('https://api.us-east-1.mbedcloud.com'))).toBe('wss://api.us-east-1.mbedcloud.com/v2/notification/websocket-connect')
    expect(deriveWebSocketUrl(new URL('http://127.0.0.1:8080/base/'))).toBe('ws://127.0.0.1:8080/base/v2/notification/websocket-connect')
    expect(checkWebSocketUrl('ws://localhost:1/x').protocol).toBe('ws:')
    expect(refusal(() => checkWebSocketUrl('https://x'))).toContain('wss://')
  })

  it('encodes resource path segments', () => {
    expect(encodeResourcePath('/3/0/1')).toBe('/3/0/1')
    expect(encodeResourcePath('/a b/c%d')).toBe('/a%20b/c%25d')
  })
})

describe('pre-subscription rules', () => {
  it('reads FIELDLINE_MBED_PRESUBSCRIPTIONS as the JSON array of §1.4', () => {
    const rules = [{ 'endpoint-name': 'node*', 'resource-path': ['/3303/*'] }, { 'endpoint-type': 'Light' }]
    expect(bridgeConfigFromEnv({ ...base, FIELDLINE_MBED_PRESUBSCRIPTIONS: JSON.stringify(rules) }).mbed.presubscriptions).toEqual(rules)
    expect(bridgeConfigFromEnv({ ...base, FIELDLINE_MBED_PRESUBSCRIPTIONS: '[]' }).mbed.presubscriptions).toEqual([])
    expect(bridgeConfigFromEnv({ ...base, FIELDLINE_MBED_PRESUBSCRIPTIONS: ' ' }).mbed.presubscriptions).toBeNull()
  })

  it('names the line and column of a syntax error or of a rule outside the limits', () => {
    expect(refusal(() => parsePresubscriptionsJson('[\n  {"endpoint-type": "Light",}\n]'))).toMatch(/^FIELDLINE_MBED_PRESUBSCRIPTIONS: line 2, column \d+: JSON syntax error/)
    const long = `[\n  {"endpoint-type": "Light"},\n  {"endpoint-name": "${'x'.repeat(65)}"}\n]`
    expect(refusal(() => parsePresubscriptionsJson(long))).toBe('FIELDLINE_MBED_PRESUBSCRIPTIONS: line 3, column 21: [1].endpoint-name: must be at most 64 characters')
    expect(refusal(() => parsePresubscriptionsJson('[{"resource-path": ["/3/*/1"]}]'))).toContain("[0].resource-path[0]: may contain '*' only as its last character")
    expect(refusal(() => parsePresubscriptionsJson('[{"resource-path": ["3/0/1"]}]'))).toContain("must start with '/'")
    expect(refusal(() => parsePresubscriptionsJson('[{"endpoint-type": "a*"}]'))).toContain("must not contain '*'")
    expect(refusal(() => parsePresubscriptionsJson('[{}]'))).toContain('a rule needs')
    expect(refusal(() => parsePresubscriptionsJson('[{"endpoint-tipe": "Light"}]'))).toMatch(/line 1, column 2: \[0\]: .*endpoint-tipe/)
    expect(refusal(() => parsePresubscriptionsJson('{"endpoint-type": "Light"}'))).toContain('line 1, column 1')
    expect(refusal(() => parsePresubscriptionsJson(JSON.stringify(Array.from({ length: 1025 }, () => ({ 'endpoint-type': 'T' })))))).toContain('at most 1024 rules')
    expect(
      refusal(() =>
        parsePresubscriptionsJson(JSON.stringify([{ 'resource-path': Array.from({ length: 200 }, (_, i) => `/a/${i}`) }, { 'resource-path': Array.from({ length: 57 }, (_, i) => `/b/${i}`) }])),
      ),
    ).toContain('at most 256 distinct')
    expect(refusal(() => parsePresubscriptionsJson('['.repeat(20) + ']'.repeat(20)))).toContain('nested')
  })

  it('keeps exactly the limits: 64-character names and types, 128-character paths, 256 paths and 1024 rules pass', () => {
    const rules = [
      { 'endpoint-name': `${'n'.repeat(63)}*`, 'endpoint-type': 't'.repeat(64), 'resource-path': [`/${'p'.repeat(126)}*`, ...Array.from({ length: 255 }, (_, i) => `/q/${i}`)] },
      ...Array.from({ length: 1023 }, () => ({ 'endpoint-type': 'T' })),
    ]
    expect(parsePresubscriptionsJson(JSON.stringify(rules))).toHaveLength(1024)
  })

  it('the profile holds them: default null, refusals carry their translated key', () => {
    expect(mbedSettingsSchema.parse({}).presubscriptions).toBeNull()
    const r = mbedSettingsSchema.safeParse({ presubscriptions: [{ 'resource-path': ['/a*b'] }] })
    expect(r.success).toBe(false)
    const issue = r.error?.issues[0]
    expect(issue?.code === 'custom' ? issue.params : undefined).toEqual({ messageKey: 'mbed.presubPathInvalid' })
    expect(refusal(() => checkBridgeConfig({ ...bridgeConfigFromEnv(base), mbed: { ...bridgeConfigFromEnv(base).mbed, presubscriptions: [{}] } }))).toContain('pre-subscriptions')
  })
})
