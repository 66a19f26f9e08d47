/**
 * Ctrl+C (SIGINT) or SIGTERM (systemd's stop, `kill`, a container's) during `fieldline sims sync`, as a process against
 * the Control Center peer: the sync stops the way the app's Stop does (what was read is written, the checkpoint says
 * stopped), exit 130 or 143 (128 + the signal's number), and the next run goes on from there. The CLI reads the
 * profile's key from the OS keychain: the suite needs a D-Bus session with a keyring.
 */
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createKeytarStore } from '../../src-main/core/vault/keytar.store'
import { killCommands, runCli, startCli } from '../helpers/cli-process'
import { tempDir, testCore } from '../helpers/core'
import { keyringSkipReason } from '../helpers/system'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'

const skip = keyringSkipReason()
const SECRET = 'sims-cli-stop-key-J5'

/** Each signal, the exit code a shell reports for it, and how the stop line names it. */
const STOPS = [
  { signal: 'SIGINT', exit: 130, named: 'Ctrl+C' },
  { signal: 'SIGTERM', exit: 143, named: 'SIGTERM' },
] as const

describe.skipIf(skip)('fieldline sims sync stopped by Ctrl+C or SIGTERM', () => {
  let peer: ControlCenterPeer
  let cleanup: () => Promise<void>
  /** A data folder and its profile per signal: each stop starts from an empty inventory. */
  const workspaces = new Map<string, { dataDir: string; profileId: string }>()

  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 1200, users: [{ username: 'ops', apiKey: SECRET, role: 'AccountAdmin' }] })
    const t = await tempDir()
    cleanup = t.cleanup
    for (const { signal } of STOPS) {
      const dataDir = join(t.dir, signal)
      const core = await testCore(dataDir, { vault: createKeytarStore() })
      const profileId = (
        await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: peer.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: SECRET } })
      ).id
      await core.close()
      workspaces.set(signal, { dataDir, profileId })
    }
  })
  afterEach(killCommands)
  afterAll(async () => {
    // Takes the keys out of the keychain again.
    for (const { dataDir, profileId } of workspaces.values()) {
      const core = await testCore(dataDir, { vault: createKeytarStore() })
      await core.call('profiles:remove', { extension: 'jasper', id: profileId })
      await core.close()
    }
    await peer.close()
    await cleanup()
  })

  for (const { signal, exit, named } of STOPS) {
    it(`on ${signal}: stops at the call under way, keeps what it read, exits ${exit} saying so; the next sync goes on from there`, async () => {
      const { dataDir, profileId } = workspaces.get(signal)!
      const account = `jasper:${profileId}`
      const start = peer.stats().byRoute['GET /devices'] ?? 0
      const pages = () => (peer.stats().byRoute['GET /devices'] ?? 0) - start
      // The 13th page's answer trickles in: the sync sits on it when the signal comes.
      peer.faults.set({ kind: 'slowBody', bytesPerSecond: 1, times: 1, path: /[?&]pageNumber=13(&|$)/ })
      const run = startCli(['--data-dir', dataDir, 'sims', 'sync', '--account', account], {}, () => true)
      await expect.poll(pages, { timeout: 60_000, interval: 20 }).toBe(13)
      const atStop = peer.stats().requests
      run.child.kill(signal)
      expect(await run.exit, run.stderr()).toBe(exit)
      expect(peer.stats().requests).toBe(atStop)
      expect(run.stdout()).toBe(`${account}: stopped after 600 listed, 0 usage read, 12 calls; what was read is kept, and the next sync with the same options goes on from there\n`)
      expect(run.stderr()).toContain(`fieldline: sims sync stopped (${named}); what was read is saved\n`)
      // Killed at once, the 100 SIMs of pages 11 and 12 were read and not written.
      expect(JSON.parse((await runCli(dataDir, ['--json', 'sims', 'list', '--limit', '1'])).out)).toMatchObject({ total: 600 })

      const next = await runCli(dataDir, ['sims', 'sync', '--account', account])
      expect(next.code, next.err).toBe(0)
      expect(next.err).toMatch(new RegExp(`${account}: going on with the sync stopped \\S+ \\(600 SIMs listed\\)`))
      expect(next.out).toBe(`${account}: 1,200 listed, 0 usage read, 24 calls (resumed), 0 alerts fired\n`)
      expect(pages()).toBe(25)
    }, 180_000)
  }
})
