import type { DeviceRow } from '../../src-shared/models/device-query'

/** A device list row as the core sends it: no SIM, no location, nothing cached; `fields` on top. */
export function deviceRow(fields: Partial<DeviceRow> = {}): DeviceRow {
  return {
    typeId: 'meter',
    deviceId: 'm-1',
    description: '',
    extensions: [],
    carrier: null,
    simId: null,
    simStatus: null,
    simAsOf: null,
    ratePlan: null,
    dataThisCycleBytes: null,
    updatedAt: '2026-12-04T10:00:00.000Z',
    configErrors: false,
    dmSupport: false,
    weatherStatus: null,
    weatherPhrase: null,
    weatherTemperature: null,
    weatherWindSpeed: null,
    weatherAsOf: null,
    metadata: {},
    ...fields,
  }
}
