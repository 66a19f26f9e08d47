import { describe, expect, it } from 'vitest'
import { locationUpdateSchema, parseDecimal } from '../../src-shared/models/location'
import { rowLocation } from '../../src-main/core/devices/location-cells'
import { canonicalHeader } from '../../src-main/core/devices/import-fields'
import { rowToDevice } from '../../src-main/core/devices/import-rows'
import { DM_LOCATION_SUBSCRIPTION, dmPlatformResponseTopic, parseTopic, topicMatches } from '../../src-main/core/platform/topics'

describe('numbers typed as text', () => {
  it('reads plain decimals only', () => {
    expect(['45.1885', '-0.5', '+7', '180', '.5', ' 12.0 '].map(parseDecimal)).toEqual([45.1885, -0.5, 7, 180, 0.5, 12])
    expect(['45,1885', '1e3', '0x10', 'NaN', 'Infinity', '', '-', '1.2.3', '١٢'].map(parseDecimal)).toEqual([null, null, null, null, null, null, null, null, null])
  })
})

describe('location columns of an import row', () => {
  it('maps the usual headers to latitude and longitude', () => {
    expect(['Lat', 'LATITUDE', 'lon', 'Lng', 'long', 'Longitude', 'Elevation', 'accuracy'].map(canonicalHeader)).toEqual([
      'latitude',
      'latitude',
      'longitude',
      'longitude',
      'longitude',
      'longitude',
      'elevation',
      'accuracy',
    ])
  })

  it('builds a location from text or numbers, or none when every cell is empty', () => {
    expect(rowLocation({ latitude: '45.19', longitude: 5.72, elevation: '212' })).toEqual({
      ok: true,
      location: { latitude: 45.19, longitude: 5.72, elevation: 212, accuracy: null, measuredAt: null, source: 'import' },
    })
    expect(rowLocation({ latitude: '', longitude: null })).toEqual({ ok: true, location: null })
  })

  it.each([
    [{ latitude: '45' }, 'import.locationIncomplete'],
    [{ longitude: '5' }, 'import.locationIncomplete'],
    [{ elevation: '12' }, 'import.locationIncomplete'],
    [{ latitude: '45,2', longitude: '5' }, 'import.badNumber'],
    [{ latitude: Number.POSITIVE_INFINITY, longitude: 5 }, 'import.badNumber'],
    [{ latitude: true, longitude: 5 }, 'import.badNumber'],
    [{ latitude: '-91', longitude: '5' }, 'import.outOfRange'],
    [{ latitude: '1', longitude: '5', accuracy: '-3' }, 'import.outOfRange'],
  ])('refuses %j (%s)', (fields, key) => {
    expect(rowLocation(fields)).toMatchObject({ ok: false, ref: { key } })
  })

  it('keeps location columns out of the metadata and refuses the row with its reason', () => {
    expect(rowToDevice({ typeId: 't', deviceId: 'd', latitude: '1', longitude: '2', site: 'A' })).toMatchObject({
      ok: true,
      device: { metadata: { site: 'A' }, location: { latitude: 1, longitude: 2 } },
    })
    expect(rowToDevice({ typeId: 't', deviceId: 'd', latitude: '1' })).toMatchObject({ ok: false, ref: { key: 'import.locationIncomplete' } })
  })
})

describe('location updates on the wire', () => {
  it("accepts the spec's shape and refuses NaN, Infinity, strings, extra members and a missing reqId", () => {
    const ok = { d: { longitude: 5.7, latitude: 45.2, elevation: 200, accuracy: 5, measuredDateTime: '2026-03-10T09:00:00+01:00' }, reqId: 'r' }
    expect(locationUpdateSchema.safeParse(ok).success).toBe(true)
    for (const bad of [
      { ...ok, d: { ...ok.d, latitude: Number.NaN } },
      JSON.parse('{"d": {"longitude": 1e999, "latitude": 1}, "reqId": "r"}'),
      { ...ok, d: { ...ok.d, latitude: '45.2' } },
      { ...ok, d: { ...ok.d, speed: 3 } },
      { d: ok.d },
      { ...ok, extra: 1 },
      { ...ok, d: { ...ok.d, measuredDateTime: 'yesterday' } },
    ]) {
      expect(locationUpdateSchema.safeParse(bad).success).toBe(false)
    }
  })

  it('recognises the gateway form and builds the answer topic', () => {
    expect(parseTopic('iotdevice-1/type/pump/id/p-1/device/update/location')).toEqual({ kind: 'dm-location', type: 'pump', id: 'p-1' })
    expect(topicMatches(DM_LOCATION_SUBSCRIPTION, 'iotdevice-1/type/pump/id/p-1/device/update/location')).toBe(true)
    expect(parseTopic('iotdevice-1/device/update/location')).toBeNull()
    expect(parseTopic('iotdevice-1/type/pump/id/p-1/device/update/position')).toBeNull()
    expect(parseTopic('iotdevice-1/type/pu mp/id/p-1/device/update/location')).toBeNull()
    expect(dmPlatformResponseTopic('pump', 'p-1')).toBe('iotdm-1/type/pump/id/p-1/response')
    expect(() => dmPlatformResponseTopic('pump', 'a/b')).toThrow(/deviceId/)
  })
})
