import { describe, expect, it } from 'vitest'
import schema from '../../resources/schemas/extension-config.schema.json'
import { luhnCheckDigit, luhnValid } from '../../src-shared/models/luhn'
import { ORANGE_SERIAL_PATTERN, orangeIccidFromSerial, orangeSerialCheckDigitValid } from '../../src-shared/models/orange'
import { checkExtensionConfig } from '../../src-main/core/devices/extension-config'

/** The Orange M2M SDK's own example (Utility.php swapICCID): "calculated iccid=89330116680073700130". */
const SDK_ICCID = '89330116680073700130'
const SDK_SERIAL = '1668007370011'

describe('Orange SIM serial numbers', () => {
  it('derive to and from the ICCID exactly as the SDK does', () => {
    expect(luhnCheckDigit('166800737001')).toBe(1)
    expect(orangeIccidFromSerial(SDK_SERIAL)).toBe(SDK_ICCID)
    expect(orangeSerialCheckDigitValid(SDK_SERIAL)).toBe(true)
    expect(orangeSerialCheckDigitValid('1668007370012')).toBe(false)
    expect(luhnValid('8988216716970004973')).toBe(true)
    expect(luhnValid('7')).toBe(false)
  })

  it('use the same rule in the JSON Schema (Monaco and ajv) as in the core', () => {
    const pattern = (schema.properties.orange.properties.serialnumber as { pattern: string }).pattern
    expect(pattern).toBe(ORANGE_SERIAL_PATTERN.source)
  })

  it('accept a 13-digit serial and a profile, and warn about a wrong check digit without refusing it', () => {
    expect(checkExtensionConfig(`{"orange": {"serialnumber": "${SDK_SERIAL}", "profile": "ops-1"}}`)).toMatchObject({ valid: true, diagnostics: [] })
    const warned = checkExtensionConfig('{"orange": {"serialnumber": "1668007370012"}}')
    expect(warned.valid).toBe(true)
    expect(warned.diagnostics).toMatchObject([
      { severity: 'warning', ref: { key: 'config.serialCheckDigit', params: { serial: '1668007370012' } }, pointer: '/orange/serialnumber', line: 1, column: 29 },
    ])
  })

  it('refuse a serial of the wrong length, a number, and an ICCID pasted in its place (naming the serial inside it)', () => {
    expect(checkExtensionConfig('{"orange": {"serialnumber": "16680073700"}}').diagnostics).toMatchObject([{ severity: 'error', ref: { key: 'config.serialFormat', params: { length: 11 } } }])
    expect(checkExtensionConfig('{"orange": {"serialnumber": 1668007370011}}').diagnostics).toMatchObject([{ severity: 'error', ref: { key: 'config.serialNotString' } }])
    expect(checkExtensionConfig(`{"orange": {"serialnumber": "${SDK_ICCID}"}}`).diagnostics).toMatchObject([
      { severity: 'error', ref: { key: 'config.serialIsIccid', params: { serial: SDK_SERIAL } } },
    ])
    expect(checkExtensionConfig('{"orange": {"serialnumber": "1668007370011", "iccid": "x"}}').diagnostics).toMatchObject([{ ref: { key: 'config.unknownKey', params: { key: 'iccid' } } }])
  })
})
