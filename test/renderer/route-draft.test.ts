import { describe, expect, it } from 'vitest'
import { routeSaveSchema, type Route } from '../../src-shared/models/ledger'
import { RouteDraft, blankRow, routeChecks, rowFromRoute, rowToSave } from '../../src-renderer/src/lib/state/route-draft.svelte'
import { formErrors } from '../../src-renderer/src/lib/form/issues'

const UPDATE_ASSET = {
  name: 'updateAsset',
  mutates: true,
  inputs: [
    { name: 'assetId', type: 'string' },
    { name: 'temperatureMilli', type: 'int256' },
    { name: 'carrier', type: 'string' },
    { name: 'latE6', type: 'int256' },
    { name: 'lonE6', type: 'int256' },
  ],
}

/** The rows of the anvil route (the renderer project cannot import test/helpers/ledger.ts, which the core's tests use). */
const ROWS: Route['rows'] = [
  { parameter: 'assetId', source: { kind: 'path', path: 'd.assetId', decode: 'none' }, scale: 0, required: true },
  { parameter: 'temperatureMilli', source: { kind: 'path', path: 'd.temp', decode: 'none' }, scale: 3, unit: { from: 'degF', to: 'degC' }, min: -300, max: 1000, required: true },
  { parameter: 'carrier', source: { kind: 'path', path: 'd.carrier', decode: 'none' }, scale: 0, required: false, default: 'unknown' },
  { parameter: 'latE6', source: { kind: 'path', path: 'd.lat', decode: 'none' }, scale: 6, required: true },
  { parameter: 'lonE6', source: { kind: 'constant', value: '2352200' }, scale: 0, required: true },
]

const ROUTE: Route = {
  id: 'r1',
  name: 'tracker telemetry',
  targetId: 'anvil',
  deviceType: 'tracker',
  eventId: 'status',
  function: 'updateAsset',
  argumentStyle: 'abi',
  eventIdPath: 'id',
  rows: ROWS,
  enabled: true,
  createdAt: '2026-03-10T10:00:00Z',
  updatedAt: '2026-03-10T10:00:00Z',
}

function errorsOf(draft: RouteDraft, kind: 'evm' | 'fabric' = 'evm') {
  return formErrors({ schema: routeSaveSchema, checks: () => routeChecks(draft, UPDATE_ASSET, kind) }, draft.input())
}

