import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import {
  assertPublishTopic,
  assertTopicFilter,
  commandSubscription,
  commandTopic,
  dmCustomActionSubscription,
  dmCustomActionTopic,
  dmResponseTopic,
  eventTopic,
  parseTopic,
  topicMatches,
} from '../../src-main/core/platform/topics'

/** Runs `fn` and returns the AppError it throws (fails the test when it does not throw one). */
function thrown(fn: () => unknown): AppError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    return e as AppError
  }
  throw new Error('expected a throw')
}

const BAD_IDS: Array<[string, string]> = [
  ['empty', ''],
  ['slash', 'a/b'],
  ['plus wildcard', '+'],
  ['plus inside', 'a+b'],
  ['hash wildcard', '#'],
  ['hash inside', 'dev#1'],
  ['space', 'dev 1'],
  ['colon', 'a:b'],
  ['unicode letter', 'capteur-é'],
  ['unicode lookalike', 'dev\u04301'],
  ['emoji', 'dev🔥'],
  ['NUL', 'dev\u0000'],
  ['dollar', '$SYS'],
  ['too long (37)', 'x'.repeat(37)],
]

describe('event and command topics', () => {
  it('builds the application/gateway forms of docs/wire/platform-mqtt.md §3', () => {
    expect(eventTopic('mbed-light', '0172.ab_7', 'notify', 'json')).toBe('iot-2/type/mbed-light/id/0172.ab_7/evt/notify/fmt/json')
    expect(commandTopic('mbed-light', 'node-001', 'PUT', 'json')).toBe('iot-2/type/mbed-light/id/node-001/cmd/PUT/fmt/json')
  })

  it('round-trips through parseTopic', () => {
    const cases = [
      ['t', 'd', 'asyncResponse', 'json'],
      ['T.1', 'x'.repeat(36), 'cmd-response', 'bin'],
      ['a', 'b', 'c', 'd'],
    ] as const
    for (const [type, id, name, fmt] of cases) {
      expect(parseTopic(eventTopic(type, id, name, fmt))).toEqual({ kind: 'event', type, id, name, fmt })
      expect(parseTopic(commandTopic(type, id, name, fmt))).toEqual({ kind: 'command', type, id, name, fmt })
    }
  })

  it('accepts exactly 36 characters and refuses 37', () => {
    expect(() => eventTopic('t'.repeat(36), 'd', 'e', 'f')).not.toThrow()
    expect(thrown(() => eventTopic('t'.repeat(37), 'd', 'e', 'f')).details?.ref?.params).toEqual({ part: 'typeId', value: 't'.repeat(37) })
  })

  it.each(BAD_IDS)('refuses a %s in every part, naming the part', (_label, bad) => {
    const parts = [
      ['typeId', () => eventTopic(bad, 'd', 'e', 'json')],
      ['deviceId', () => eventTopic('t', bad, 'e', 'json')],
      ['eventId', () => eventTopic('t', 'd', bad, 'json')],
      ['format', () => eventTopic('t', 'd', 'e', bad)],
      ['typeId', () => commandTopic(bad, 'd', 'c', 'json')],
      ['deviceId', () => commandTopic('t', bad, 'c', 'json')],
      ['commandId', () => commandTopic('t', 'd', bad, 'json')],
      ['format', () => commandTopic('t', 'd', 'c', bad)],
    ] as const
    for (const [part, build] of parts) {
      const e = thrown(build)
      expect(e.code).toBe('VALIDATION')
      expect(e.details?.ref?.key).toBe('platform.invalidTopicPart')
      expect(e.details?.ref?.params?.part).toBe(part)
    }
  })

  it('refuses values that are not strings', () => {
    const e = thrown(() => eventTopic('t', undefined as unknown as string, 'e', 'json'))
    expect(e.details?.ref?.params).toEqual({ part: 'deviceId', value: 'undefined' })
  })
})

describe('command subscriptions', () => {
  it("gives one all-types filter for '+'", () => {
    expect(commandSubscription('+')).toEqual(['iot-2/type/+/id/+/cmd/+/fmt/+'])
  })

  it('gives one filter per distinct type', () => {
    expect(commandSubscription(['mbed-light', 'mbed-sensor', 'mbed-light'])).toEqual(['iot-2/type/mbed-light/id/+/cmd/+/fmt/+', 'iot-2/type/mbed-sensor/id/+/cmd/+/fmt/+'])
    expect(commandSubscription([])).toEqual([])
  })

  it('refuses wildcards or bad characters inside a type list', () => {
    for (const bad of ['+', '#', 'a/b', '']) expect(thrown(() => commandSubscription(['ok', bad])).details?.ref?.params?.part).toBe('typeId')
  })

  it('filters are valid MQTT filters that match the built topics', () => {
    const [all] = commandSubscription('+')
    const [light] = commandSubscription(['light'])
    expect(assertTopicFilter(all)).toBe(all)
    expect(topicMatches(all ?? '', commandTopic('light', 'n1', 'PUT', 'json'))).toBe(true)
    expect(topicMatches(light ?? '', commandTopic('light', 'n1', 'PUT', 'json'))).toBe(true)
    expect(topicMatches(light ?? '', commandTopic('sensor', 'n1', 'PUT', 'json'))).toBe(false)
    expect(topicMatches(all ?? '', eventTopic('light', 'n1', 'notify', 'json'))).toBe(false)
  })

  it('has the gateway device-management equivalent', () => {
    expect(dmCustomActionSubscription('+')).toEqual(['iotdm-1/type/+/id/+/mgmt/custom/+/+'])
    expect(topicMatches(dmCustomActionSubscription(['gw'])[0] ?? '', dmCustomActionTopic('gw', 'd1', 'b', 'a'))).toBe(true)
  })
})

