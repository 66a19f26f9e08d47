/** Endpoint types, queue modes and topics (src-main/core/mbed/endpoint-types.ts). */
import { describe, expect, it } from 'vitest'
import { EndpointTypes, deviceTypeFor } from '../../src-main/core/mbed/endpoint-types'
import { noopLogger } from '../../src-main/core/mbed/log-limit'

function setup() {
  const counters = { unroutable: 0 }
  const learnt: string[] = []
  const warned: string[] = []
  const types = new EndpointTypes({ defaultType: 'mbed', warn: (kind) => warned.push(kind), log: noopLogger, counters, onType: (t) => learnt.push(t) })
  return { types, counters, learnt, warned }
}

describe('endpoint types', () => {
  it('gives an endpoint its type when it is a valid type id, else the default', () => {
    expect(deviceTypeFor('Light', 'mbed')).toBe('Light')
    expect(deviceTypeFor('Type with spaces', 'mbed')).toBe('mbed')
    expect(deviceTypeFor(undefined, 'mbed')).toBe('mbed')
    const { types, learnt, warned } = setup()
    types.learn('ep-1', 'Light', false)
    types.learn('ep-2', 'not a type', undefined)
    types.learn('ep-3', '', true)
    expect([types.typeOf('ep-1'), types.typeOf('ep-2'), types.typeOf('ep-3'), types.typeOf('unknown')]).toEqual(['Light', 'mbed', 'mbed', 'mbed'])
    expect(types.knownType('ep-3')).toBeUndefined()
    expect(learnt).toEqual(['Light', 'mbed'])
    expect(warned).toEqual(['badType'])
    expect(types.isQueueMode('ep-3')).toBe(true)
    types.learn('ep-3', undefined, false)
    expect(types.isQueueMode('ep-3')).toBe(false)
  })

  it('builds the notify topic once per endpoint and rebuilds it when the type changes', () => {
    const { types } = setup()
    expect(types.notifyTopic('ep-1')).toBe('iot-2/type/mbed/id/ep-1/evt/notify/fmt/json')
    types.learn('ep-1', 'Sensor', false)
    expect(types.notifyTopic('ep-1')).toBe('iot-2/type/Sensor/id/ep-1/evt/notify/fmt/json')
  })

  it('has no topic for a name that cannot be a device id, and counts what cannot be routed', () => {
    const { types, counters } = setup()
    const long = 'x'.repeat(40)
    expect(types.notifyTopic(long)).toBeNull()
    types.unroutable(long, 'notification')
    types.unroutable(long, 'notification')
    expect(counters.unroutable).toBe(2)
  })
})
