/**
 * A Watson-style chaincode (docs/wire/ledger.md §1.3): `updateAsset`, `readAsset` and `readAssetSchemas`, each taking
 * one argument, a JSON string in which `assetID` is mandatory. It runs against a stub that records what it reads (with
 * the version read, for the committer's MVCC check) and writes, as Fabric's simulator does.
 *
 * Where the sources stop [I]:
 * - `updateAsset` creates an asset it does not know and otherwise merges the given fields into the stored state.
 * - Watson's 0.6 contract emitted no chaincode events (Fabric 0.6 had none); this one emits `assetUpdated` with the
 *   new state as its payload, so that an asset's history can be read from events.
 * - `readAssetSchemas` answers a JSON object of function name → JSON schema with `properties`.
 * - `updateTemperature(assetID, celsius)` takes positional strings, as most Fabric samples' functions do.
 * - Error texts are this contract's own; a chaincode error is status 500 with the text as its message.
 */

export interface ChaincodeStub {
  getState(key: string): Buffer | null
  putState(key: string, value: Buffer): void
  setEvent(name: string, payload: Buffer): void
}

export interface ChaincodeResponse {
  status: number
  message: string
  payload: Buffer
}

const ok = (payload: string): ChaincodeResponse => ({ status: 200, message: '', payload: Buffer.from(payload) })
const error = (message: string): ChaincodeResponse => ({ status: 500, message, payload: Buffer.alloc(0) })

export const ASSET_SCHEMAS = {
  updateAsset: {
    type: 'object',
    description: 'Creates or updates an asset with the fields given',
    properties: {
      assetID: { type: 'string' },
      temperature: { type: 'number' },
      carrier: { type: 'string' },
      location: { type: 'object', properties: { latitude: { type: 'number' }, longitude: { type: 'number' } } },
    },
    required: ['assetID'],
  },
  readAsset: { type: 'object', description: "Returns an asset's state", properties: { assetID: { type: 'string' } }, required: ['assetID'] },
  updateTemperature: { type: 'object', description: 'Positional: assetID, temperature in °C', properties: { assetID: { type: 'string' }, temperature: { type: 'string' } } },
}

type Asset = Record<string, unknown> & { assetID: string }

function assetArgument(args: string[], fn: string): Asset | string {
  if (args.length !== 1) return `${fn} takes one argument, a JSON string (got ${args.length})`
  let value: unknown
  try {
    value = JSON.parse(args[0]!)
  } catch (e) {
    return `Invalid JSON in the argument: ${e instanceof Error ? e.message : String(e)}`
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'The argument must be a JSON object'
  const assetID = (value as { assetID?: unknown }).assetID
  if (typeof assetID !== 'string' || assetID === '') return 'assetID is mandatory'
  return value as Asset
}

function merged(stub: ChaincodeStub, change: Asset): ChaincodeResponse {
  const stored = stub.getState(change.assetID)
  const state = { ...(stored ? (JSON.parse(stored.toString('utf8')) as Asset) : {}), ...change }
  const text = JSON.stringify(state)
  stub.putState(change.assetID, Buffer.from(text))
  stub.setEvent('assetUpdated', Buffer.from(text))
  return ok(text)
}

export function invokeWatsonContract(fn: string, args: string[], stub: ChaincodeStub): ChaincodeResponse {
  switch (fn) {
    case 'readAssetSchemas':
      return ok(JSON.stringify(ASSET_SCHEMAS))
    case 'updateAsset': {
      const asset = assetArgument(args, fn)
      return typeof asset === 'string' ? error(asset) : merged(stub, asset)
    }
    case 'readAsset': {
      const asset = assetArgument(args, fn)
      if (typeof asset === 'string') return error(asset)
      const stored = stub.getState(asset.assetID)
      return stored ? ok(stored.toString('utf8')) : error(`asset ${asset.assetID} does not exist`)
    }
    case 'updateTemperature': {
      if (args.length !== 2) return error(`updateTemperature takes 2 arguments: assetID, temperature (got ${args.length})`)
      const [assetID, text] = args as [string, string]
      const temperature = Number(text)
      if (assetID === '') return error('assetID is mandatory')
      if (text.trim() === '' || !Number.isFinite(temperature)) return error(`temperature ${JSON.stringify(text)} is not a number`)
      return merged(stub, { assetID, temperature })
    }
    default:
      return error(`function ${fn} does not exist`)
  }
}
