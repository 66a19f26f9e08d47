/**
 * Shared set-up of the ledger tests: an EVM target on anvil with the test contract, and the route that maps a device
 * event `{"d": {"assetId", "temp", "carrier", "lat", "lon"}, "id"}` to updateAsset (temperature in milli-degrees,
 * coordinates in micro-degrees); a Fabric target on the Fabric test peer and the Watson routes (one JSON string, or
 * positional strings) for the same event.
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

/** Watson's updateAsset: one JSON string whose dotted parameters nest (docs/wire/ledger.md §1.3). */
export const WATSON_ROWS: RouteSave['rows'] = [
  { parameter: 'assetID', source: { kind: 'path', path: 'd.assetId', decode: 'none' }, scale: 0, required: true },
  { parameter: 'temperature', source: { kind: 'path', path: 'd.temp', decode: 'none' }, type: 'number', scale: 0, required: true },
  { parameter: 'carrier', source: { kind: 'path', path: 'd.carrier', decode: 'none' }, scale: 0, required: false },
  { parameter: 'location.latitude', source: { kind: 'path', path: 'd.lat', decode: 'none' }, scale: 0, required: true },
  { parameter: 'location.longitude', source: { kind: 'path', path: 'd.lon', decode: 'none' }, scale: 0, required: true },
]

export interface FabricIdentity {
  mspId: string
  cert: string
  key: string
}

export async function fabricTarget(call: Call, peer: { endpoint: string; channel: string; chaincode: string }, tlsCa: string, identity: FabricIdentity, name = 'fabric'): Promise<string> {
  const settings = {
    kind: 'fabric' as const,
    endpoint: peer.endpoint,
    tlsCa,
    hostnameOverride: '',
    mspId: identity.mspId,
    certificate: identity.cert,
    channel: peer.channel,
    chaincode: peer.chaincode,
  }
  return (await call('ledger:saveTarget', { name, settings, secrets: { privateKey: identity.key } })).id
}

/** `json`: updateAsset with one JSON string; `positional`: updateTemperature(assetID, temperature). */
export async function watsonRoute(call: Call, targetId: string, style: 'json' | 'positional', extra: Partial<RouteSave> = {}): Promise<string> {
  const positional: RouteSave['rows'] = [
    { parameter: 'assetID', source: { kind: 'path', path: 'd.assetId', decode: 'none' }, scale: 0, required: true },
    { parameter: 'temperature', source: { kind: 'path', path: 'd.temp', decode: 'none' }, type: 'string', scale: 0, required: true },
  ]
  const route = await call('ledger:saveRoute', {
    name: `watson ${style}`,
    targetId,
    deviceType: 'tracker',
    eventId: style === 'json' ? 'status' : 'reading',
    function: style === 'json' ? 'updateAsset' : 'updateTemperature',
    argumentStyle: style,
    eventIdPath: 'id',
    rows: style === 'json' ? WATSON_ROWS : positional,
    enabled: true,
    ...extra,
  })
  return route.id
}

export const FAST_LEDGER = { queue: { retry: { minMs: 50, maxMs: 400 }, confirmEveryMs: 20 }, pollingMs: 100 }
