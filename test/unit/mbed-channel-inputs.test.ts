/**
 * Every mbed channel's input (src-shared/models/mbed.ts) is strict with length limits (issue 10: the mbed inputs were
 * the only ones that accepted unknown keys): an unknown key is refused and named, too long a string is refused, and a
 * valid input passes. Parsed with parseOrThrow, as the dispatcher does.
 */
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { parseOrThrow } from '../../src-main/core/common/validation'
import { mbedChannels } from '../../src-shared/models/mbed'

const valid: { [C in keyof typeof mbedChannels]: Record<string, unknown> } = {
  'mbed:status': {},
  'mbed:start': { profileId: 'lab' },
  'mbed:stop': {},
  'mbed:verify': {},
  'mbed:endpoints': { type: 'Light' },
  'mbed:import': { names: ['node-1'] },
  'mbed:sendCommand': { method: 'PUT', deviceId: 'node-1', resourceId: '3/0/1', payload: 'MQ==' },
  'mbed:commands': {},
  'mbed:journalled': { profileId: 'lab' },
  'mbed:subscriptions': { ep: 'node-1' },
  'mbed:subscribe': { ep: 'node-1', path: '/3303/0/5700' },
  'mbed:unsubscribe': { ep: 'node-1', path: '/3303/0/5700' },
}

function refusal(channel: keyof typeof mbedChannels, input: unknown): AppError {
  try {
    parseOrThrow(mbedChannels[channel].input, input)
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    return e as AppError
  }
  throw new Error(`${channel} accepted ${JSON.stringify(input).slice(0, 80)}`)
}

describe('mbed channel inputs', () => {
  it('covers every mbed channel', () => {
    expect(Object.keys(valid).sort()).toEqual(Object.keys(mbedChannels).sort())
  })

  it.each(Object.keys(valid) as (keyof typeof mbedChannels)[])('%s accepts its valid input and refuses an unknown key by name', (channel) => {
    expect(() => parseOrThrow(mbedChannels[channel].input, valid[channel])).not.toThrow()
    const e = refusal(channel, { ...valid[channel], sneaky: 1 })
    expect(e.code).toBe('VALIDATION')
    expect(e.message).toContain('sneaky')
  })

  it('limits the length of every string', () => {
    const long = (n: number) => 'x'.repeat(n)
    expect(refusal('mbed:start', { profileId: long(49) }).code).toBe('VALIDATION')
    expect(refusal('mbed:endpoints', { type: long(65) }).code).toBe('VALIDATION')
    expect(refusal('mbed:import', { names: [long(65)] }).code).toBe('VALIDATION')
    expect(refusal('mbed:import', { names: Array.from({ length: 10_001 }, () => 'a') }).code).toBe('VALIDATION')
    expect(refusal('mbed:sendCommand', { ...valid['mbed:sendCommand'], deviceId: long(65) }).code).toBe('VALIDATION')
    expect(refusal('mbed:subscriptions', { ep: long(65) }).code).toBe('VALIDATION')
    expect(refusal('mbed:subscribe', { ep: 'node-1', path: `/${long(255)}` }).code).toBe('VALIDATION')
  })

  it('refuses a resource path that could leave its endpoint, and an endpoint name that could leave its path segment', () => {
    for (const path of ['3/0/1', '/3//1', '/3/../1', '/3/./1', '/3/0/1/', '/3 0', '/3?x', '/3#x', '/..']) {
      expect(refusal('mbed:subscribe', { ep: 'node-1', path }).message).toContain('path')
    }
    for (const ep of ['a/b', 'a b', 'a?b', 'a#b', '']) expect(refusal('mbed:unsubscribe', { ep, path: '/1' }).message).toContain('ep')
  })
})
