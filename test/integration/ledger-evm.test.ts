/**
 * The ledger room against a real EVM node: anvil from npm, the test contract compiled by solc-js at test time
 * (docs/wire/ledger.md §2), through the core's channels as the UI and the CLI use them.
 */
import { connectAsync } from 'mqtt'
import { createPublicClient, getAddress, http, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listAudit } from '../../src-main/core/store/audit.store'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import type { SecretStore } from '../../src-main/core/vault/secret-store'
import { tempDir, testCore } from '../helpers/core'
import { assetRoute, evmTarget, FAST_LEDGER, sample } from '../helpers/ledger'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { freePort } from '../helpers/ports'
import { deployAssetTracker, fundedKey, startAnvil, type Anvil } from '../peers/evm/anvil'

const POLL = { timeout: 20_000, interval: 20 }
type TestCore = Awaited<ReturnType<typeof testCore>>

let anvil: Anvil
let contract: { address: Hex; abiText: string }
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  anvil = await startAnvil()
  contract = await deployAssetTracker(anvil.url)
}, 60_000)
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
  await anvil.close()
})

async function core(reopen?: { dir: string; vault: SecretStore }): Promise<TestCore & { dir: string; vault: SecretStore }> {
  const tmp = reopen ? { dir: reopen.dir, cleanup: async () => undefined } : await tempDir()
  // The keychain outlives the console: a reopened core gets the same vault.
  const vault = reopen?.vault ?? createMemoryStore()
  const c = await testCore(tmp.dir, { ledgerTimings: FAST_LEDGER, vault })
  cleanups.push(
    () => tmp.cleanup(),
    () => c.close(),
  )
  return Object.assign(c, { dir: tmp.dir, vault })
}

function totalUpdates(): Promise<bigint> {
  const client = createPublicClient({ transport: http(anvil.url) })
  return client.readContract({
    address: contract.address,
    abi: [{ type: 'function', name: 'totalUpdates', inputs: [], outputs: [{ type: 'uint256', name: '' }], stateMutability: 'view' }],
    functionName: 'totalUpdates',
  })
}

async function committed(c: TestCore, n: number): Promise<void> {
  await expect.poll(async () => (await c.call('ledger:queue', { limit: 1 })).counts.committed, POLL).toBe(n)
}

