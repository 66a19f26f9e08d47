/**
 * How a hand-edited JSON document's syntax errors read (a device's configuration, a DM package, mbed's and the
 * ledger's settings all go through core/json/parse.ts): a trailing comma, the commonest slip, is one error at the
 * comma that says to remove it, not two at the closer naming neither the comma nor the fix.
 */
import { describe, expect, it } from 'vitest'
import { parseJsonDocument } from '../../src-main/core/json/parse'

const errors = (text: string) => {
  const r = parseJsonDocument(text, { syntaxKey: 'config.jsonSyntax' })
  if (r.ok) throw new Error(`${text} parsed`)
  return r.diagnostics.map((d) => ({ line: d.line, column: d.column, detail: d.ref.params?.['detail'], message: d.message }))
}

describe('JSON syntax errors', () => {
  it('says a trailing comma in an object once, at the comma', () => {
    expect(errors('{\n  "jasper": { "iccid": "8988", },\n  "x": 1\n}')).toEqual([
      { line: 2, column: 30, detail: 'TrailingComma', message: 'JSON syntax error: a comma may not come just before } or ]: remove it' },
    ])
  })

  it('says a trailing comma in an array, across line breaks, once', () => {
    expect(errors('[1, 2,\n\t\r\n]')).toEqual([{ line: 1, column: 6, detail: 'TrailingComma', message: expect.any(String) }])
  })

  it('still names a missing value or property name that is not after a comma', () => {
    expect(errors('{"a": }').map((e) => e.detail)).toEqual(['ValueExpected'])
    expect(errors('{ 1: 2 }').map((e) => e.detail)[0]).toBe('PropertyNameExpected')
  })
})
