import { describe, expect, it } from 'vitest'
import { csvCell, dataFields, historyCsvLines } from '../../src-shared/models/history-csv'

describe('history as CSV, safe for spreadsheets', () => {
  it('defuses every cell a spreadsheet would run as a formula, and quotes what CSV needs quoted', () => {
    expect(['=1+2', '+cmd', '-2+3+cmd', '@SUM(A1)', '\tx', '\rx'].map(csvCell)).toEqual(["'=1+2", "'+cmd", "'-2+3+cmd", "'@SUM(A1)", "'\tx", `"'\rx"`])
    expect(csvCell('=HYPERLINK("http://x","a,b")')).toBe(`"'=HYPERLINK(""http://x"",""a,b"")"`)
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"')
  })

  it('leaves plain text and plain numbers as they are, negative ones included', () => {
    expect(['meter', 'a-b', '2024-05-01T00:00:00Z', '-12.5', '+3', '1e-5', ''].map(csvCell)).toEqual(['meter', 'a-b', '2024-05-01T00:00:00Z', '-12.5', '+3', '1e-5', ''])
  })

  const base = { id: 'org1:meter:m-1:2024-05-01T00:00:00.000Z:status:a1', typeId: 'meter', deviceId: 'm-1', format: 'json', timestamp: '2024-05-01T02:00:00.000+02:00' }
  const start = `${base.id},meter,m-1`

  it('writes one column per field of the data, the union over the events in natural order, nested ones by their path', () => {
    const lines = historyCsvLines([
      { ...base, eventId: 'status', data: { sensor10: 1, t: -4, note: '=cmd', gps: { lat: 45.5, lon: -73.6 } } },
      { ...base, eventId: 'status', data: { sensor2: true, t: 21.5, tags: ['a', 'b'], unset: null } },
    ])
    expect(lines).toEqual([
      'id,typeId,deviceId,eventId,format,timestamp,data.gps.lat,data.gps.lon,data.note,data.sensor2,data.sensor10,data.t,data.tags,data.unset',
      `${start},status,json,${base.timestamp},45.5,-73.6,'=cmd,,1,-4,,`,
      `${start},status,json,${base.timestamp},,,,true,,21.5,"[""a"",""b""]",`,
    ])
  })

  it('keeps the raw JSON only for data without fields to spread, and the payload only when an event has one', () => {
    const lines = historyCsvLines([
      { ...base, eventId: 'status', data: { t: 1 } },
      { ...base, eventId: 'count', data: 42 },
      { ...base, eventId: 'clash', data: { 'a.b': 1, a: { b: 2 } } },
      { ...base, eventId: '-reading', format: 'bin', payload: '+/8=' },
    ])
    expect(lines).toEqual([
      'id,typeId,deviceId,eventId,format,timestamp,data.t,data,payload',
      `${start},status,json,${base.timestamp},1,,`,
      `${start},count,json,${base.timestamp},,42,`,
      `${start},clash,json,${base.timestamp},,"{""a.b"":1,""a"":{""b"":2}}",`,
      `${start},'-reading,bin,${base.timestamp},,,'+/8=`,
    ])
    expect(historyCsvLines([])).toEqual(['id,typeId,deviceId,eventId,format,timestamp'])
  })

  it('names a field whose key needs quoting safely, and reads a nested empty object as its JSON', () => {
    expect(dataFields({ 'a,b': 1, e: {} })).toEqual(
      new Map([
        ['data.a,b', '1'],
        ['data.e', '{}'],
      ]),
    )
    expect(historyCsvLines([{ ...base, eventId: 's', data: { 'a,b': '@x' } }])[0]).toBe('id,typeId,deviceId,eventId,format,timestamp,"data.a,b"')
    expect(dataFields([1, 2])).toBeNull()
  })
})
