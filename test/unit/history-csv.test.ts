import { describe, expect, it } from 'vitest'
import { csvCell, historyCsvHeader, historyCsvLine } from '../../src-shared/models/history-csv'

describe('history as CSV, safe for spreadsheets', () => {
  it('defuses every cell a spreadsheet would run as a formula, and quotes what CSV needs quoted', () => {
    expect(['=1+2', '+cmd', '-2+3+cmd', '@SUM(A1)', '\tx', '\rx'].map(csvCell)).toEqual(["'=1+2", "'+cmd", "'-2+3+cmd", "'@SUM(A1)", "'\tx", `"'\rx"`])
    expect(csvCell('=HYPERLINK("http://x","a,b")')).toBe(`"'=HYPERLINK(""http://x"",""a,b"")"`)
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"')
  })

  it('leaves plain text and plain numbers as they are, negative ones included', () => {
    expect(['meter', 'a-b', '2024-05-01T00:00:00Z', '-12.5', '+3', '1e-5', ''].map(csvCell)).toEqual(['meter', 'a-b', '2024-05-01T00:00:00Z', '-12.5', '+3', '1e-5', ''])
  })

  it('writes one line per event: the data as JSON, or the payload in base64 that may start with + or -', () => {
    expect(historyCsvHeader()).toBe('id,typeId,deviceId,eventId,format,timestamp,data,payload')
    const base = { id: 'org1:meter:m-1:2024-05-01T00:00:00.000Z:status:a1', typeId: 'meter', deviceId: 'm-1', format: 'json', timestamp: '2024-05-01T02:00:00.000+02:00' }
    expect(historyCsvLine({ ...base, eventId: 'status', data: { t: -4, note: '=cmd' } })).toBe(`${base.id},meter,m-1,status,json,${base.timestamp},"{""t"":-4,""note"":""=cmd""}",`)
    expect(historyCsvLine({ ...base, eventId: '-reading', format: 'bin', payload: '+/8=' })).toBe(`${base.id},meter,m-1,'-reading,bin,${base.timestamp},,'+/8=`)
  })
})
