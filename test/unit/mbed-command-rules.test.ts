/**
 * The shared rules of an mbed command (src-shared/models/mbed-commands.ts) and strict base64 (src-shared/models/base64.ts):
 * what the console's "Send command" form says next to a field, from the same verdict the core's command check refuses by.
 */
import { describe, expect, it } from 'vitest'
import { isStrictBase64 } from '../../src-shared/models/base64'
import { endpointNameProblem, isEndpointName, resourceIdFault, resourceIdProblem } from '../../src-shared/models/mbed-commands'
import { mbedEndpointNameSchema } from '../../src-shared/models/mbed'

describe('endpoint names', () => {
  it.each(['0172abc', 'ep:with-colon', 'plant.pump_7', 'x'.repeat(64)])('accepts %j', (name) => {
    expect(isEndpointName(name)).toBe(true)
    expect(endpointNameProblem(name)).toBeNull()
    expect(mbedEndpointNameSchema.safeParse(name).success).toBe(true)
  })

  it.each(['', 'a b', 'a/b', 'a?b', 'a#b', 'tab\there', 'nul\u0000', 'del\u007f', 'x'.repeat(65)])('refuses %j', (name) => {
    expect(isEndpointName(name)).toBe(false)
    expect(endpointNameProblem(name)).toEqual({ key: 'mbed.send.endpointInvalid' })
    expect(mbedEndpointNameSchema.safeParse(name).success).toBe(false)
  })

  it('is not a string', () => {
    expect(isEndpointName(7)).toBe(false)
    expect(isEndpointName(null)).toBe(false)
  })
})

describe('resource ids', () => {
  it.each(['3/0/1', '3311/0/5850', 'dev/temp', 'a-b_c.d/0', '1/'.repeat(126) + '12'])('accepts %j', (id) => {
    expect(resourceIdFault(id)).toBeNull()
    expect(resourceIdProblem(id)).toBeNull()
  })

  it.each([
    ['', { reason: 'empty' }, { key: 'mbed.send.resourceEmptySegment' }],
    ['/3/0/1', { reason: 'leadingSlash', fixed: '3/0/1' }, { key: 'mbed.send.resourceLeadingSlash', params: { fixed: '3/0/1' } }],
    ['//', { reason: 'leadingSlash', fixed: '' }, { key: 'mbed.command.invalidResourceId' }],
    // Cold trial: "/3/0/../1 x" was answered "must not start with /: write 3/0/../1 x", a path refused in its turn.
    ['/3/0/../1', { reason: 'dotSegment' }, { key: 'mbed.send.resourceDotSegment' }],
    ['/3/0/1 x', { reason: 'badChars' }, { key: 'mbed.send.resourceBadChars' }],
    ['//3//1', { reason: 'emptySegment' }, { key: 'mbed.send.resourceEmptySegment' }],
    ['1/'.repeat(127) + '1', { reason: 'tooLong' }, { key: 'form.tooLong', params: { max: 254 } }],
    ['3/0/1?x=1', { reason: 'badChars' }, { key: 'mbed.send.resourceBadChars' }],
    ['3/0 /1', { reason: 'badChars' }, { key: 'mbed.send.resourceBadChars' }],
    ['3\\0\\1', { reason: 'badChars' }, { key: 'mbed.send.resourceBadChars' }],
    ['3/\u0001/1', { reason: 'badChars' }, { key: 'mbed.send.resourceBadChars' }],
    ['3//1', { reason: 'emptySegment' }, { key: 'mbed.send.resourceEmptySegment' }],
    ['3/0/', { reason: 'emptySegment' }, { key: 'mbed.send.resourceEmptySegment' }],
    ['../../limits', { reason: 'dotSegment' }, { key: 'mbed.send.resourceDotSegment' }],
    ['3/./1', { reason: 'dotSegment' }, { key: 'mbed.send.resourceDotSegment' }],
  ])('refuses %j', (id, fault, ref) => {
    expect(resourceIdFault(id)).toEqual(fault)
    expect(resourceIdProblem(id)).toEqual(ref)
  })

  it('offers at most 60 characters of the path without its slash', () => {
    expect(resourceIdProblem(`/${'a'.repeat(100)}`)?.params?.fixed).toBe('a'.repeat(60))
  })
})

describe('strict base64', () => {
  it('accepts the RFC 4648 alphabet with its padding, and nothing else', () => {
    for (const ok of ['', 'QQ==', 'QUI=', 'QUJD', 'ab+/']) expect(isStrictBase64(ok)).toBe(true)
    for (const bad of ['Q', 'QQ=', 'Q===', 'QQ=A', 'Q Q=', 'QQ-_', '====', 'QUJD\n', 'NDI==']) expect(isStrictBase64(bad)).toBe(false)
  })

  it('reads a payload of several megabytes without running out of stack (the renderer checked with a regex that did)', () => {
    const big = 'QUJD'.repeat(2_000_000)
    expect(isStrictBase64(big)).toBe(true)
    expect(isStrictBase64(`${big.slice(0, -4)}A===`)).toBe(false)
  })
})