describe('device-management topics (gateway form)', () => {
  it('builds and parses custom actions', () => {
    const topic = dmCustomActionTopic('exampleDeviceType', 'dev-1', 'exampleDeviceType-actions-v1', 'installPlugin')
    expect(topic).toBe('iotdm-1/type/exampleDeviceType/id/dev-1/mgmt/custom/exampleDeviceType-actions-v1/installPlugin')
    expect(parseTopic(topic)).toEqual({ kind: 'dm-custom', type: 'exampleDeviceType', id: 'dev-1', bundleId: 'exampleDeviceType-actions-v1', actionId: 'installPlugin' })
  })

  it('builds and parses responses', () => {
    expect(dmResponseTopic('t', 'd')).toBe('iotdevice-1/type/t/id/d/response')
    expect(parseTopic(dmResponseTopic('t', 'd'))).toEqual({ kind: 'dm-response', type: 't', id: 'd' })
  })

  it('allows bundle and action ids up to 255 characters, not 256', () => {
    const long = 'b'.repeat(255)
    expect(parseTopic(dmCustomActionTopic('t', 'd', long, long))).toMatchObject({ bundleId: long, actionId: long })
    expect(thrown(() => dmCustomActionTopic('t', 'd', 'b'.repeat(256), 'a')).details?.ref?.params?.part).toBe('bundleId')
    expect(thrown(() => dmCustomActionTopic('t', 'd', 'b', 'a'.repeat(256))).details?.ref?.params?.part).toBe('actionId')
  })

  it.each(BAD_IDS.filter(([label]) => !label.startsWith('too long')))('refuses a %s in bundle and action ids', (_label, bad) => {
    expect(thrown(() => dmCustomActionTopic('t', 'd', bad, 'a')).details?.ref?.params?.part).toBe('bundleId')
    expect(thrown(() => dmCustomActionTopic('t', 'd', 'b', bad)).details?.ref?.params?.part).toBe('actionId')
    expect(thrown(() => dmResponseTopic(bad, 'd')).details?.ref?.params?.part).toBe('typeId')
    expect(thrown(() => dmResponseTopic('t', bad)).details?.ref?.params?.part).toBe('deviceId')
  })

  it('keeps device ids at 36 characters in DM topics', () => {
    expect(thrown(() => dmCustomActionTopic('t', 'd'.repeat(37), 'b', 'a')).details?.ref?.params?.part).toBe('deviceId')
  })
})

describe('parseTopic', () => {
  it.each([
    '',
    'iot-2',
    'iot-2/type/t/id/d/evt/e/fmt',
    'iot-2/type/t/id/d/evt/e/fmt/json/extra',
    'iot-2/type/t/id/d/mon',
    'iot-2/evt/e/fmt/json',
    'iot-2/type//id/d/evt/e/fmt/json',
    'iot-2/type/t/id/d/evt//fmt/json',
    'iot-2/type/+/id/d/evt/e/fmt/json',
    'iot-2/type/t/id/#',
    'iot-2/type/t/id/d/xyz/e/fmt/json',
    'iot-2/TYPE/t/id/d/evt/e/fmt/json',
    'iot-3/type/t/id/d/evt/e/fmt/json',
    `iot-2/type/${'t'.repeat(37)}/id/d/evt/e/fmt/json`,
    'iot-2/type/t/id/d/evt/é/fmt/json',
    'iotdm-1/type/t/id/d/mgmt/custom/b',
    'iotdm-1/type/t/id/d/mgmt/custom/b/a/x',
    'iotdm-1/type/t/id/d/mgmt/initiate/device/reboot',
    `iotdm-1/type/t/id/d/mgmt/custom/${'b'.repeat(256)}/a`,
    'iotdm-1/response',
    'iotdevice-1/response',
    'iotdevice-1/type/t/id/d/response/x',
    'iotdevice-1/type/t/id/d/notify',
    '/iot-2/type/t/id/d/evt/e/fmt/json',
  ])('returns null for %j', (topic) => {
    expect(parseTopic(topic)).toBeNull()
  })
})

describe('generic MQTT topic rules', () => {
  it('accepts publish topics without wildcards and refuses the rest', () => {
    expect(assertPublishTopic('a/b/c')).toBe('a/b/c')
    for (const bad of ['', 'a/+', 'a/#', '+', 'a\u0000b', 'x'.repeat(65_536)]) expect(thrown(() => assertPublishTopic(bad)).code).toBe('VALIDATION')
  })

  it('accepts valid filters and refuses misplaced wildcards', () => {
    for (const ok of ['#', '+', 'a/#', 'a/+/b', '+/+', '$share/g/a/+']) expect(assertTopicFilter(ok)).toBe(ok)
    for (const bad of ['', 'a/#/b', 'a#', 'a/b#', 'a+/b', 'a/+b', '##']) expect(thrown(() => assertTopicFilter(bad)).details?.ref?.key).toBe('platform.invalidFilter')
  })

  it('matches topics the way a broker does', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true)
    expect(topicMatches('a/+/c', 'a/b/d')).toBe(false)
    expect(topicMatches('a/+', 'a/b/c')).toBe(false)
    expect(topicMatches('a/#', 'a')).toBe(true)
    expect(topicMatches('a/#', 'a/b/c')).toBe(true)
    expect(topicMatches('#', '$SYS/broker/uptime')).toBe(false)
    expect(topicMatches('+/broker/uptime', '$SYS/broker/uptime')).toBe(false)
    expect(topicMatches('$SYS/#', '$SYS/broker/uptime')).toBe(true)
    expect(topicMatches('$share/group/a/+', 'a/b')).toBe(true)
    expect(topicMatches('a/b', 'a/b/')).toBe(false)
    expect(topicMatches('a/+/', 'a//')).toBe(true)
  })
})
