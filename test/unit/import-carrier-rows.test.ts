import { describe, expect, it } from 'vitest'
import { rowToDevice } from '../../src-main/core/devices/import-rows'

const row = (fields: Record<string, unknown>) => rowToDevice({ typeId: 'meter', deviceId: 'm-1', ...fields })

describe('import rows naming a carrier', () => {
  it('accepts carrier=orange with a serialnumber, and a serialnumber alone as Orange', () => {
    expect(row({ carrier: 'orange', serialnumber: '1668007370011' })).toMatchObject({ ok: true, device: { extensionConfig: { orange: { serialnumber: '1668007370011' } } } })
    expect(row({ carrier: 'Orange', serialnumber: '1668007370011' })).toMatchObject({ ok: true, device: { extensionConfig: { orange: { serialnumber: '1668007370011' } } } })
    expect(row({ serialnumber: '1668007370011' })).toMatchObject({ ok: true, device: { extensionConfig: { orange: { serialnumber: '1668007370011' } } } })
    expect(row({ carrier: 'jasper', iccid: '8988216716970004973' })).toMatchObject({ ok: true, device: { extensionConfig: { jasper: { iccid: '8988216716970004973' } } } })
    expect(row({ carrier: '', iccid: '', serialnumber: '' })).toMatchObject({ ok: true, device: { extensionConfig: null } })
  })

  it('reports a carrier named without its identifier instead of dropping it', () => {
    expect(row({ carrier: 'orange' })).toMatchObject({ ok: false, ref: { key: 'import.carrierWithoutId', params: { carrier: 'orange', field: 'serialnumber' } } })
    expect(row({ carrier: 'atnt', iccid: '' })).toMatchObject({ ok: false, ref: { key: 'import.carrierWithoutId', params: { carrier: 'atnt', field: 'iccid' } } })
  })

  it('refuses an identifier the named carrier does not use, an unknown carrier, and a malformed serial number', () => {
    expect(row({ carrier: 'orange', iccid: '8988216716970004973', serialnumber: '1668007370011' })).toMatchObject({ ok: false, ref: { key: 'import.wrongIdForCarrier', params: { field: 'iccid' } } })
    expect(row({ carrier: 'jasper', iccid: '8988216716970004973', serialnumber: '1668007370011' })).toMatchObject({
      ok: false,
      ref: { key: 'import.wrongIdForCarrier', params: { field: 'serialnumber' } },
    })
    expect(row({ carrier: 'vodafone', iccid: '8988216716970004973' })).toMatchObject({ ok: false, ref: { key: 'import.unknownCarrier', params: { value: 'vodafone' } } })
    expect(row({ carrier: 'orange', serialnumber: '89330116680073700130' })).toMatchObject({ ok: false, ref: { key: 'import.badSerial' } })
    expect(row({ carrier: 'orange', serialnumber: 1668007370011 })).toMatchObject({ ok: false, ref: { key: 'import.notString', params: { field: 'serialnumber' } } })
    expect(row({ carrier: 'orange', serialnumber: '1.66801E+12' })).toMatchObject({ ok: false, ref: { key: 'import.mangledNumber', params: { field: 'serialnumber' } } })
    expect(row({ iccid: '8988216716970004973' })).toMatchObject({ ok: false, ref: { key: 'import.missingField', params: { field: 'carrier' } } })
  })
})