describe('route rows', () => {
  it('read a saved route back to exactly what was saved', () => {
    const draft = new RouteDraft(ROUTE)
    const saved = Object.fromEntries(Object.entries(ROUTE).filter(([key]) => key !== 'createdAt' && key !== 'updatedAt'))
    expect(routeSaveSchema.parse(draft.input())).toEqual(routeSaveSchema.parse(saved))
    expect(errorsOf(draft)).toEqual({})
  })

  it('write each source and transform as the contract has it', () => {
    expect(rowToSave({ ...blankRow('t'), path: ' d.temp ', scale: '3', unitFrom: 'degF', unitTo: 'degC', min: '-40', max: '' })).toEqual({
      parameter: 't',
      source: { kind: 'path', path: 'd.temp', decode: 'none' },
      scale: 3,
      required: true,
      unit: { from: 'degF', to: 'degC' },
      min: -40,
    })
    expect(rowToSave({ ...blankRow('site'), source: 'constant', constant: 'plant-1', required: false, default: 'x' })).toEqual({
      parameter: 'site',
      source: { kind: 'constant', value: 'plant-1' },
      scale: 0,
      required: false,
      default: 'x',
    })
    expect(rowToSave({ ...blankRow('at'), source: 'serverTimestamp', format: 'unix-ms', default: 'ignored while required' })).toEqual({
      parameter: 'at',
      source: { kind: 'serverTimestamp', format: 'unix-ms' },
      scale: 0,
      required: true,
    })
    const back = rowFromRoute({ parameter: 'p', source: { kind: 'path', path: 'd.b', decode: 'base64' }, scale: -2, required: false, default: '0', type: 'integer' })
    expect(back).toMatchObject({ path: 'd.b', decode: 'base64', scale: '-2', required: false, default: '0', type: 'integer' })
  })

  it('are added, removed and moved as the keyboard asks, never leaving the route without a row', () => {
    const draft = new RouteDraft(ROUTE)
    const names = () => draft.rows.map((r) => r.parameter)
    expect(draft.moveRow(0, 1)).toBe(1)
    expect(names().slice(0, 2)).toEqual(['temperatureMilli', 'assetId'])
    expect(draft.moveRow(0, -1)).toBe(0)
    expect(draft.moveRow(4, 1)).toBe(4)
    expect(draft.addRow(0)).toBe(1)
    expect(names()[1]).toBe('')
    draft.removeRow(1)
    expect(names()).toEqual(['temperatureMilli', 'assetId', 'carrier', 'latE6', 'lonE6'])
    const single = new RouteDraft()
    single.removeRow(0)
    expect(single.rows).toHaveLength(1)
  })

  it('follow the picked function: one row per parameter in its order, keeping what was written', () => {
    const draft = new RouteDraft(undefined, 'anvil')
    draft.rows = [
      { ...blankRow('carrier'), path: 'd.carrier' },
      { ...blankRow('stale'), path: 'x' },
    ]
    draft.pickFunction(UPDATE_ASSET, 'evm')
    expect(draft.fn).toBe('updateAsset')
    expect(draft.rows.map((r) => r.parameter)).toEqual(['assetId', 'temperatureMilli', 'carrier', 'latE6', 'lonE6'])
    expect(draft.rows[2]?.path).toBe('d.carrier')
    // A Fabric JSON argument may carry keys the schema does not list: those rows stay.
    const fabric = new RouteDraft(undefined, 'fab')
    fabric.argumentStyle = 'json'
    fabric.rows = [{ ...blankRow('location.latitude'), path: 'd.lat' }]
    fabric.pickFunction({ name: 'updateAsset', mutates: true, inputs: [{ name: 'assetID', type: 'string' }] }, 'fabric')
    expect(fabric.rows.map((r) => r.parameter)).toEqual(['assetID', 'location.latitude'])
  })

  it('are refused at the field the core would refuse, in its words', () => {
    const draft = new RouteDraft(ROUTE)
    draft.rows[1]!.parameter = 'assetId'
    draft.rows[3]!.min = '10'
    draft.rows[3]!.max = '5'
    draft.rows[4]!.unitFrom = 'degC'
    draft.rows[4]!.source = 'path'
    draft.rows[4]!.path = 'd.lon'
    draft.rows[0]!.scale = 'three'
    const errors = errorsOf(draft)
    expect(errors['rows.1.parameter']).toEqual({ key: 'ledger.route.duplicateParameter', params: { parameter: 'assetId' } })
    expect(errors['rows.3.min']).toEqual({ key: 'ledger.route.minAboveMax', params: { parameter: 'latE6' } })
    // A unit half chosen is named by the contract's own schema, at the half left out.
    expect(errors['rows.4.unit.to']).toEqual({ key: 'form.required' })
    expect(errors['rows.0.scale']).toBeDefined()
    expect(errors.function).toEqual({ key: 'ledger.route.unmapped', params: { parameter: 'temperatureMilli' } })
  })

  it('name a parameter the EVM function does not take, a bad path, and a missing function', () => {
    const draft = new RouteDraft(ROUTE)
    draft.rows[0]!.parameter = 'assetID'
    draft.rows[1]!.path = 'd..temp'
    const errors = errorsOf(draft)
    expect(errors['rows.0.parameter']).toEqual({ key: 'ledger.route.unknownParameter', params: { parameter: 'assetID' } })
    expect(errors['rows.1.source.path']).toBeDefined()
    const empty = new RouteDraft(undefined, 'anvil')
    expect(routeChecks(empty, undefined, 'evm').function).toEqual({ key: 'ledger.ui.route.pickFunction' })
    expect(routeChecks(empty, undefined, 'fabric').argumentStyle).toEqual({ key: 'ledger.route.fabricStyle' })
  })
})
