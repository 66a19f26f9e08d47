/**
 * A sync killed with SIGKILL in the middle of its listing goes on, at its next start, from the last page it wrote:
 * every SIM is in the inventory once, and the pages fetched over both runs are those of one run plus at most those
 * fetched and not yet written when the process died.
 */
import { runUntilKilled } from '../helpers/kill-child'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { keychainAccount, tempDir, testCore } from '../helpers/core'
import { FLUSH_SIMS } from '../../src-main/core/sims/account-sync'
import { interruptedSyncLine } from '../../src-main/cli/commands/sims'
import { profileSecretAccount } from '../../src-main/core/profiles/profiles.service'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { countOf } from '../../src-shared/models/count-text'
import type { SyncEstimate } from '../../src-shared/models/sim-inventory'

const child = fileURLToPath(new URL('./fixtures/sims-syncer.ts', import.meta.url))
const NOW = '2026-03-14T10:00:00.000Z'
const SECRET = 'kill-test-api-key-Pz4'
const SIMS = 2000
const PAGES = SIMS / 50
/** Pages a run writes together (FLUSH_SIMS): what a kill can make the next run fetch again, with the page in flight. */
const WRITTEN_TOGETHER = FLUSH_SIMS / 50

async function run(dataDir: string, account: string, killAtCalls: number | null): Promise<{ lines: string[]; killed: boolean }> {
  const { lines, signal } = await runUntilKilled(child, [dataDir, account, NOW], { TEST_SECRET: SECRET }, (line) => {
    const calls = /^progress (\d+)$/.exec(line)
    return killAtCalls !== null && calls !== null && Number(calls[1]) >= killAtCalls
  })
  return { lines, killed: signal === 'SIGKILL' }
}

describe('SIM inventory sync across kill -9', () => {
  let peer: ControlCenterPeer
  let dir: string
  let cleanup: () => Promise<void>
  let account: string

  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: SIMS, now: () => new Date(NOW), users: [{ username: 'ops', apiKey: SECRET, password: 'pw', role: 'AccountAdmin' }] })
    const t = await tempDir()
    dir = t.dir
    cleanup = t.cleanup
    const core = await testCore(dir)
    // The account's rate (5 calls/s) keeps the listing slow enough to be killed in the middle of it.
    const saved = await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: peer.url, username: 'ops', concurrency: 1, perSecond: 5 }, secrets: { apiKey: SECRET } })
    account = `jasper:${saved.id}`
    await core.close()
  })
  afterAll(async () => {
    await peer?.close()
    await cleanup?.()
  })

  it('resumes from its checkpoint and lists every SIM once', async () => {
    const first = await run(dir, account, WRITTEN_TOGETHER)
    expect(first.killed).toBe(true)
    const fetchedBeforeKill = peer.stats().byRoute['GET /devices'] ?? 0
    expect(fetchedBeforeKill).toBeGreaterThanOrEqual(WRITTEN_TOGETHER)
    expect(fetchedBeforeKill).toBeLessThan(PAGES)

    // The estimate the CLI prints before a sync tells of the run left unfinished, so that it can say the sync goes on
    // from it (cold trial: nothing said so after `kill -9`).
    const vault = createMemoryStore()
    await vault.set(await keychainAccount(dir, profileSecretAccount({ _id: `profile:${account}` }, 'apiKey')), SECRET)
    const looking = await testCore(dir, { vault, now: () => new Date(NOW) })
    try {
      const { interrupted } = await looking.call('sims:estimate', { account, usage: false })
      expect(interrupted).toMatchObject({ full: false, usage: false, phase: 'listing' })
      expect(interrupted!.listed).toBeGreaterThanOrEqual(FLUSH_SIMS)
      expect(interrupted!.listed).toBeLessThan(SIMS)
      expect(interruptedSyncLine({ account, interrupted } as SyncEstimate, { full: false, usage: false })).toBe(
        `${account}: going on with the sync a stopped process left unfinished (${countOf(interrupted!.listed, 'SIM')} listed)`,
      )
      expect(interruptedSyncLine({ account, interrupted } as SyncEstimate, { full: false, usage: true })).toBe(
        `${account}: a sync with neither --full nor --usage was left unfinished (${countOf(interrupted!.listed, 'SIM')} listed); this one, with --usage, starts again from the first page (the SIMs written are kept)`,
      )
    } finally {
      await looking.close()
    }

    const second = await run(dir, account, null)
    const done = second.lines.find((l) => l.startsWith('done '))
    const result = JSON.parse(done!.slice('done '.length)) as { ok: boolean; value: { resumed: boolean; calls: number; listed: number } }
    expect(result).toMatchObject({ ok: true, value: { resumed: true } })
    const total = peer.stats().byRoute['GET /devices'] ?? 0
    // One run's pages, plus at most those fetched and not yet written at the kill (a write's worth, and the one in flight).
    expect(total).toBeGreaterThanOrEqual(PAGES)
    expect(total).toBeLessThanOrEqual(PAGES + WRITTEN_TOGETHER + 1)
    expect(result.value.calls).toBe(PAGES)

    const core = await testCore(dir)
    try {
      expect(await core.call('sims:count', { filters: { account: [account] } })).toEqual({ total: SIMS })
    } finally {
      await core.close()
    }
    // Two console processes start and list 40 pages at 5 calls/s: seconds of work, minutes on a loaded machine.
  }, 180_000)
})
