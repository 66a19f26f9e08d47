import { describe, expect, it } from 'vitest'
import { checkExtensionConfig } from '../../src-main/core/devices/extension-config'
import { luhnValid, looksLikeMangledNumber } from '../../src-main/core/devices/iccid'

describe('extension configuration validation', () => {
  it('accepts each carrier form', () => {
    for (const text of ['{}', '{"jasper":{"iccid":"8988216716970004975"}}', '{"atnt":{"iccid":"89011704252316180046"}}', '{"orange":{"serialnumber":"1668007370011"}}']) {
      expect(checkExtensionConfig(text).valid, text).toBe(true)
    }
  })

  it('refuses an 18-digit ICCID with the line and column of the value', () => {
    const r = checkExtensionConfig('{\n  "jasper": {\n    "iccid": "898821671697000497"\n  }\n}')
    expect(r.valid).toBe(false)
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: 'error', pointer: '/jasper/iccid', line: 3, column: 14, ref: { key: 'config.iccidFormat', params: { length: 18 } } })])
  })

  it('refuses an ICCID written as a number', () => {
    const r = checkExtensionConfig('{"atnt":{"iccid":8988216716970004975}}')
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', ref: { key: 'config.iccidNotString' } })
  })

  it('warns, but accepts, an ICCID whose Luhn check digit does not match', () => {
    expect(luhnValid('8988216716970004973')).toBe(true)
    expect(checkExtensionConfig('{"jasper":{"iccid":"8988216716970004973"}}').diagnostics).toEqual([])
    // The spec's own sample ICCID, as Control Center returns it, fails the check: hence a warning only.
    const r = checkExtensionConfig('{"jasper":{"iccid":"8988216716970004975"}}')
    expect(r.valid).toBe(true)
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', ref: { key: 'config.luhn', params: { iccid: '8988216716970004975' } } })])
  })

  it('flags unknown keys at their own position', () => {
    const r = checkExtensionConfig('{"jasper":{"iccid":"8988216716970004975"},\n "verizon": {}}')
    expect(r.diagnostics).toEqual([expect.objectContaining({ pointer: '/verizon', line: 2, column: 2, ref: { key: 'config.unknownKey', params: { key: 'verizon' } } })])
  })

  it('lists its problems in the order they appear in the text (cold trial: an unknown key came before an earlier ICCID)', () => {
    const r = checkExtensionConfig('{"jasper": {"iccid": 123}, "bogus": {}}')
    expect(r.diagnostics.map((d) => [d.ref.key, d.line, d.column])).toEqual([
      ['config.iccidNotString', 1, 22],
      ['config.unknownKey', 1, 28],
    ])
  })

  it('reports JSON syntax errors with line and column', () => {
    const r = checkExtensionConfig('{\n  "jasper": {"iccid": "8988216716970004975"\n')
    expect(r.valid).toBe(false)
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', ref: { key: 'config.jsonSyntax' }, line: 3 })
    expect(checkExtensionConfig('').diagnostics[0]).toMatchObject({ line: 1, column: 1 })
    expect(checkExtensionConfig('[1,2]').diagnostics[0]).toMatchObject({ ref: { key: 'config.notObject' } })
  })

  it('refuses hostile nesting with a diagnostic instead of overflowing the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000)
    expect(checkExtensionConfig(deep).diagnostics[0]).toMatchObject({ severity: 'error', ref: { key: 'config.tooDeep' } })
  })

  it('refuses documents over 5 MB before parsing them', () => {
    const big = `{"orange":{"serialnumber":"${'x'.repeat(5 * 1024 * 1024)}"}}`
    expect(() => checkExtensionConfig(big)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }))
  })

  it('recognises spreadsheet-mangled numbers', () => {
    for (const v of ['8.98822E+18', '8,98822E+18', '9E18', '1.2e-5']) expect(looksLikeMangledNumber(v), v).toBe(true)
    for (const v of ['8988216716970004975', 'E18', 'abc']) expect(looksLikeMangledNumber(v), v).toBe(false)
  })
})
