/**
 * `fieldline ledger submit` while the node is away (cold trial: anvil stopped at 2 a.m.): the command says on stderr,
 * at each try that fails, that the event is not committed yet, why, which node, when it tries again and that it stays
 * queued; once the node is back it commits the event and exits 0. Before, it was silent for as long as the node was
 * away. The signer key is in the OS keychain, as the CLI reads it, so the suite needs a D-Bus session with a keyring.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeytarStore } from '../../src-main/core/vault/keytar.store'
import { tempDir, testCore } from '../helpers/core'
import { assetRoute, evmTarget, sample } from '../helpers/ledger'
import { keyringSkipReason } from '../helpers/system'
import { deployAssetTracker, fundedKey, startAnvil, type Anvil } from '../peers/evm/anvil'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))
const skip = keyringSkipReason()

describe.skipIf(skip !== null)('fieldline ledger submit while the node is away', () => {
  let anvil: Anvil
  let tmp: { dir: string; cleanup: () => Promise<void> }
  let routeId: string
  let targetId: string
  // Killed in afterAll too: a test that times out never reaches its finally, and the CLI would wait for the node forever.
  let child: ChildProcess | undefined

  beforeAll(async () => {
    anvil = await startAnvil()
    const contract: { address: Hex; abiText: string } = await deployAssetTracker(anvil.url)
    const key = await fundedKey(anvil.url)
    tmp = await tempDir()
    const core = await testCore(tmp.dir, { vault: createKeytarStore() })
    targetId = await evmTarget(core.call, anvil.url, contract, key)
    routeId = await assetRoute(core.call, targetId)
    await core.close()
    await writeFile(join(tmp.dir, 'event.json'), sample('WAIT-1', { temp: 4.5 }))
  }, 60_000)
  afterAll(async () => {
    child?.kill('SIGKILL')
    await anvil?.close()
    await tmp?.cleanup()
  })

  it('says why it waits and that the event stays queued, then commits it once the node is back', { timeout: 120_000 }, async () => {
    await anvil.stop()
    const submit = spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', tmp.dir, 'ledger', 'submit', routeId, '--sample', join(tmp.dir, 'event.json'), '--event-key', 'wait-1'])
    child = submit
    let out = ''
    let err = ''
    submit.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const waiting = new Promise<void>((resolve) => {
      submit.stderr.on('data', (d: Buffer) => {
        err += d.toString()
        if (err.includes('\n')) resolve()
      })
    })
    const exited = new Promise<number | null>((resolve) => submit.on('close', resolve))
    try {
      await Promise.race([waiting, exited])
      expect(err).toMatch(
        new RegExp(
          `^fieldline: wait-1 not committed yet \\(pending, attempt 1\\): Refused: .+ \\(target ${targetId} at ${anvil.url.replace(/\./g, '\\.')}\\), next try at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\. It stays queued and is tried again by itself; Ctrl-C stops waiting`,
        ),
      )
      await anvil.start()
      expect(await exited).toBe(0)
      expect(out).toMatch(/^wait-1\tcommitted\t0x[0-9a-f]{64}\tblock \d+\n$/)
    } finally {
      submit.kill('SIGKILL')
    }
  })
})
