/**
 * Idempotency across kill -9: a console killed at any point between queuing, signing, sending and confirming must,
 * once started again, commit every event it acknowledged exactly once — none lost, none twice. On the EVM the contract
 * counts its own successful updates; on Fabric the test peer counts the valid updateAsset transactions of its chain; a
 * duplicate would show on the ledger itself. (Fabric: against the test peer; a real Fabric network is untested here.)
 */
import { runUntilKilled } from '../helpers/kill-child'
import { fileURLToPath } from 'node:url'
import { createPublicClient, http, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scanItems } from '../../src-main/core/ledger/ledger.store'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { tempDir, testCore } from '../helpers/core'
import { assetRoute, evmTarget, fabricTarget, FAST_LEDGER, watsonRoute } from '../helpers/ledger'
import { missingService } from '../helpers/system'
import { startFabricPeer, type FabricPeer } from '../peers/fabric/fabric.peer'
import { makeFabricPki, opensslMissing, type FabricPki } from '../peers/fabric/pki'
import { deployAssetTracker, fundedKey, startAnvil, type Anvil } from '../peers/evm/anvil'

const child = fileURLToPath(new URL('./fixtures/ledger-submitter.ts', import.meta.url))
let anvil: Anvil
let contract: { address: Hex; abiText: string }

/** `secret`: the target's key, handed to the child as the keychain would (EVM signerKey or Fabric privateKey). */
function run(args: string[], secret: { field: 'signerKey' | 'privateKey'; value: string }, until: (line: string, lines: string[]) => boolean) {
  return runUntilKilled(child, args, { TEST_SECRET_FIELD: secret.field, TEST_SECRET: secret.value }, until)
}

async function totalUpdates(): Promise<bigint> {
  const client = createPublicClient({ transport: http(anvil.url) })
  return client.readContract({
    address: contract.address,
    abi: [{ type: 'function', name: 'totalUpdates', inputs: [], outputs: [{ type: 'uint256', name: '' }], stateMutability: 'view' }],
    functionName: 'totalUpdates',
  })
}

describe('ledger forwarding across kill -9 (EVM)', () => {
  beforeAll(async () => {
    anvil = await startAnvil()
    contract = await deployAssetTracker(anvil.url)
  }, 60_000)
  afterAll(async () => anvil?.close())

  it('commits every acknowledged event exactly once after the console is killed mid-stream, three times over', { timeout: 240_000 }, async () => {
    const tmp = await tempDir()
    const key = await fundedKey(anvil.url)
    const setup = await testCore(tmp.dir, { vault: createMemoryStore(), ledgerTimings: FAST_LEDGER })
    const targetId = await evmTarget(setup.call, anvil.url, contract, key)
    const routeId = await assetRoute(setup.call, targetId)
    await setup.close()
    const before = await totalUpdates()
    const acked: string[] = []
    // Kill points spread over the pipeline: soon after start, while items wait, while many are in flight.
    for (const [round, killAfter] of [
      [0, 5],
      [1, 40],
      [2, 120],
    ] as const) {
      const { lines, signal } = await run([tmp.dir, targetId, routeId, 'submit', `k${round}`], { field: 'signerKey', value: key }, (_l, all) => all.length >= killAfter)
      expect(signal).toBe('SIGKILL')
      acked.push(...lines)
    }
    const { lines } = await run([tmp.dir, targetId, routeId, 'resume', 'x'], { field: 'signerKey', value: key }, () => false)
    expect(lines).toEqual(['drained'])

    const ws = await openWorkspace(tmp.dir)
    try {
      const items: { key: string; state: string }[] = []
      await scanItems(ws.db, (d) => items.push({ key: d.eventKey, state: d.state }))
      // Every acknowledged event is there and committed; an event queued but killed before its answer may be too.
      const keys = new Set(items.map((i) => i.key))
      expect(acked.filter((k) => !keys.has(k))).toEqual([])
      expect(items.filter((i) => i.state !== 'committed')).toEqual([])
      expect((await totalUpdates()) - before).toBe(BigInt(items.length))
    } finally {
      await ws.close()
      await tmp.cleanup()
    }
  })
})

describe.skipIf(missingService('openssl', opensslMissing()))('ledger forwarding across kill -9 (Fabric test peer)', () => {
  let pki: FabricPki
  let fabric: FabricPeer
  beforeAll(async () => {
    pki = await makeFabricPki()
    fabric = await startFabricPeer({ pki })
  })
  afterAll(async () => {
    await fabric?.close()
    await pki?.cleanup()
  })

  it('commits every acknowledged event exactly once after the console is killed mid-stream, three times over', { timeout: 240_000 }, async () => {
    const tmp = await tempDir()
    const setup = await testCore(tmp.dir, { vault: createMemoryStore(), ledgerTimings: FAST_LEDGER })
    const targetId = await fabricTarget(setup.call, fabric, pki.tlsCa, { mspId: fabric.mspId, ...pki.user })
    const routeId = await watsonRoute(setup.call, targetId, 'json')
    await setup.close()
    const secret = { field: 'privateKey' as const, value: pki.user.key }
    const before = fabric.validInvocations('updateAsset')
    const acked: string[] = []
    for (const [round, killAfter] of [
      [0, 5],
      [1, 40],
      [2, 120],
    ] as const) {
      const { lines, signal } = await run([tmp.dir, targetId, routeId, 'submit', `f${round}`], secret, (_l, all) => all.length >= killAfter)
      expect(signal).toBe('SIGKILL')
      acked.push(...lines)
    }
    const { lines } = await run([tmp.dir, targetId, routeId, 'resume', 'x'], secret, () => false)
    expect(lines).toEqual(['drained'])

    const ws = await openWorkspace(tmp.dir)
    try {
      const items: { key: string; state: string }[] = []
      await scanItems(ws.db, (d) => items.push({ key: d.eventKey, state: d.state }))
      const keys = new Set(items.map((i) => i.key))
      expect(acked.filter((k) => !keys.has(k))).toEqual([])
      expect(items.filter((i) => i.state !== 'committed')).toEqual([])
      expect(fabric.validInvocations('updateAsset') - before).toBe(items.length)
    } finally {
      await ws.close()
      await tmp.cleanup()
    }
  })
})
