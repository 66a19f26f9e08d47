/**
 * Shared set-up of the ledger tests: an EVM target on anvil with the test contract, and the route that maps a device
 * event `{"d": {"assetId", "temp", "carrier", "lat", "lon"}, "id"}` to updateAsset (temperature in milli-degrees,
 * coordinates in micro-degrees).
 */
import type { Hex } from 'viem'
import type { ChannelName, Input, Output } from '../../src-shared/contract'
import type { RouteSave } from '../../src-shared/models/ledger'

type Call = <C extends ChannelName>(c: C, i: Input<C>) => Promise<Output<C>>

export const ASSET_ROUTE_ROWS: RouteSave['rows'] = [
  { parameter: 'assetId', source: { kind: 'path', path: 'd.assetId', decode: 'none' }, scale: 0, required: true },
  { parameter: 'temperatureMilli', source: { kind: 'path', path: 'd.temp', decode: 'none' }, scale: 3, min: -300, max: 1000, required: true },
  { parameter: 'carrier', source: { kind: 'path', path: 'd.carrier', decode: 'none' }, scale: 0, required: false, default: 'unknown' },
  { parameter: 'latE6', source: { kind: 'path', path: 'd.lat', decode: 'none' }, scale: 6, required: true },
  { parameter: 'lonE6', source: { kind: 'path', path: 'd.lon', decode: 'none' }, scale: 6, required: true },
]

export function sample(assetId: string, extra: { temp?: number; id?: string; carrier?: string } = {}): string {
  return JSON.stringify({ d: { assetId, temp: extra.temp ?? 21.5, carrier: extra.carrier ?? 'jasper', lat: 48.8566, lon: 2.3522 }, ...(extra.id ? { id: extra.id } : {}) })
}

export async function evmTarget(call: Call, anvilUrl: string, contract: { address: Hex; abiText: string }, key: Hex, name = 'anvil'): Promise<string> {
  const target = await call('ledger:saveTarget', { name, settings: { kind: 'evm', rpcUrl: anvilUrl, chainId: 31337, contract: contract.address, abi: contract.abiText }, secrets: { signerKey: key } })
  return target.id
}

export async function assetRoute(call: Call, targetId: string, extra: Partial<RouteSave> = {}): Promise<string> {
  const route = await call('ledger:saveRoute', {
    name: 'tracker telemetry',
    targetId,
    deviceType: 'tracker',
    eventId: 'status',
    function: 'updateAsset',
    argumentStyle: 'abi',
    eventIdPath: 'id',
    rows: ASSET_ROUTE_ROWS,
    enabled: true,
    ...extra,
  })
  return route.id
}

export const FAST_LEDGER = { queue: { retry: { minMs: 50, maxMs: 400 }, confirmEveryMs: 20 }, pollingMs: 100 }
