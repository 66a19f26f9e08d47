/**
 * `fieldline ledger` against anvil, through the CLI as a script runs it. The workspace is prepared by a core in this
 * process (a target without a signer key, so that no keychain is needed: a dry run and the reads need none).
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newItemDoc } from '../../src-main/core/ledger/ledger.store'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { tempDir, testCore } from '../helpers/core'
import { ASSET_ROUTE_ROWS, sample } from '../helpers/ledger'
import { deployAssetTracker, startAnvil, type Anvil } from '../peers/evm/anvil'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))

const run = (dataDir: string, args: string[]) =>
  new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', dataDir, ...args])
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('close', (code) => resolve({ code, out, err }))
    // A command that waits for a signal it will never get is stopped, and says so in its code (null).
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('close', () => clearTimeout(guard))
  })

describe('fieldline ledger', () => {
  let anvil: Anvil
  let contract: { address: Hex; abiText: string }
  let tmp: { dir: string; cleanup: () => Promise<void> }
  let routeId: string

  beforeAll(async () => {
    anvil = await startAnvil()
    contract = await deployAssetTracker(anvil.url)
    tmp = await tempDir()
    const core = await testCore(tmp.dir, { vault: createMemoryStore() })
    const target = await core.call('ledger:saveTarget', { name: 'anvil', settings: { kind: 'evm', rpcUrl: anvil.url, chainId: 31337, contract: contract.address, abi: contract.abiText }, secrets: {} })
    routeId = (await core.call('ledger:saveRoute', { name: 'r', targetId: target.id, deviceType: 'tracker', eventId: 'status', function: 'updateAsset', rows: ASSET_ROUTE_ROWS })).id
    await core.close()
    await writeFile(join(tmp.dir, 'ok.json'), sample('CLI-1', { temp: 3.5 }))
    await writeFile(join(tmp.dir, 'empty.json'), sample(''))
  }, 60_000)
  afterAll(async () => {
    await anvil.close()
    await tmp.cleanup()
  })

  it('dry-runs a sample: the resolved arguments, the calldata, and a revert by name with exit 1', async () => {
    const ok = await run(tmp.dir, ['ledger', 'submit', routeId, '--sample', join(tmp.dir, 'ok.json'), '--dry-run'])
    expect(ok.code).toBe(0)
    expect(ok.out).toContain('temperatureMilli (int256) = 3500')
    expect(ok.out).toMatch(/encoded: 0x[0-9a-f]+/)
    expect(ok.out).toContain('dry run: ok')
    const bad = await run(tmp.dir, ['ledger', 'submit', routeId, '--sample', join(tmp.dir, 'empty.json'), '--dry-run'])
    expect(bad.code).toBe(1)
    expect(bad.out).toContain('dry run: EmptyAssetId')
    const missing = await run(tmp.dir, ['ledger', 'submit', routeId, '--sample', join(tmp.dir, 'nope.json'), '--dry-run'])
    expect(missing).toMatchObject({ code: 2 })
    expect(missing.err).toBe(`fieldline: cannot read ${join(tmp.dir, 'nope.json')}: no such file\n`)
  })

  it("counts the queue's items kept in the workspace, with the forwarder stopped (cold trial: 0 of everything)", async () => {
    // A submit without a signer key is queued, then failed by name: one item in the workspace.
    await run(tmp.dir, ['ledger', 'submit', routeId, '--sample', join(tmp.dir, 'ok.json'), '--event-key', 'counted-1'])
    const status = await run(tmp.dir, ['--json', 'ledger', 'status'])
    expect(status.code).toBe(0)
    const counts = (JSON.parse(status.out) as { counts: Record<string, number> }).counts
    expect(counts.failed).toBeGreaterThanOrEqual(1)
    const text = await run(tmp.dir, ['ledger', 'status'])
    expect(text.out).not.toContain('0 failed')
  })

  it('shows the status with each target, and refuses a submit without a signer key', async () => {
    const status = await run(tmp.dir, ['ledger', 'status'])
    expect(status.code).toBe(0)
    expect(status.out).toMatch(/evm 31337\theight \d+\thealthy/)
    const tx = await run(tmp.dir, ['ledger', 'tx', '0x1234'])
    expect(tx.code).toBe(2)
    const noKey = await run(tmp.dir, ['ledger', 'submit', routeId, '--sample', join(tmp.dir, 'ok.json')])
    expect(noKey.code).toBe(1)
    expect(noKey.out).toContain('noSignerKey')
  })

  // Cold trial: submit scanned the first 500 items of the queue, newest first, every 100 ms: with more than 500 others
  // changed after its own, it never saw its item again and waited for ever.
  it('submit finds its own item among more than 500 other items that changed after it', async () => {
    const core = await testCore(tmp.dir, { vault: createMemoryStore() })
    const later = new Date(Date.now() + 86_400_000).toISOString()
    const others = Array.from({ length: 600 }, (_, n) => ({
      ...newItemDoc({ routeId, eventKey: `other-${n}`, source: { typeId: 'tracker', deviceId: `o-${n}`, eventId: 'status' }, payload: sample(`O-${n}`), receivedAt: later, manual: false }),
      state: 'committed' as const,
    }))
    await core.workspace.db.bulkDocs(others)
    await core.close()
    const submitted = await run(tmp.dir, ['ledger', 'submit', routeId, '--sample', join(tmp.dir, 'ok.json'), '--event-key', 'among-600'])
    // Without a signer key the item fails by name: what counts is that the command saw its end.
    expect(submitted.code).toBe(1)
    expect(submitted.out).toMatch(/^among-600\tfailed\t.*noSignerKey/)
  }, 60_000)

  it('ledger run without a platform profile ends at once with 2 and the reason, instead of waiting for a signal', async () => {
    const ran = await run(tmp.dir, ['ledger', 'run'])
    expect(ran.code).toBe(2)
    expect(ran.err).toContain('the ledger forwarder cannot start')
    expect(ran.err).not.toContain('forwarder running')
  }, 60_000)
})