describe('EVM targets', () => {
  it('keeps the signer key in the vault, shows only its address, and checks URL, address, ABI and chain id', async () => {
    const c = await core()
    const key = await fundedKey(anvil.url)
    const settings = { kind: 'evm' as const, rpcUrl: anvil.url, chainId: 31337, contract: contract.address.toLowerCase(), abi: contract.abiText }
    const saved = await c.call('ledger:saveTarget', { name: 'anvil', settings, secrets: { signerKey: key } })
    expect(saved.signer).toBe(privateKeyToAccount(key).address)
    expect(saved.settings).toMatchObject({ contract: getAddress(contract.address) })
    expect(JSON.stringify(saved)).not.toContain(key.slice(2))
    expect(JSON.stringify(await c.call('ledger:targets', {}))).not.toContain(key.slice(2))
    const audit = await listAudit(c.workspace.db, { query: 'ledger.target', offset: 0, limit: 10 })
    expect(audit.items.map((a) => a.action)).toEqual(['ledger.target.add'])
    expect(JSON.stringify(audit.items)).not.toContain(key.slice(2))

    const refuse = async (input: object, key: string) => {
      const r = await c.dispatcher.invoke('ledger:saveTarget', { name: 'bad', settings: { ...settings, ...input }, secrets: {} })
      expect(r).toMatchObject({ ok: false, error: { details: { ref: { key } } } })
    }
    await refuse({ rpcUrl: 'http://node.example.com:8545' }, 'errors.insecureUrl')
    await refuse({ rpcUrl: 'ws://node.example.com:8546' }, 'errors.insecureUrl')
    // A mixed-case address whose EIP-55 checksum is wrong.
    const checksummed = getAddress(contract.address)
    const letter = [...checksummed].findIndex((ch, i) => i > 1 && /[a-fA-F]/.test(ch))
    const flipped = checksummed[letter]!.toLowerCase() === checksummed[letter] ? checksummed[letter]!.toUpperCase() : checksummed[letter]!.toLowerCase()
    await refuse({ contract: `${checksummed.slice(0, letter)}${flipped}${checksummed.slice(letter + 1)}` }, 'ledger.badAddress')
    await refuse({ contract: '0x1234' }, 'ledger.badAddress')
    const bad = await c.dispatcher.invoke('ledger:saveTarget', {
      name: 'bad',
      settings: { ...settings, abi: '[\n  {"type": "function", "name": "f", "inputs": [{"type": "uint7"}], "stateMutability": "view"}\n]' },
      secrets: {},
    })
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION', details: { ref: { key: 'ledger.abi.invalidAt', params: { line: 2 } } } } })
    const badKey = await c.dispatcher.invoke('ledger:saveTarget', { name: 'bad', settings, secrets: { signerKey: '0x1234-not-a-key' } })
    expect(badKey).toMatchObject({ ok: false, error: { details: { ref: { key: 'ledger.badSignerKey' } } } })
    expect(JSON.stringify(badKey)).not.toContain('not-a-key')

    const wrongChain = await c.call('ledger:saveTarget', { name: 'wrong chain', settings: { ...settings, chainId: 1 }, secrets: {} })
    expect(await c.dispatcher.invoke('ledger:verifyTarget', { targetId: wrongChain.id })).toMatchObject({
      ok: false,
      error: { details: { ref: { key: 'ledger.chainIdMismatch', params: { expected: 1, actual: 31337 } } } },
    })
    expect(await c.call('ledger:verifyTarget', { targetId: saved.id })).toMatchObject({ kind: 'evm', network: '31337', healthy: true, signer: saved.signer })
    // Nothing listening at the URL: Verify says the connection was refused, not that the node did not answer.
    const nobody = await c.call('ledger:saveTarget', { name: 'nobody', settings: { ...settings, rpcUrl: `http://127.0.0.1:${await freePort()}` }, secrets: {} })
    expect(await c.dispatcher.invoke('ledger:verifyTarget', { targetId: nobody.id })).toMatchObject({ ok: false, error: { code: 'NETWORK', details: { ref: { key: 'ledger.ui.refused' } } } })
  })

  it('validates ABI text with line and column without saving it', async () => {
    const c = await core()
    const r = await c.call('ledger:validateAbi', { text: '[{"type": "function",\n "name": 12}]' })
    expect(r.valid).toBe(false)
    expect(r.diagnostics[0]).toMatchObject({ line: 2, pointer: '/0/name' })
    const syntax = await c.call('ledger:validateAbi', { text: '[\n  {"type": }\n]' })
    expect(syntax.diagnostics[0]).toMatchObject({ line: 2 })
    const ok = await c.call('ledger:validateAbi', { text: contract.abiText })
    expect(ok.description?.errors.map((e) => e.name)).toEqual(['EmptyAssetId', 'TemperatureBelowAbsoluteZero'])
  })
})

