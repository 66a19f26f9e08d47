/**
 * `fieldline job …` as processes against the Control Center peer. The CLI reads the profile's API key from the OS
 * keychain, so the suite needs a D-Bus session with a keyring (the dbus recipe in BRIEF/CONTRIBUTING; CI runs in one).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createKeytarStore } from '../../src-main/core/vault/keytar.store'
import { killCommands, runCli, startCli } from '../helpers/cli-process'
import { tempDir, testCore } from '../helpers/core'
import { keyringSkipReason } from '../helpers/system'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { startOrangePeer, type OrangePeer } from '../peers/orange/orange.peer'

const skip = keyringSkipReason()
const SECRET = 'job-cli-api-key-T2'

describe.skipIf(skip)('fieldline job', () => {
  let peer: ControlCenterPeer
  let dir: string
  let dataDir: string
  let cleanup: () => Promise<void>
  let profileId: string
  let orange: OrangePeer
  let orangeId: string

  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 32, users: [{ username: 'ops', apiKey: SECRET, role: 'AccountAdmin' }] })
    const t = await tempDir()
    cleanup = t.cleanup
    dir = t.dir
    dataDir = join(dir, 'data')
    const core = await testCore(dataDir, { vault: createKeytarStore() })
    profileId = (await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: peer.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: SECRET } }))
      .id
    orange = await startOrangePeer({ lines: 12, ticketTiming: { waitingMs: 50, workMs: 50 }, users: [{ username: 'ak-cli', password: SECRET }] })
    orangeId = (await core.call('profiles:save', { extension: 'orange', name: 'Orange', settings: { baseUrl: orange.url, username: 'ak-cli', perSecond: 50 }, secrets: { password: SECRET } })).id
    await core.close()
  })
  afterEach(killCommands)
  afterAll(async () => {
    // Takes the key out of the keychain again.
    const core = await testCore(dataDir, { vault: createKeytarStore() })
    await core.call('profiles:remove', { extension: 'jasper', id: profileId })
    await core.call('profiles:remove', { extension: 'orange', id: orangeId })
    await core.close()
    await peer.close()
    await orange.close()
    await cleanup()
  })

  it('refuses bad usage with exit 2, an unknown job with exit 1', async () => {
    expect((await runCli(dataDir, ['job', 'create', '--op', 'reboot', '--query', 'x'])).code).toBe(2)
    const both = await runCli(dataDir, ['job', 'create', '--op', 'status', '--query', 'x', '--from-csv', 'y.csv'])
    expect(both).toMatchObject({ code: 2, err: expect.stringContaining('exactly one of --from-csv') })
    const bad = await runCli(dataDir, ['job', 'create', '--op', 'status', '--query', '{"text": 5}'])
    expect(bad.code).toBe(2)
    // A file that is not there is said in words, not as ENOENT.
    const missing = await runCli(dataDir, ['job', 'create', '--op', 'status', '--from-csv', join(dir, 'gone.csv'), '--status', 'deactivated'])
    expect(missing).toMatchObject({ code: 2, err: expect.stringContaining(`cannot read ${join(dir, 'gone.csv')}: no such file`) })
    expect((await runCli(dataDir, ['--json', 'job', 'status', 'jnothere1'])).code).toBe(1)
  }, 180_000)

  // Cold trial: "created: 1234 rows" where the CLI's other counts are grouped. Nothing is sent: the rows stay pending.
  it('create says the rows of a large CSV as a grouped count', async () => {
    const file = join(dir, 'many.csv')
    await writeFile(file, ['iccid', ...Array.from({ length: 1234 }, (_, i) => `89011704${String(i).padStart(12, '0')}`)].join('\n'))
    const created = await runCli(dataDir, ['job', 'create', '--op', 'status', '--from-csv', file, '--status', 'deactivated'])
    expect(created.code, created.err).toBe(0)
    expect(created.out).toMatch(/^job j[0-9a-z]+ created: 1,234 rows \(next: fieldline job preflight j[0-9a-z]+\)\n$/)
  }, 180_000)

  it('create → preflight (dry-run table) → run → status → export → undo', async () => {
    const file = join(dir, 'targets.csv')
    await writeFile(file, ['iccid', ...peer.iccids.slice(0, 20), '8.98822E+18'].join('\n'))
    const created = await runCli(dataDir, ['job', 'create', '--op', 'status', '--from-csv', file, '--status', 'deactivated'])
    expect(created.code, created.err).toBe(0)
    const jobId = /job (j[0-9a-z]+) created: 21 rows/.exec(created.out)![1]!

    const checked = await runCli(dataDir, ['job', 'preflight', jobId])
    expect(checked.code, checked.err).toBe(0)
    expect(checked.out).toMatch(/line 22\t8\.98822E\+18\t\? → deactivated\tskipped\tmangled/)
    expect(checked.out).toMatch(/→ deactivated\tpending/)
    expect(checked.out).toMatch(/estimated duration at 50 requests\/s: \d+ s/)
    const changesBefore = peer.stats().statusChanges.length

    const ran = await runCli(dataDir, ['job', 'run', jobId])
    expect(ran.code, ran.err).toBe(0)
    expect(ran.err).toMatch(new RegExp(`${jobId} (running|done): \\d+/\\d+`))
    const status = JSON.parse((await runCli(dataDir, ['--json', 'job', 'status', jobId])).out) as { state: string; counts: { done: number } }
    expect(status.state).toBe('done')
    expect(peer.stats().statusChanges.length - changesBefore).toBe(status.counts.done)

    const out = join(dir, 'out.csv')
    expect((await runCli(dataDir, ['job', 'export', jobId, out])).code).toBe(0)
    const written = await readFile(out, 'utf8')
    // UTF-8's byte-order mark first, for a spreadsheet; --no-bom for a script, and none on stdout.
    expect(written.startsWith('\uFEFF')).toBe(true)
    const exported = written.slice(1).trim().split('\r\n')
    expect(exported[0]).toBe('line,iccid,state,statusBefore,statusAfter,ratePlanBefore,ratePlanAfter,smsMsgId,findings,error,at')
    expect(exported).toHaveLength(22)
    expect((await runCli(dataDir, ['job', 'export', jobId, out, '--no-bom'])).code).toBe(0)
    expect(await readFile(out, 'utf8')).toBe(written.slice(1))
    const piped = await runCli(dataDir, ['job', 'export', jobId, '-'])
    expect(piped.out.startsWith('line,iccid,')).toBe(true)

    const undo = await runCli(dataDir, ['job', 'undo', jobId, '--run'])
    expect(undo.code, undo.err).toBe(0)
    expect(peer.stats().statusChanges.length - changesBefore).toBe(2 * status.counts.done)
  }, 240_000)

  it('run exits 1 and says why when the job paused because the carrier could not be reached; resume then finishes it', async () => {
    const file = join(dir, 'unreachable.csv')
    await writeFile(file, ['iccid', ...peer.iccids.slice(25, 30)].join('\n'))
    const created = await runCli(dataDir, ['job', 'create', '--op', 'rate-plan', '--from-csv', file, '--rate-plan', peer.ratePlans[1]!])
    expect(created.code, created.err).toBe(0)
    const jobId = /job (j[0-9a-z]+) created: 5 rows/.exec(created.out)![1]!
    expect((await runCli(dataDir, ['job', 'preflight', jobId])).code).toBe(0)
    peer.faults.set({ kind: 'drop', path: /^\/rws\/api\/v1\/devices\/\d+$/ })
    try {
      const ran = await runCli(dataDir, ['job', 'run', jobId])
      expect(ran.code, ran.err).toBe(1)
      expect(ran.out).toContain(`job ${jobId} paused`)
      expect(ran.err).toContain(`job ${jobId} paused: the carrier could not be reached`)
      expect(ran.err).toContain(`fieldline job resume ${jobId}`)
    } finally {
      peer.faults.clear()
    }
    const resumed = await runCli(dataDir, ['job', 'resume', jobId])
    expect(resumed.code, resumed.err).toBe(0)
    expect(JSON.parse((await runCli(dataDir, ['--json', 'job', 'status', jobId])).out)).toMatchObject({ state: 'done', counts: { pending: 0, failed: 0 }, job: { unreachable: null } })
  }, 180_000)

  it('run says the job waits on its carrier when no row has finished for 15 s, then goes on', async () => {
    const file = join(dir, 'slow.csv')
    await writeFile(file, ['iccid', ...peer.iccids.slice(30, 32)].join('\n'))
    const created = await runCli(dataDir, ['job', 'create', '--op', 'rate-plan', '--from-csv', file, '--rate-plan', peer.ratePlans[1]!])
    expect(created.code, created.err).toBe(0)
    const jobId = /job (j[0-9a-z]+) created: 2 rows/.exec(created.out)![1]!
    expect((await runCli(dataDir, ['job', 'preflight', jobId])).code).toBe(0)
    // One change answered after 17 s: slow, not gone (under the client's timeout).
    peer.faults.set({ kind: 'latency', ms: 17_000, times: 1, path: /^\/rws\/api\/v1\/devices\/\d+$/ })
    try {
      const ran = await runCli(dataDir, ['job', 'run', jobId])
      expect(ran.code, ran.err).toBe(0)
      expect(ran.err).toContain(`${jobId} waiting: no row has finished for 15 s; the carrier is slow to answer`)
      expect(ran.out).toContain(`job ${jobId} done`)
    } finally {
      peer.faults.clear()
    }
  }, 120_000)

  it('refresh: reads every SIM of the CSV again and changes none', async () => {
    const file = join(dir, 'refresh.csv')
    await writeFile(file, ['iccid', ...peer.iccids.slice(20, 25)].join('\n'))
    const created = await runCli(dataDir, ['job', 'create', '--op', 'refresh', '--from-csv', file])
    expect(created.code, created.err).toBe(0)
    const jobId = /job (j[0-9a-z]+) created: 5 rows/.exec(created.out)![1]!
    expect((await runCli(dataDir, ['job', 'preflight', jobId])).code).toBe(0)
    const changesBefore = peer.stats().statusChanges.length
    const ran = await runCli(dataDir, ['job', 'run', jobId])
    expect(ran.code, ran.err).toBe(0)
    expect(JSON.parse((await runCli(dataDir, ['--json', 'job', 'status', jobId])).out)).toMatchObject({ state: 'done', counts: { done: 5 } })
    expect(peer.stats().statusChanges.length).toBe(changesBefore)
  }, 180_000)

  it('orange-status: a CSV of Orange serial numbers, each changed by one Orange status ticket; refused without a CSV', async () => {
    expect(await runCli(dataDir, ['job', 'create', '--op', 'orange-status', '--query', 'x', '--status', 'sleeping'])).toMatchObject({ code: 2, err: expect.stringContaining('--from-csv') })
    const file = join(dir, 'orange.csv')
    // The peer's first lines: ACTIVATED, SUSPENDED, PRE_ACTIVATED (which cannot sleep).
    await writeFile(file, ['serial', ...orange.serials.slice(0, 3)].join('\n'))
    const created = await runCli(dataDir, ['job', 'create', '--op', 'orange-status', '--from-csv', file, '--status', 'sleeping'])
    expect(created.code, created.err).toBe(0)
    const jobId = /job (j[0-9a-z]+) created: 3 rows/.exec(created.out)![1]!
    const checked = await runCli(dataDir, ['job', 'preflight', jobId])
    expect(checked.code, checked.err).toBe(0)
    expect(checked.out).toMatch(/preActivated → sleeping\tskipped\ttransition PRE_ACTIVATED → SLEEPING/)
    const ran = await runCli(dataDir, ['job', 'run', jobId])
    expect(ran.code, ran.err).toBe(0)
    expect(JSON.parse((await runCli(dataDir, ['--json', 'job', 'status', jobId])).out)).toMatchObject({ state: 'done', counts: { done: 2, skipped: 1 } })
    const changes = orange.stats().statusChanges.map((c) => [c.serialNumber, c.to])
    expect(changes).toHaveLength(2)
    expect(changes).toEqual(
      expect.arrayContaining([
        [orange.serials[0], 'SLEEPING'],
        [orange.serials[1], 'SLEEPING'],
      ]),
    )
  }, 180_000)

  it("says a change Ctrl-C abandoned on the wire is interrupted, as the app does, and a cancelled job's rows not sent", async () => {
    const file = join(dir, 'hung.csv')
    await writeFile(file, ['iccid', ...peer.iccids.slice(20, 25)].join('\n'))
    const created = await runCli(dataDir, ['job', 'create', '--op', 'status', '--from-csv', file, '--status', 'deactivated'])
    expect(created.code, created.err).toBe(0)
    const jobId = /job (j[0-9a-z]+) created: 5 rows/.exec(created.out)![1]!
    expect((await runCli(dataDir, ['job', 'preflight', jobId, '--refresh'])).code).toBe(0)
    const { pending, skipped } = (JSON.parse((await runCli(dataDir, ['--json', 'job', 'status', jobId])).out) as { counts: { pending: number; skipped: number } }).counts
    expect(pending).toBeGreaterThan(1)
    await whileFirstChangeHeld(jobId, async (run) => {
      run.child.kill('SIGINT')
      expect(await run.exit, run.stderr()).toBe(0)
      const interrupted = `job ${jobId} paused: total 5, pending ${pending - 1}, interrupted 1 (checked with the carrier when the job resumes), done 0, failed 0, unknown 0, skipped ${skipped}`
      expect(run.stdout()).toContain(interrupted)
      expect((await runCli(dataDir, ['job', 'status', jobId])).out).toContain(interrupted)
      // A script reading --json still gets the row's own state.
      expect(JSON.parse((await runCli(dataDir, ['--json', 'job', 'status', jobId])).out)).toMatchObject({ state: 'paused', counts: { sending: 1 } })
      // The export says it as the app does too.
      expect(await exportedStates(jobId)).toEqual({ interrupted: 1, pending: pending - 1, ...(skipped > 0 ? { skipped } : {}) })
    })
    const cancelled = await runCli(dataDir, ['job', 'cancel', jobId])
    expect(cancelled.code, cancelled.err).toBe(0)
    expect(cancelled.out).toContain(`job ${jobId} cancelled: total 5, not sent ${pending - 1}, done 0, failed 0, unknown 1, skipped ${skipped}`)
    expect(await exportedStates(jobId)).toEqual({ notSent: pending - 1, unknown: 1, ...(skipped > 0 ? { skipped } : {}) })

    // The change of unknown outcome was applied: the undo reads it from the carrier and sets it back.
    const undo = await runCli(dataDir, ['job', 'undo', jobId])
    expect(undo.code, undo.err).toBe(0)
    expect(undo.out).toContain('1 of the rows undone had a change of unknown outcome: each SIM was read from the carrier, and one the change never reached is skipped (noChange)')
    expect(undo.out).toMatch(/job j[0-9a-z]+: total 1, pending 1, /)
  }, 180_000)

  it('status says a job a killed process left running is run by nothing now; run continues it; export refuses a bad file in words', async () => {
    const file = join(dir, 'killed.csv')
    await writeFile(file, ['iccid', ...peer.iccids.slice(25, 30)].join('\n'))
    const created = await runCli(dataDir, ['job', 'create', '--op', 'status', '--from-csv', file, '--status', 'deactivated'])
    const jobId = /job (j[0-9a-z]+) created: 5 rows/.exec(created.out)![1]!
    expect((await runCli(dataDir, ['job', 'preflight', jobId, '--refresh'])).code).toBe(0)
    // Killed while the carrier sits on its answer to the first change.
    await whileFirstChangeHeld(jobId, async (run) => {
      run.child.kill('SIGKILL')
      await run.exit
    })
    // Cold trial: `status` said "running …, about 17 s to go" while nothing ran it.
    const left = await runCli(dataDir, ['job', 'status', jobId])
    expect(left).toMatchObject({ code: 0, out: expect.stringMatching(new RegExp(`^job ${jobId} running: total 5, `)) })
    expect(left.out).not.toContain('to go')
    expect(left.err).toBe(`fieldline: job ${jobId} was left running by a process that stopped: nothing runs it now; \`fieldline job run ${jobId}\` continues it\n`)
    const ran = await runCli(dataDir, ['job', 'run', jobId])
    expect(ran.code, ran.err).toBe(0)
    expect(JSON.parse((await runCli(dataDir, ['--json', 'job', 'status', jobId])).out)).toMatchObject({ state: 'done' })

    // Cold trial: a missing folder said "ENOENT: no such file or directory, open …" and a folder "EISDIR: …", exit 1.
    const missing = join(dir, 'no-such-folder', 'out.csv')
    expect(await runCli(dataDir, ['job', 'export', jobId, missing])).toEqual({ code: 2, out: '', err: `fieldline: cannot write ${missing}: its folder does not exist\n` })
    expect(await runCli(dataDir, ['job', 'export', jobId, dir])).toEqual({ code: 2, out: '', err: `fieldline: cannot write ${dir}: it is a folder\n` })
  }, 180_000)

  /**
   * `job run` of `jobId` while the carrier applies the job's first change and sits on its answer for 3 s: `during` gets
   * the process once that change has reached the carrier, to stop it with the change's outcome not yet known.
   */
  async function whileFirstChangeHeld(jobId: string, during: (run: ReturnType<typeof startCli>) => Promise<void>): Promise<void> {
    const puts = () => peer.stats().byRoute['PUT /devices/{iccid}'] ?? 0
    const putsBefore = puts()
    peer.faults.set({ kind: 'latency', ms: 3000, times: 1, afterRequest: true, path: /^\/rws\/api\/v1\/devices\/\d+$/ })
    try {
      const run = startCli(['--data-dir', dataDir, 'job', 'run', jobId], {}, () => true)
      await expect.poll(puts, { timeout: 60_000, interval: 20 }).toBe(putsBefore + 1)
      await during(run)
    } finally {
      peer.faults.clear()
    }
  }

  /** The rows of a job's export by their `state` cell. */
  async function exportedStates(jobId: string): Promise<Record<string, number>> {
    const exported = await runCli(dataDir, ['job', 'export', jobId, '-'])
    expect(exported.code, exported.err).toBe(0)
    const [header, ...lines] = exported.out
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
    const column = header!.split(',').indexOf('state')
    const counts: Record<string, number> = {}
    for (const line of lines) {
      const state = line.split(',')[column]!
      counts[state] = (counts[state] ?? 0) + 1
    }
    return counts
  }
})
