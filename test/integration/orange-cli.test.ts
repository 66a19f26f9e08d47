import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startOrangePeer, type OrangePeer } from '../peers/orange/orange.peer'
import { tempDir, testCore } from '../helpers/core'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))
const PASSWORD = 'orange-cli-password-7Qe'
const TIMING = { waitingMs: 300, workMs: 300 }

/** The peer's clock: real time, unless a test holds it to keep a ticket where it is. */
let held: number | null = null
let skew = 0
const clock = () => new Date(held ?? Date.now() + skew)

describe('fieldline orange against the Orange peer', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let peer: OrangePeer
  const serial = (i: number) => peer.serials[i]!
  const env = () => ({ FIELDLINE_ORANGE_URL: peer.url, FIELDLINE_ORANGE_USERNAME: 'ak-test', FIELDLINE_ORANGE_PASSWORD: PASSWORD })

  const start = (args: string[], extra: Record<string, string> = {}, dataDir = join(dir, 'data')): ChildProcess =>
    spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', dataDir, ...args], {
      env: { ...process.env, FIELDLINE_ORANGE_URL: '', FIELDLINE_ORANGE_USERNAME: '', FIELDLINE_ORANGE_PASSWORD: '', ...extra },
    })
  // Asynchronous: the peer runs in this process and must keep answering while the CLI runs.
  const run = (args: string[], extra: Record<string, string> = env(), dataDir?: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = start(args, extra, dataDir)
      let out = ''
      let err = ''
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
      child.on('close', (code) => resolve({ code, out, err }))
    })

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    peer = await startOrangePeer({ lines: 10, now: clock, ticketTiming: TIMING, users: [{ username: 'ak-test', password: PASSWORD }] })
  })
  afterAll(async () => {
    await peer.close()
    await cleanup()
  })

  it('says what is missing without credentials, and refuses bad arguments with exit 2 before calling Orange', async () => {
    const before = peer.stats().requests
    const none = await run(['orange', 'show', '1668007370011'], {})
    expect(none).toMatchObject({ code: 2, err: expect.stringContaining('FIELDLINE_ORANGE_URL, FIELDLINE_ORANGE_USERNAME, FIELDLINE_ORANGE_PASSWORD') })
    expect(await run(['orange', 'show', '12345'])).toMatchObject({ code: 2, err: expect.stringContaining('Not an Orange SIM serial number (13 digits): 12345') })
    expect(await run(['orange', 'status', serial(0), 'CANCELLED'])).toMatchObject({ code: 2, err: expect.stringContaining('STATE must be one of ACTIVATED, ACTIVATED_FOR_TEST, SLEEPING, SUSPENDED') })
    expect((await run(['orange', 'status', serial(0), 'SUSPENDED', '--test-mode', 'EUROPE'])).code).toBe(2)
    expect((await run(['orange', 'search', '--status', 'ASLEEP'])).code).toBe(2)
    expect((await run(['orange', 'ticket', 'abc'])).code).toBe(2)
    expect(peer.stats().requests).toBe(before)
  })

  it('shows a SIM (text and --json), and an unknown serial number exits 1 with Orange saying so', async () => {
    const shown = await run(['orange', 'show', serial(0)])
    expect(shown.code).toBe(0)
    expect(shown.out).toContain(`orange.serialNumber: ${serial(0)}`)
    expect(shown.out).toContain('statusRaw: ACTIVATED')
    expect(shown.out).toMatch(/orange\.position\.accuracy\.unit: m/)
    const json = await run(['--json', 'orange', 'show', serial(1)])
    expect(JSON.parse(json.out)).toMatchObject({ carrier: 'orange', status: 'suspended', orange: { serialNumber: serial(1), suspensionReason: 'Customer request' } })
    expect(await run(['orange', 'show', '1600000000006'])).toMatchObject({ code: 1, err: expect.stringContaining('Orange does not know the SIM serial number 1600000000006') })
  })

  it('changes a status and waits for its ticket to TERMINATED; a refused change exits 2 and sends nothing', async () => {
    const changed = await run(['orange', 'status', serial(3), 'activated'])
    expect(changed.code).toBe(0)
    expect(changed.err).toContain(`${serial(3)} SLEEPING → ACTIVATED`)
    expect(changed.out).toMatch(/^ticket \d+ \(status → ACTIVATED\) TERMINATED/)
    expect(peer.line(serial(3)).status).toBe('ACTIVATED')

    const submissions = peer.stats().submissions.status
    expect(await run(['orange', 'status', serial(5), 'ACTIVATED'])).toMatchObject({ code: 2, err: expect.stringContaining('is cancelled; its status cannot change') })
    expect(peer.stats().submissions.status).toBe(submissions)
  })

  it('exits 1 with the line error when Orange refuses the transition in the ticket', async () => {
    const refused = await run(['orange', 'status', serial(0), 'ACTIVATED_FOR_TEST', '--test-mode', 'europe'])
    expect(refused.code).toBe(1)
    expect(refused.out).toContain('ERROR')
    expect(refused.out).toContain('TRANSITION_NOT_ALLOWED')
  })

  it('returns at once with --no-wait, and `orange ticket` shows it later (polled at Orange)', async () => {
    peer.setStatus(serial(6), 'ACTIVATED')
    const submitted = await run(['--json', 'orange', 'status', serial(6), 'SUSPENDED', '--no-wait'])
    expect(submitted.code).toBe(0)
    const ticket = JSON.parse(submitted.out) as { ticketNumber: number; state: string }
    expect(ticket.state).toBe('WAITING')
    await vi.waitFor(async () => expect((await run(['orange', 'ticket', String(ticket.ticketNumber)])).out).toContain('TERMINATED'), { timeout: 20_000, interval: 200 })
    expect(await run(['orange', 'ticket', '4242'])).toMatchObject({ code: 1, err: expect.stringContaining('Orange does not know ticket 4242') })
  })

  it('searches by status and by date of the last change', async () => {
    const suspended = await run(['orange', 'search', '--status', 'SUSPENDED'])
    expect(suspended.code).toBe(0)
    const rows = suspended.out.trim().split('\n')
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.every((r) => r.split('\t')[1] === 'SUSPENDED')).toBe(true)
    expect(suspended.err).toContain(`${rows.length} SIMs`)
    const recent = await run(['orange', 'search', '--changed-since', new Date(Date.now() - 3_600_000).toISOString()])
    expect(recent.out).toContain(serial(3))
    expect(await run(['orange', 'search', '--changed-since', 'yesterday'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--changed-since must be an ISO 8601 date and time with a time zone'),
    })
  })

  it('asks for the location status and prints it', async () => {
    const located = await run(['orange', 'locate', serial(0)])
    expect(located.code).toBe(0)
    expect(located.out).toContain('location.connectivity: true')
    expect(located.out).toMatch(/location\.cell\.mcc: 208/)
    expect(located.out).toMatch(/location\.position\.accuracy\.value: \d+/)
  })

  it('says why a ticket is still open after --timeout when Orange stopped answering mid-ticket', async () => {
    const t = await tempDir()
    const gone = await startOrangePeer({ lines: 4, ticketTiming: { waitingMs: 600_000, workMs: 600_000 }, users: [{ username: 'ak-test', password: PASSWORD }] })
    let closed = false
    try {
      const child = start(['orange', 'status', gone.serials[0]!, 'SUSPENDED', '--timeout', '8'], { ...env(), FIELDLINE_ORANGE_URL: gone.url }, join(t.dir, 'data'))
      let err = ''
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
      await vi.waitFor(() => expect(err).toMatch(/submitted ticket \d+/), { timeout: 30_000, interval: 50 })
      await gone.close()
      closed = true
      expect(await exited).toBe(1)
      expect(err).toMatch(/ticket \d+ is still WAITING after 8 s; last poll failed: Cannot reach Orange M2M at 127\.0\.0\.1:\d+: .*; the workspace keeps following it/)
    } finally {
      if (!closed) await gone.close()
      await t.cleanup()
    }
  })

  it('finishes a ticket after the CLI following it is killed with SIGKILL mid-poll, when the workspace is opened again', async () => {
    const t = await tempDir()
    try {
      const dataDir = join(t.dir, 'data')
      peer.setStatus(serial(8), 'ACTIVATED')
      // Hold the peer's clock: the ticket stays WAITING while the CLI polls it.
      held = Date.now() + skew
      const pollsBefore = peer.stats().byOperation.getUpdateSimStatusResult ?? 0
      const child = start(['orange', 'status', serial(8), 'SLEEPING'], env(), dataDir)
      let err = ''
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
      await vi.waitFor(() => expect(err).toMatch(/submitted ticket \d+/), { timeout: 30_000, interval: 50 })
      await vi.waitFor(() => expect(peer.stats().byOperation.getUpdateSimStatusResult ?? 0).toBeGreaterThan(pollsBefore), { timeout: 30_000, interval: 50 })
      child.kill('SIGKILL')
      expect(await exited).toBe('SIGKILL')
      const ticketNumber = Number(/submitted ticket (\d+)/.exec(err)![1])
      expect(peer.line(serial(8)).status).not.toBe('SLEEPING')

      // Run again while Orange still works on it: refused, naming the ticket the workspace follows (cold trial).
      const submissions = peer.stats().submissions.status
      const again = await run(['orange', 'status', serial(8), 'SLEEPING'], env(), dataDir)
      expect(again).toMatchObject({ code: 1, err: expect.stringContaining(`to SLEEPING is still pending at Orange in ticket ${ticketNumber}, which this workspace follows`) })
      expect(peer.stats().submissions.status).toBe(submissions)

      // Orange moves on; the workspace is opened again with the same account and follows the ticket to its end.
      skew += TIMING.waitingMs + TIMING.workMs + 1000
      held = null
      const core = await testCore(dataDir, { orangeEnvironment: { baseUrl: peer.url, username: 'ak-test', password: PASSWORD }, orangePolling: { minMs: 40, maxMs: 150 } })
      try {
        await vi.waitFor(
          async () => {
            const [ticket] = (await core.workspace.db.allDocs({ include_docs: true, startkey: 'ticket:', endkey: 'ticket:\ufff0' })).rows.map(
              (r) => r.doc as unknown as { ticketNumber: number; final: boolean; state: string },
            )
            expect(ticket).toMatchObject({ ticketNumber, final: true, state: 'TERMINATED' })
          },
          { timeout: 10_000, interval: 30 },
        )
        expect(peer.line(serial(8)).status).toBe('SLEEPING')
        const trail = (await core.call('audit:list', { query: 'orange.changeStatus' })).items
        expect(trail.map((e) => e.action)).toEqual(['orange.changeStatus', 'orange.changeStatus.submitted'])
        expect(trail[0]).toMatchObject({ outcome: 'ok', before: { status: 'ACTIVATED' }, after: { status: 'SLEEPING' }, actor: expect.stringMatching(/^cli:/) })
      } finally {
        await core.close()
      }
    } finally {
      held = null
      await t.cleanup()
    }
  })
})