describe('routes and preview', () => {
  it('refuses a route that cannot work with the function it names', async () => {
    const c = await core()
    const targetId = await evmTarget(c.call, anvil.url, contract, await fundedKey(anvil.url))
    const base = { name: 'r', targetId, deviceType: 'tracker', eventId: 'status', function: 'updateAsset', rows: [{ parameter: 'assetId', source: { kind: 'path' as const, path: 'd.id' } }] }
    expect(await c.dispatcher.invoke('ledger:saveRoute', base)).toMatchObject({ ok: false, error: { details: { ref: { key: 'ledger.route.unmapped', params: { parameter: 'temperatureMilli' } } } } })
    expect(await c.dispatcher.invoke('ledger:saveRoute', { ...base, function: 'readAsset' })).toMatchObject({ ok: false, error: { details: { ref: { key: 'ledger.route.viewFunction' } } } })
    expect(await c.dispatcher.invoke('ledger:saveRoute', { ...base, function: 'burn' })).toMatchObject({ ok: false, error: { details: { ref: { key: 'ledger.noFunction' } } } })
    expect(await c.dispatcher.invoke('ledger:saveRoute', { ...base, surprise: 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    await assetRoute(c.call, targetId)
    expect(await c.dispatcher.invoke('ledger:saveRoute', { ...base, rows: [] })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
  })

  it('previews a sample event: resolved arguments, calldata, and a dry run with the revert decoded by name', async () => {
    const c = await core()
    const targetId = await evmTarget(c.call, anvil.url, contract, await fundedKey(anvil.url))
    const routeId = await assetRoute(c.call, targetId)
    const ok = await c.call('ledger:preview', { route: routeId, sample: sample('CON9', { temp: 21.5 }), dryRun: true })
    expect(ok.args.map((a) => [a.parameter, a.type, a.value])).toEqual([
      ['assetId', 'string', 'CON9'],
      ['temperatureMilli', 'int256', '21500'],
      ['carrier', 'string', 'jasper'],
      ['latE6', 'int256', '48856600'],
      ['lonE6', 'int256', '2352200'],
    ])
    expect(ok.encoded).toMatch(/^0x[0-9a-f]{8}/)
    // The contract's function returns nothing: said as such, not as the text 'null'.
    expect(ok.dryRun).toEqual({ ok: true, result: null })

    const reverted = await c.call('ledger:preview', { route: routeId, sample: sample(''), dryRun: true })
    expect(reverted.dryRun).toMatchObject({ ok: false, error: { code: 'REVERT', name: 'EmptyAssetId' } })

    const outOfRange = await c.call('ledger:preview', { route: routeId, sample: sample('CON9', { temp: 1200 }), dryRun: true })
    expect(outOfRange.args[1]).toMatchObject({ value: null, error: { name: 'OutOfRange' } })
    expect(outOfRange.dryRun).toBeNull()

    // An edited route (not saved) previews too: a range that lets -280 °C through reaches the contract's own check.
    const route = (await c.call('ledger:routes', {})).items[0]!
    const edited = { ...route, id: undefined, createdAt: undefined, updatedAt: undefined, rows: route.rows.map((r) => (r.parameter === 'temperatureMilli' ? { ...r, min: -1000 } : r)) }
    const { id: _i, createdAt: _c, updatedAt: _u, ...editable } = edited
    const cold = await c.call('ledger:preview', { route: editable, sample: sample('CON9', { temp: -280 }), dryRun: true })
    expect(cold.dryRun).toMatchObject({ ok: false, error: { name: 'TemperatureBelowAbsoluteZero', args: ['-280000'] } })
    expect(await c.dispatcher.invoke('ledger:preview', { route: routeId, sample: '{not json', dryRun: true })).toMatchObject({
      ok: false,
      error: { details: { ref: { key: 'ledger.sampleNotJson' } } },
    })
  })
})

describe('forwarding', () => {
  it('submits once, commits, and shows the transaction decoded, the block and the asset with its history', async () => {
    const c = await core()
    const targetId = await evmTarget(c.call, anvil.url, contract, await fundedKey(anvil.url))
    const routeId = await assetRoute(c.call, targetId)
    const item = await c.call('ledger:submit', { routeId, sample: sample('CON-A', { temp: 4.25 }), eventKey: 'evt-1' })
    expect(item.state).toBe('pending')
    await committed(c, 1)
    expect(await c.dispatcher.invoke('ledger:submit', { routeId, sample: sample('CON-A'), eventKey: 'evt-1' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', details: { ref: { key: 'ledger.alreadyQueued' } } },
    })
    const [done] = (await c.call('ledger:queue', { state: 'committed', limit: 10 })).items
    const tx = await c.call('ledger:tx', { targetId, txId: done!.txId! })
    expect(tx).toMatchObject({ status: 'success', function: 'updateAsset', block: done!.block })
    expect(tx.args.find((a) => a.parameter === 'temperatureMilli')?.value).toBe('4250')
    expect(tx.events[0]).toMatchObject({ name: 'AssetUpdated', args: { assetId: 'CON-A', temperatureMilli: '4250' } })
    const asset = await c.call('ledger:asset', { targetId, assetId: 'CON-A' })
    expect(asset.state).toMatchObject({ assetId: 'CON-A', temperatureMilli: '4250', updates: '1' })
    expect(asset.history.map((h) => h.txId)).toEqual([done!.txId])
    const blocks = await c.call('ledger:blocks', { targetId, count: 3 })
    expect(blocks.items[0]!.number).toBe((await c.call('ledger:head', { targetId })).height)
    const audit = await listAudit(c.workspace.db, { query: 'ledger.submit', offset: 0, limit: 10 })
    // Activity names the route by its name, not by its id.
    expect(audit.items).toMatchObject([{ subject: 'tracker telemetry' }])
  })

  it('fails a call the contract refuses with the error by name, and sends it again after an operator retry', async () => {
    const c = await core()
    const targetId = await evmTarget(c.call, anvil.url, contract, await fundedKey(anvil.url))
    const routeId = await assetRoute(c.call, targetId, { rows: (await import('../helpers/ledger')).ASSET_ROUTE_ROWS.map((r) => (r.parameter === 'temperatureMilli' ? { ...r, min: -1000 } : r)) })
    await c.call('ledger:submit', { routeId, sample: sample('COLD', { temp: -280 }), eventKey: 'cold-1' })
    await expect.poll(async () => (await c.call('ledger:queue', { state: 'failed', limit: 5 })).items[0]?.lastError?.name, POLL).toBe('TemperatureBelowAbsoluteZero')
    const failed = (await c.call('ledger:queue', { state: 'failed', limit: 5 })).items[0]!
    expect(await c.dispatcher.invoke('ledger:retry', { itemId: 'ledger-item:nope:x' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    const again = await c.call('ledger:retry', { itemId: failed.id })
    expect(again.state).toBe('pending')
    await expect.poll(async () => (await c.call('ledger:queue', { state: 'failed', limit: 5 })).items[0]?.attempts, POLL).toBe(2)
    expect((await listAudit(c.workspace.db, { query: 'ledger.retry', offset: 0, limit: 5 })).items).toHaveLength(1)
  })

  it('gives concurrent submits distinct nonces, and keeps them right across a restart of the console', async () => {
    const c = await core()
    const key = await fundedKey(anvil.url)
    const targetId = await evmTarget(c.call, anvil.url, contract, key)
    const routeId = await assetRoute(c.call, targetId)
    const before = await totalUpdates()
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.call('ledger:submit', { routeId, sample: sample(`PAR-${i}`), eventKey: `par-${i}` })))
    await committed(c, 20)
    await c.close()
    const again = await core(c)
    await Promise.all(Array.from({ length: 10 }, (_, i) => again.call('ledger:submit', { routeId, sample: sample(`RST-${i}`), eventKey: `rst-${i}` })))
    await committed(again, 30)
    const client = createPublicClient({ transport: http(anvil.url) })
    expect(await client.getTransactionCount({ address: privateKeyToAccount(key).address })).toBe(30)
    expect((await totalUpdates()) - before).toBe(30n)
    const items = (await again.call('ledger:queue', { limit: 100 })).items
    expect(items.every((i) => i.state === 'committed' && i.attempts === 1)).toBe(true)
  })

  it('takes a nonce used by another sender of the same key in its stride', async () => {
    const c = await core()
    const key = await fundedKey(anvil.url)
    const targetId = await evmTarget(c.call, anvil.url, contract, key)
    const routeId = await assetRoute(c.call, targetId)
    await c.call('ledger:submit', { routeId, sample: sample('N-1'), eventKey: 'n-1' })
    await committed(c, 1)
    // Another wallet with the same key moves the account's nonce on behind the console's back.
    const { createWalletClient } = await import('viem')
    const wallet = createWalletClient({
      account: privateKeyToAccount(key),
      transport: http(anvil.url),
      chain: { id: 31337, name: 'anvil', nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 }, rpcUrls: { default: { http: [anvil.url] } } },
    })
    await wallet.sendTransaction({ to: privateKeyToAccount(key).address, value: 0n })
    await c.call('ledger:submit', { routeId, sample: sample('N-2'), eventKey: 'n-2' })
    await committed(c, 2)
  })

  it('keeps events while the node is down and sends them once it is back', async () => {
    const c = await core()
    const targetId = await evmTarget(c.call, anvil.url, contract, await fundedKey(anvil.url))
    const routeId = await assetRoute(c.call, targetId)
    const before = await totalUpdates()
    await anvil.stop()
    try {
      await c.call('ledger:submit', { routeId, sample: sample('DOWN-1'), eventKey: 'down-1' })
      await expect.poll(async () => (await c.call('ledger:queue', { limit: 5 })).items[0]?.lastError?.code, POLL).toBe('NETWORK')
      // The forwarder's status says why its pending event waits (the card shows it beside the counts).
      expect(await c.call('ledger:status', {})).toMatchObject({ counts: { pending: 1 }, waiting: { code: 'NETWORK' } })
      // Its height is not known then, rather than 0.
      expect(await c.call('ledger:head', { targetId })).toMatchObject({ healthy: false, height: null })
    } finally {
      await anvil.start()
    }
    await committed(c, 1)
    expect((await totalUpdates()) - before).toBe(1n)
    expect(await c.call('ledger:status', {})).toMatchObject({ waiting: null })
  })
})

describe('forwarder on the platform link', () => {
  const skip = mosquittoSkipReason()
  let broker: Mosquitto
  beforeAll(async () => {
    if (!skip) broker = await startMosquitto()
  })
  afterAll(async () => broker?.stop())

  it('says subscribed only once the broker has granted the subscription, not when it was asked for', async () => {
    const c = await core()
    // A broker that is not there: the subscription is asked for and never granted.
    const closed = await freePort()
    await c.call('profiles:save', { extension: 'platform', name: 'Broker', settings: { url: `mqtt://127.0.0.1:${closed}`, clientId: 'a:org1:ledger' } })
    const status = await c.call('ledger:start', {})
    expect(status.running).toBe(true)
    expect(status.subscribed).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await c.call('ledger:status', {})).subscribed).toBe(false)
    await c.call('ledger:stop', {})
  })

  it.skipIf(skip)('forwards device events of the routed type and event, once per device event id', async () => {
    const c = await core()
    const targetId = await evmTarget(c.call, anvil.url, contract, await fundedKey(anvil.url))
    await assetRoute(c.call, targetId)
    await c.call('profiles:save', { extension: 'platform', name: 'Broker', settings: { url: broker.url, clientId: 'a:org1:ledger' } })
    const status = await c.call('ledger:start', {})
    expect(status.running).toBe(true)
    await expect.poll(async () => (await c.call('ledger:status', {})).subscribed, POLL).toBe(true)
    await expect.poll(() => c.links.states()[0]?.state, POLL).toBe('connected')
    const device = await connectAsync(broker.url, { clientId: 'd:org1:tracker:t1' })
    cleanups.push(() => device.endAsync(true))
    const before = await totalUpdates()
    // The same device event twice (a device that re-sent it), another event, a type no route maps, and garbage.
    await device.publishAsync('iot-2/type/tracker/id/t1/evt/status/fmt/json', sample('MQ-1', { id: 'e-1' }), { qos: 1 })
    await device.publishAsync('iot-2/type/tracker/id/t1/evt/status/fmt/json', sample('MQ-1', { id: 'e-1' }), { qos: 1 })
    await device.publishAsync('iot-2/type/other/id/t1/evt/status/fmt/json', sample('MQ-X', { id: 'e-x' }), { qos: 1 })
    await device.publishAsync('iot-2/type/tracker/id/t1/evt/status/fmt/json', '{garbage', { qos: 1 })
    await device.publishAsync('iot-2/type/tracker/id/t1/evt/status/fmt/json', sample('MQ-2', { id: 'e-2' }), { qos: 1 })
    await committed(c, 2)
    expect((await totalUpdates()) - before).toBe(2n)
    const items = (await c.call('ledger:queue', { limit: 10 })).items
    expect(items.map((i) => i.eventKey).sort()).toEqual(['e-1', 'e-2'])
    expect(items[0]!.source).toMatchObject({ typeId: 'tracker', deviceId: 't1', eventId: 'status' })
    await c.call('ledger:stop', {})
    expect((await listAudit(c.workspace.db, { query: 'ledger.forwarder', offset: 0, limit: 5 })).items.map((a) => a.action).sort()).toEqual(['ledger.forwarder.start', 'ledger.forwarder.stop'])
  })
})
