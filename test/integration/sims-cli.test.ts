/**
 * `fieldline sims list|export` and `fieldline alerts add|list|check|inbox|remove` as processes, over an inventory a
 * core synced from the Control Center peer beforehand (`sims sync` itself needs the profile's key in the OS keychain;
 * the sync is tested through the core in sim-inventory.test.ts).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { runCli } from '../helpers/cli-process'
import { tempDir, testCore } from '../helpers/core'

const NOW = '2026-03-14T10:00:00.000Z'
const KEY = 'cli-inventory-key-4Rt'

describe('fieldline sims and alerts', () => {
  let peer: ControlCenterPeer
  let dir: string
  let cleanup: () => Promise<void>
  let account: string

  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 40, seed: 5, now: () => new Date(NOW), users: [{ username: 'ops', apiKey: KEY, password: 'pw', role: 'AccountAdmin' }] })
    const t = await tempDir()
    dir = t.dir
    cleanup = t.cleanup
    const core = await testCore(dir, { now: () => new Date(NOW) })
    const p = await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: peer.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: KEY } })
    account = `jasper:${p.id}`
    await core.call('sims:sync', { account, usage: true })
    await core.close()
  })
  afterAll(async () => {
    await peer?.close()
    await cleanup?.()
  })

  // Each command is a process of its own (a few seconds each on a shared machine): the timeouts are for that.
  it('lists with filters and sorts, and refuses a bad filter with exit code 2', async () => {
    const listed = await runCli(dir, ['--json', 'sims', 'list', '--filter', 'status=activated', '--sort', 'dataBytes', '--desc', '--limit', '5'])
    expect(listed.code).toBe(0)
    const page = JSON.parse(listed.out) as { total: number; items: { status: string; dataBytes: number | null; account: string }[] }
    expect(page.items.length).toBeGreaterThan(0)
    expect(page.items.every((r) => r.status === 'activated' && r.account === account)).toBe(true)
    const bytes = page.items.map((r) => r.dataBytes ?? -1)
    expect(bytes).toEqual([...bytes].sort((a, b) => b - a))

    // --json is the rows' format too: with --format it is refused, not silently preferred.
    expect(await runCli(dir, ['--json', 'sims', 'list', '--format', 'jsonl'])).toMatchObject({ code: 2, out: '', err: expect.stringContaining('--json and --format jsonl cannot be used together') })

    const bad = await runCli(dir, ['sims', 'list', '--filter', 'dataAbove=lots'])
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('--filter dataAbove')
  }, 120_000)

  // Cold trial: "no Jasper, AT&T or Orange profile: add one first", saying neither that it means a saved profile nor where.
  it('sync without a carrier profile says so, where one is added, and that no command adds one (exit 2)', async () => {
    const empty = join(dir, 'no-profiles')
    for (const args of [
      ['sims', 'sync'],
      ['sims', 'sync', '--estimate'],
    ]) {
      const run = await runCli(empty, args)
      expect(run).toMatchObject({ code: 2, out: '' })
      expect(run.err).toMatch(/^fieldline: no carrier profile \(Jasper, AT&T Control Center or Orange\) in this data folder, and sims sync reads the accounts of saved profiles: /)
      expect(run.err).toContain('add one in the desktop app or in serve mode (`fieldline serve`, on the same data folder), in Extensions')
      expect(run.err).toContain('no fieldline command adds one; a deleted one comes back with `fieldline trash restore ID`')
    }
  }, 120_000)

  it('exports the selection to a CSV file', async () => {
    const file = join(dir, 'sims.csv')
    const run = await runCli(dir, ['sims', 'export', file, '--filter', 'carrier=jasper'])
    expect(run.code).toBe(0)
    expect(run.out).toContain('exported 40 SIMs')
    const text = await readFile(file, 'utf8')
    // UTF-8's byte-order mark first, as the device export, for Excel.
    expect(text.startsWith('\uFEFFcarrier,simId,')).toBe(true)
    const lines = text.trimEnd().split('\r\n')
    expect(lines).toHaveLength(41)
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[1])
        .sort(),
    ).toEqual([...peer.iccids].sort())
  })

  it('adds a rule, checks it for cron, lists the inbox and removes the rule', async () => {
    const add = await runCli(dir, ['alerts', 'add', 'heavy', '--name', 'Heavy users', '--kind', 'dataAbove', '--bytes', '1'])
    expect(add.code).toBe(0)
    const missing = await runCli(dir, ['alerts', 'add', 'x', '--name', 'X', '--kind', 'dataAbove'])
    expect(missing.code).toBe(2)
    // A failed SMS takes no parameter (read back from Control Center at each sync and check).
    expect((await runCli(dir, ['alerts', 'add', 'sms', '--name', 'SMS failed', '--kind', 'smsFailed'])).code).toBe(0)
    expect(JSON.parse((await runCli(dir, ['--json', 'alerts', 'list'])).out)).toContainEqual(expect.objectContaining({ id: 'sms', condition: { kind: 'smsFailed' } }))
    // People read the condition in words; --json (above) keeps it as stored.
    expect((await runCli(dir, ['alerts', 'list'])).out.trim().split('\n')).toEqual([
      'heavy\tHeavy users\tdata above 1 byte this cycle',
      'sms\tSMS failed\tan SMS that Control Center reports as failed',
    ])
    expect((await runCli(dir, ['alerts', 'remove', 'sms'])).code).toBe(0)
    const check = await runCli(dir, ['--json', 'alerts', 'check'])
    const { fired, unread } = JSON.parse(check.out) as { fired: number; unread: number }
    expect(fired).toBeGreaterThan(0)
    expect(unread).toBe(fired)
    const again = await runCli(dir, ['--json', 'alerts', 'check'])
    expect(JSON.parse(again.out)).toEqual({ fired: 0, unread: fired })
    const inbox = await runCli(dir, ['alerts', 'inbox', '--unread'])
    expect(inbox.out.trimEnd().split('\n')).toHaveLength(fired)
    expect((await runCli(dir, ['alerts', 'remove', 'heavy'])).code).toBe(0)
    expect((await runCli(dir, ['--json', 'alerts', 'list'])).out.trim()).toBe('[]')
    // Cold trial: no rule listed nothing at all; it says so on stderr, stdout stays empty for scripts.
    expect(await runCli(dir, ['alerts', 'list'])).toMatchObject({ code: 0, out: '', err: 'fieldline: no alert rule (alerts add ID adds one)\n' })
    expect(await runCli(dir, ['sims', 'searches'])).toMatchObject({ code: 0, out: '', err: 'fieldline: no saved search (sims save-search ID --name TEXT saves one)\n' })
    expect((await runCli(dir, ['--json', 'sims', 'searches'])).out).toBe('[]\n')
  }, 300_000)

  it('refuses a rule’s bad parameter by its option, not by the core channel’s schema path, and adds nothing', async () => {
    const bytes = await runCli(dir, ['alerts', 'add', 'bad', '--name', 'Bad', '--kind', 'dataAbove', '--bytes', '-3'])
    expect(bytes).toMatchObject({ code: 2, err: expect.stringContaining('fieldline: --bytes takes a whole number from 1 to') })
    const allowance = await runCli(dir, ['alerts', 'add', 'bad', '--name', 'Bad', '--kind', 'dataShare', '--percent', '80', '--allowance', 'Meter 10MB=lots'])
    expect(allowance).toMatchObject({ code: 2, err: expect.stringContaining('fieldline: --allowance Meter 10MB= takes a whole number from 1 to') })
    const percent = await runCli(dir, ['alerts', 'add', 'bad', '--name', 'Bad', '--kind', 'dataShare', '--percent', '80%', '--allowance', 'Meter 10MB=10000000'])
    expect(percent).toMatchObject({ code: 2, err: expect.stringContaining('fieldline: --percent takes a number from 1 to 1,000 (got "80%")') })
    for (const refused of [bytes, allowance, percent]) expect(refused.err).not.toMatch(/alerts:add|NaN/)
    expect((await runCli(dir, ['--json', 'alerts', 'list'])).out.trim()).toBe('[]')
  }, 300_000)
})
