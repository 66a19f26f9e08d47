import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Job, JobRow } from '../../src-shared/models/sim-jobs'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { luhnValid } from '../peers/control-center/wire-format'
import { rejection, tempDir, testCore } from '../helpers/core'
import { controlCenterStatusValue } from '../../src-main/core/carriers/sim-model'
import { countRows, readJob, readRows, writeDocs } from '../../src-main/core/jobs/jobs.store'

type TestCore = Awaited<ReturnType<typeof testCore>>

const START = Date.now()
const clock = () => new Date(Date.parse('2025-03-14T10:00:00.000Z') + (Date.now() - START))
const SECRET = 'jobs-test-api-key-Q7'

/** A Luhn-valid ICCID the peer does not have. */
const UNKNOWN_ICCID = '89882167169700049759'

describe('bulk SIM jobs against the Control Center peer', () => {
  let peer: ControlCenterPeer
  let core: TestCore
  let cleanup: () => Promise<void>
  let account: string

  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 80, smsDeliveryMs: 20, now: clock, users: [{ username: 'ops', apiKey: SECRET, password: 'pw', role: 'AccountAdmin' }] })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { now: clock })
    const ops = await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: peer.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: SECRET } })
    account = `jasper:${ops.id}`
  })
  afterAll(async () => {
    await core.close()
    await peer.close()
    await cleanup()
  })

  const allRows = async (jobId: string): Promise<JobRow[]> => (await core.call('jobs:rows', { jobId, limit: 1000 })).items
  const settle = async (jobId: string): Promise<Job> => {
    await expect.poll(async () => (await core.call('jobs:status', { jobId })).state, { timeout: 60_000, interval: 50 }).not.toBe('running')
    return (await core.call('jobs:status', { jobId })).job
  }
  const luhnOf = (row: JobRow): boolean => row.issues.some((i) => i.code === 'luhn')
  const changesOf = (iccid: string) => peer.stats().statusChanges.filter((c) => c.iccid === iccid)

  it('pre-flight names every awkward row, sends nothing, and estimates the run at the account rate', async () => {
    const [a, b, c] = peer.iccids as [string, string, string]
    // One the issuer ended with a filler, not its Luhn digit (a few of the peer's, as in a real fleet).
    const filler = peer.iccids.slice(3).find((i) => !luhnValid(i))!
    const spaced = `${filler.slice(0, 4)} ${filler.slice(4, 10)} ${filler.slice(10)}`
    const csv = [
      'ICCID,Status',
      `${a},`,
      `${b},ACTIVATED`,
      `${a},`, // duplicate of line 2
      '8.98822E+18,', // a spreadsheet's float
      '12345,', // too short
      '8988ABC716970004975,', // not digits
      ',', // empty
      `${UNKNOWN_ICCID},`, // not at the carrier
      `${c},BOGUS`, // a status Control Center has no
      `${spaced},`, // digit groups as people type them
      '=1+2,', // a formula, refused and exported defused
    ].join('\n')
    const requestsBefore = peer.stats().byRoute['PUT /devices/{iccid}'] ?? 0
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: csv }, params: { status: 'deactivated' } })
    expect(job).toMatchObject({ state: 'draft', operation: 'status', carrier: 'jasper', counts: { total: 11 } })
    const checked = await core.call('jobs:preflight', { jobId: job.id })
    expect(checked.state).toBe('ready')
    const rows = await allRows(job.id)
    const codes = (line: number) => rows.find((r) => r.source === `line ${line}`)!.issues.map((i) => i.code)
    expect(codes(4)).toContain('duplicate')
    expect(codes(5)).toEqual(['mangled'])
    expect(codes(6)).toEqual(['length'])
    expect(codes(7)).toEqual(['notDigits'])
    expect(codes(8)).toEqual(['empty'])
    expect(codes(9)).toEqual(['notFound'])
    expect(codes(10)).toEqual(expect.arrayContaining(['badParam']))
    expect(codes(12)).toEqual(['notDigits'])
    // The space-separated ICCID is read as its digits, and checked at the carrier like any other.
    expect(rows.find((r) => r.source === 'line 11')!.before).not.toBeNull()
    // Luhn is a warning only: some issuers' ICCIDs carry another last digit, and the SIM is real.
    expect(rows.find((r) => r.source === 'line 11')!.issues).toEqual([{ code: 'luhn', severity: 'warning' }])
    for (const r of rows.filter((x) => x.issues.some((i) => i.code === 'luhn'))) expect(r.issues.find((i) => i.code === 'luhn')!.severity).toBe('warning')
    // The current status decides: a Retired SIM is refused, one already Deactivated is skipped, the rest is pending.
    for (const r of rows.filter((x) => x.before)) {
      const wanted = r.source === 'line 3' ? 'activated' : 'deactivated'
      if (r.before!.status === 'retired') expect(r.issues.map((i) => i.code)).toContain('transition')
      else if (r.before!.status === wanted) expect(r.state).toBe('skipped')
      else expect(r.state).toBe('pending')
    }
    expect(checked.estimateSeconds).toBeCloseTo(checked.counts.pending / 50)
    expect(peer.stats().byRoute['PUT /devices/{iccid}'] ?? 0).toBe(requestsBefore)

    await core.call('jobs:run', { jobId: job.id })
    const done = await settle(job.id)
    expect(done.state).toBe('done')
    const after = await allRows(job.id)
    for (const r of after.filter((x) => x.state === 'done')) expect(changesOf(r.id.replace(/\s/g, ''))).toHaveLength(1)
    expect(after.filter((r) => r.state === 'done')).toHaveLength(checked.counts.pending)

    const csvOut = (await core.call('jobs:export', { jobId: job.id })).text
    const lines = csvOut.trim().split('\r\n')
    expect(lines[0]).toBe('line,iccid,state,statusBefore,statusAfter,ratePlanBefore,ratePlanAfter,smsMsgId,findings,error,at')
    expect(lines).toHaveLength(12)
    expect(lines.find((l) => l.startsWith('line 12,'))).toContain(",'=1+2,")
  })

  it('audits each change with before → after, and undo sets back exactly the rows that changed', async () => {
    const targets = peer.iccids.slice(20, 40)
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: ['iccid', ...targets].join('\n') }, params: { status: 'activated' } })
    await core.call('jobs:preflight', { jobId: job.id, refresh: true })
    await core.call('jobs:run', { jobId: job.id })
    await settle(job.id)
    const rows = await allRows(job.id)
    const changed = rows.filter((r) => r.state === 'done')
    expect(changed.length).toBeGreaterThan(0)
    const trail = (await core.call('audit:list', { query: job.id, limit: 500 })).items.filter((e) => e.action === 'sim.changeStatus')
    expect(trail).toHaveLength(changed.length)
    for (const r of changed) expect(trail.find((e) => e.target.includes(r.id))).toMatchObject({ outcome: 'ok', before: { status: r.before!.status }, after: { status: 'activated' } })

    // The undo job is checked before it is answered: its progress names the job it sets back, whose page is waiting.
    const undoReads: { undoOf: string | null; read: number; total: number }[] = []
    const off = core.bus.subscribe((event, payload) => {
      if (event === 'jobs:preflightProgress') undoReads.push(payload as (typeof undoReads)[number] & { jobId: string })
    })
    const undo = await core.call('jobs:undo', { jobId: job.id }).finally(off)
    expect(undo).toMatchObject({ undoOf: job.id, state: 'ready', counts: { total: changed.length }, orangeRows: 0 })
    expect(undoReads.at(-1)).toMatchObject({ jobId: undo.id, undoOf: job.id, read: changed.length, total: changed.length })
    await core.call('jobs:run', { jobId: undo.id })
    expect(await settle(undo.id)).toMatchObject({ state: 'done', counts: { done: changed.length } })
    for (const r of changed) {
      const history = changesOf(r.id)
      expect(history.map((h) => h.status).at(-1)).toBe(controlCenterStatusValue(r.before!.status!))
    }
    expect(await core.dispatcher.invoke('jobs:undo', { jobId: 'jnothere1' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'jobs.notFound' } } } })
  })

  it('rides out 429 and 503 under the governor: every row done once', async () => {
    const targets = peer.iccids.slice(40, 60)
    const job = await core.call('jobs:create', { operation: 'ratePlan', source: { kind: 'csv', text: ['iccid', ...targets].join('\n') }, params: { ratePlan: peer.ratePlans[1]! } })
    const checked = await core.call('jobs:preflight', { jobId: job.id })
    peer.faults.set({ kind: 'status', status: 429, times: 4, method: 'PUT' })
    peer.faults.set({ kind: 'status', status: 503, times: 3, method: 'PUT' })
    try {
      await core.call('jobs:run', { jobId: job.id })
      expect(await settle(job.id)).toMatchObject({ state: 'done', counts: { done: checked.counts.pending, failed: 0 } })
    } finally {
      peer.faults.clear()
    }
  })

  it('checks SMS rows (inactive SIMs, length by encoding), and never sends one of unknown outcome again unless asked', async () => {
    const rows = await allRows((await core.call('jobs:list', {})).items.at(-1)!.id)
    const inactive = rows.find((r) => r.before?.status === 'retired' || r.before?.status === 'deactivated')
    const targets = peer.iccids.slice(60, 70)
    const csv = ['iccid,text', ...targets.map((i) => `${i},`), `${targets[0]},${'ж'.repeat(71)}`, ...(inactive ? [`${inactive.id},`] : [])].join('\n')
    const job = await core.call('jobs:create', { operation: 'sms', source: { kind: 'csv', text: csv }, params: { text: 'wake up' } })
    await core.call('jobs:preflight', { jobId: job.id, refresh: true })
    const checked = await allRows(job.id)
    expect(checked.find((r) => r.issues.some((i) => i.code === 'smsTooLong'))).toMatchObject({ after: { dataCoding: 8, smsLength: 71 } })
    if (inactive) expect(checked.at(-1)!.issues.map((i) => i.code)).toContain('smsInactive')
    const pending = checked.filter((r) => r.state === 'pending')
    expect(pending.length).toBeGreaterThan(0)
    for (const r of pending) expect(r.after).toMatchObject({ dataCoding: 0, smsLength: 7 })

    const sentBefore = peer.stats().smsSent
    peer.faults.set({ kind: 'drop', afterRequest: true, times: 1, path: /smsMessages/ })
    await core.call('jobs:run', { jobId: job.id })
    const first = await settle(job.id)
    expect(first.counts).toMatchObject({ unknown: 1, done: pending.length - 1 })
    // The trail says the outcome is unknown and why, as a translatable error (Activity shows it in words).
    const unknownEntries = (await core.call('audit:list', { query: 'sim.sendSms', limit: 500 })).items.filter((e) => e.outcome === 'unknown')
    expect(unknownEntries).toHaveLength(1)
    expect(unknownEntries[0]!.error?.code).toBe('UNKNOWN_OUTCOME')
    expect(peer.stats().smsSent - sentBefore).toBe(pending.length)

    // Running it again sends nothing: the unknown row waits for the operator's explicit choice.
    await core.call('jobs:run', { jobId: job.id })
    expect((await settle(job.id)).counts.unknown).toBe(1)
    expect(peer.stats().smsSent - sentBefore).toBe(pending.length)
    await core.call('jobs:run', { jobId: job.id, resendUnknown: true })
    expect((await settle(job.id)).counts).toMatchObject({ unknown: 0, done: pending.length })
    expect(peer.stats().smsSent - sentBefore).toBe(pending.length + 1)
    expect(await core.dispatcher.invoke('jobs:undo', { jobId: job.id })).toMatchObject({ ok: false, error: { details: { ref: { key: 'jobs.smsUndo' } } } })
  })

  it("takes its targets from a device query: each device's SIM, an Orange one refused by pre-flight when no Orange account is set up", async () => {
    for (const [deviceId, config] of [
      ['q-1', { jasper: { iccid: peer.iccids[10] } }],
      ['q-2', { jasper: { iccid: peer.iccids[11] } }],
      ['q-3', { orange: { serialnumber: '1668007370011' } }],
    ] as const) {
      await core.call('devices:add', { typeId: 'pump', deviceId })
      await core.call('devices:saveConfig', { typeId: 'pump', deviceId, text: JSON.stringify(config) })
    }
    await core.call('devices:add', { typeId: 'pump', deviceId: 'q-4' })
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'query', query: { text: '', filters: { typeId: ['pump'] } } }, params: { status: 'activated' } })
    expect(job.counts.total).toBe(3)
    await core.call('jobs:preflight', { jobId: job.id })
    const rows = await allRows(job.id)
    expect(rows.map((r) => [r.source, r.id])).toEqual([
      ['pump/q-1', peer.iccids[10]],
      ['pump/q-2', peer.iccids[11]],
      ['pump/q-3', '1668007370011'],
    ])
    expect(rows[2]!.issues.map((i) => i.code)).toEqual(['noAccount'])
    expect(rows[2]!.state).toBe('skipped')

    // The device list's "all matching except these" selection.
    const except = await core.call('jobs:create', {
      operation: 'status',
      source: { kind: 'query', query: { text: '', filters: { typeId: ['pump'] } }, except: [{ typeId: 'pump', deviceId: 'q-2' }] },
      params: { status: 'activated' },
    })
    expect((await allRows(except.id)).map((r) => r.source)).toEqual(['pump/q-1', 'pump/q-3'])
  })

  it('takes its targets from a SIM inventory query except the SIMs taken out of it; an Orange SIM without an Orange account is refused by pre-flight', async () => {
    await core.call('devices:add', { typeId: 'tank', deviceId: 's-1' })
    await core.call('devices:saveConfig', { typeId: 'tank', deviceId: 's-1', text: JSON.stringify({ orange: { serialnumber: '1668007370099' } }) })
    await core.call('sims:sync', { account, full: true })
    const query = { filters: {}, sort: 'simId' as const, descending: false }
    const inventory = (await core.call('sims:query', { query, limit: 1000 })).items
    const jasperSims = inventory.filter((s) => s.carrier === 'jasper')
    expect(jasperSims.length).toBe(peer.iccids.length)
    const except = jasperSims.slice(0, 2).map((s) => ({ carrier: s.carrier, simId: s.simId }))

    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'sims', query, except }, params: { status: 'activated' } })
    expect(job.counts.total).toBe(inventory.length - 2)
    await core.call('jobs:preflight', { jobId: job.id })
    const rows = await allRows(job.id)
    const ids = rows.map((r) => r.id)
    for (const k of except) expect(ids).not.toContain(k.simId)
    expect(ids).toEqual(expect.arrayContaining(jasperSims.slice(2).map((s) => s.iccid)))
    const orangeRow = rows.find((r) => r.id === '1668007370099')!
    expect(orangeRow).toMatchObject({ source: 'tank/s-1', state: 'skipped' })
    expect(orangeRow.issues.map((i) => i.code)).toContain('noAccount')
    // Every Control Center row was read at the carrier: none is refused as not found.
    expect(rows.filter((r) => r.issues.some((i) => i.code === 'notFound'))).toEqual([])
  })

  it('refuses a SIM source with a bad query or too many exceptions, and writes no job', async () => {
    const before = (await core.call('jobs:list', {})).items.length
    const bad = await core.dispatcher.invoke('jobs:create', { operation: 'status', source: { kind: 'sims', query: { filters: { status: ['nope'] } } }, params: { status: 'activated' } } as never)
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    const except = Array.from({ length: 10_001 }, (_, i) => ({ carrier: 'jasper', simId: String(8988216700000000000n + BigInt(i)) }))
    const many = await core.dispatcher.invoke('jobs:create', { operation: 'status', source: { kind: 'sims', query: {}, except }, params: { status: 'activated' } } as never)
    expect(many).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    const nothing = await core.dispatcher.invoke('jobs:create', { operation: 'status', source: { kind: 'sims', query: { filters: { carrier: ['atnt'] } } }, params: { status: 'activated' } })
    expect(nothing).toMatchObject({ ok: false, error: { details: { ref: { key: 'jobs.noTargets' } } } })
    expect((await core.call('jobs:list', {})).items).toHaveLength(before)
  })

  it("answers a job's status for an id of no job: a well-formed id is not found (jobs.notFound), a malformed one an invalid request", async () => {
    // The job page tells the two apart (jobs.svelte.ts): it does not ask about a malformed id, and offers the list.
    const missing = await core.dispatcher.invoke('jobs:status', { jobId: 'jnothere1' })
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'jobs.notFound', params: { id: 'jnothere1' } } } } })
    const malformed = await core.dispatcher.invoke('jobs:status', { jobId: 'not-a-job' })
    expect(malformed).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
  })

  it('refreshes data: reads each SIM again into the workspace, changes nothing at the carrier, audits no change, and cannot be undone', async () => {
    const targets = peer.iccids.slice(50, 60)
    const job = await core.call('jobs:create', { operation: 'refresh', source: { kind: 'csv', text: ['iccid', ...targets, '8.98822E+18'].join('\n') } })
    const checked = await core.call('jobs:preflight', { jobId: job.id })
    expect(checked.counts).toMatchObject({ pending: 10, skipped: 1 })
    // The carrier changes one SIM after pre-flight cached it: the refresh must bring the carrier's value.
    const flipped = (await allRows(job.id)).find((r) => r.before?.status === 'activated' || r.before?.status === 'deactivated')!
    const now = flipped.before!.status === 'activated' ? 'deactivated' : 'activated'
    const res = await fetch(`${peer.url}/rws/api/v1/devices/${flipped.id}`, {
      method: 'PUT',
      headers: { authorization: `Basic ${Buffer.from(`ops:${SECRET}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: controlCenterStatusValue(now) }),
    })
    expect(res.status).toBe(200)
    const putsBefore = peer.stats().byRoute['PUT /devices/{iccid}'] ?? 0
    const changesBefore = (await core.call('audit:list', { query: 'sim.changeStatus', limit: 500 })).total

    await core.call('jobs:run', { jobId: job.id })
    expect(await settle(job.id)).toMatchObject({ state: 'done', counts: { done: 10, skipped: 1 } })
    expect(peer.stats().byRoute['PUT /devices/{iccid}'] ?? 0).toBe(putsBefore)
    expect((await allRows(job.id)).find((r) => r.id === flipped.id)!.after).toMatchObject({ status: now })
    expect((await core.call('audit:list', { query: 'sim.changeStatus', limit: 500 })).total).toBe(changesBefore)
    // The workspace's copy is the one read: a job setting that status now finds nothing to change, without a read.
    const check = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: `iccid\n${flipped.id}` }, params: { status: now } })
    expect((await core.call('jobs:preflight', { jobId: check.id })).findings).toEqual({ ...(luhnOf(flipped) ? { luhn: 1 } : {}), noChange: 1 })
    expect(await core.dispatcher.invoke('jobs:undo', { jobId: job.id })).toMatchObject({ ok: false, error: { details: { ref: { key: 'jobs.refreshUndo' } } } })
  })

  it('keeps what the inventory knows of a SIM through a refresh, and records a status change the refresh is first to see', async () => {
    await core.call('sims:sync', { account })
    const target = peer.iccids[62]!
    const simDoc = async () => (await core.workspace.db.get(`cache:sim:jasper:${target}`)) as unknown as { sim: { status: string }; inventory?: { account: string; statusChange: unknown } }
    const listed = await simDoc()
    expect(listed.inventory?.account).toBe(account)
    const now = listed.sim.status === 'activated' ? 'deactivated' : 'activated'
    const res = await fetch(`${peer.url}/rws/api/v1/devices/${target}`, {
      method: 'PUT',
      headers: { authorization: `Basic ${Buffer.from(`ops:${SECRET}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: controlCenterStatusValue(now) }),
    })
    expect(res.status).toBe(200)
    const job = await core.call('jobs:create', { operation: 'refresh', source: { kind: 'csv', text: `iccid\n${target}` } })
    await core.call('jobs:preflight', { jobId: job.id })
    await core.call('jobs:run', { jobId: job.id })
    expect(await settle(job.id)).toMatchObject({ state: 'done' })
    expect((await simDoc()).inventory).toMatchObject({ account, statusChange: { from: listed.sim.status, to: now } })
    const rows = (await core.call('sims:query', { query: { filters: { text: target } } })).items
    expect(rows).toMatchObject([{ account, status: now }])
  })

  it("takes SIMs picked one by one as a CSV of carriers and ids (the SIMs page's picks): another Control Center carrier's SIM is refused by pre-flight, not sent", async () => {
    const [mine, theirs] = [peer.iccids[63]!, peer.iccids[64]!]
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: `carrier,sim\njasper,${mine}\natnt,${theirs}` }, params: { status: 'activated' } })
    await core.call('jobs:preflight', { jobId: job.id })
    const rows = await allRows(job.id)
    expect(rows.find((r) => r.id === mine)!.issues.map((i) => i.code)).not.toContain('otherCarrier')
    expect(rows.find((r) => r.id === theirs)).toMatchObject({ state: 'skipped', issues: expect.arrayContaining([expect.objectContaining({ code: 'otherCarrier' })]) })
  })

  it('pauses, resumes and cancels', async () => {
    // Five calls a second: windows of five rows, so a pause lands with most of the job still to send.
    const slow = await core.call('profiles:save', { extension: 'jasper', name: 'Slow', settings: { baseUrl: peer.url, username: 'ops', concurrency: 1, perSecond: 5 }, secrets: { apiKey: SECRET } })
    const targets = peer.iccids.slice(0, 80)
    const job = await core.call('jobs:create', {
      operation: 'ratePlan',
      profileId: slow.id,
      source: { kind: 'csv', text: ['iccid', ...targets].join('\n') },
      params: { ratePlan: peer.ratePlans[2]! },
    })
    const checked = await core.call('jobs:preflight', { jobId: job.id })
    expect(checked.counts.pending).toBeGreaterThan(10)
    peer.faults.set({ kind: 'latency', ms: 30, path: /^\/rws\/api\/v1\/devices\/\d+$/ })
    try {
      const putsBefore = peer.stats().byRoute['PUT /devices/{iccid}'] ?? 0
      await core.call('jobs:run', { jobId: job.id })
      await expect.poll(async () => (await core.call('jobs:status', { jobId: job.id })).counts.done, { timeout: 30_000, interval: 20 }).toBeGreaterThan(0)
      const paused = await core.call('jobs:pause', { jobId: job.id })
      expect(paused.state).toBe('paused')
      expect(paused.counts.pending).toBeGreaterThan(0)
      // Nothing was sent beyond what the journal records: one PUT per row that left pending (a call the pause
      // abandoned on the wire stays `sending`, read back on resume).
      expect((peer.stats().byRoute['PUT /devices/{iccid}'] ?? 0) - putsBefore).toBe(paused.counts.done + paused.counts.failed + paused.counts.sending)
      await core.call('jobs:resume', { jobId: job.id })
      await expect.poll(async () => (await core.call('jobs:status', { jobId: job.id })).counts.done, { timeout: 30_000, interval: 20 }).toBeGreaterThan(paused.counts.done)
      const cancelled = await core.call('jobs:cancel', { jobId: job.id })
      expect(cancelled.state).toBe('cancelled')
      expect(await core.dispatcher.invoke('jobs:run', { jobId: job.id })).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { ref: { key: 'jobs.wrongState' } } } })
    } finally {
      peer.faults.clear()
    }
    const actions = (await core.call('audit:list', { query: job.id, limit: 500 })).items.map((e) => e.action)
    for (const a of ['jobs.create', 'jobs.preflight', 'jobs.run', 'jobs.pause', 'jobs.resume', 'jobs.cancel']) expect(actions).toContain(a)
  })

  const puts = () => peer.stats().byRoute['PUT /devices/{iccid}'] ?? 0

  /**
   * A status job on `targets`, run until its first change is on the wire: the carrier applies it and sits on its
   * answer for 3 s (a hung carrier answers in 30 s timeouts, three attempts each: a pause or a cancel waited for it).
   */
  async function hungJob(name: string, targets: string[]): Promise<{ job: Job; pending: number; putsBefore: number }> {
    const hung = await core.call('profiles:save', { extension: 'jasper', name, settings: { baseUrl: peer.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: SECRET } })
    const job = await core.call('jobs:create', { operation: 'status', profileId: hung.id, source: { kind: 'csv', text: ['iccid', ...targets].join('\n') }, params: { status: 'deactivated' } })
    const { pending } = (await core.call('jobs:preflight', { jobId: job.id, refresh: true })).counts
    expect(pending).toBeGreaterThan(1)
    const putsBefore = puts()
    peer.faults.set({ kind: 'latency', ms: 3000, times: 1, afterRequest: true, path: /^\/rws\/api\/v1\/devices\/\d+$/ })
    await core.call('jobs:run', { jobId: job.id })
    await expect.poll(puts, { timeout: 10_000, interval: 10 }).toBe(putsBefore + 1)
    return { job, pending, putsBefore }
  }

  it('pauses at once on a carrier that hangs: the change on the wire is read back when the job resumes, not sent again', async () => {
    const targets = peer.iccids.slice(44, 50)
    try {
      const { job, pending, putsBefore } = await hungJob('Hung', targets)
      const paused = await core.call('jobs:pause', { jobId: job.id })
      expect(paused.state).toBe('paused')
      // Not waited for: the row on the wire is still `sending`, its outcome open; the others were never started.
      const rows = await allRows(job.id)
      const onTheWire = rows.filter((r) => r.state === 'sending')
      expect(onTheWire).toHaveLength(1)
      expect(paused.counts).toMatchObject({ sending: 1, done: 0, pending: pending - 1 })
      expect(rows.filter((r) => r.state === 'pending').every((r) => r.attempts === 0)).toBe(true)
      // The carrier applied the abandoned change.
      expect(changesOf(onTheWire[0]!.id)).toHaveLength(1)
      peer.faults.clear()

      await core.call('jobs:resume', { jobId: job.id })
      expect(await settle(job.id)).toMatchObject({ state: 'done', counts: { done: pending, sending: 0 } })
      // Read back, found applied, not sent again: one PUT per row.
      expect(puts() - putsBefore).toBe(pending)
      for (const iccid of targets) expect(changesOf(iccid).length).toBeLessThanOrEqual(1)
      // The read back is the SIM's copy now: a new job for the same SIMs, pre-flighted from the cache, has nothing to send.
      const again = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: ['iccid', ...targets].join('\n') }, params: { status: 'deactivated' } })
      expect((await core.call('jobs:preflight', { jobId: again.id })).counts.pending).toBe(0)
      expect((await allRows(again.id)).find((r) => r.id === onTheWire[0]!.id)).toMatchObject({ state: 'skipped', issues: expect.arrayContaining([expect.objectContaining({ code: 'noChange' })]) })
    } finally {
      peer.faults.clear()
    }
  })

  it('cancels at once on a carrier that hangs: the change on the wire is unknown, audited as such', async () => {
    try {
      const { job } = await hungJob('Hung 2', peer.iccids.slice(50, 54))
      const cancelled = await core.call('jobs:cancel', { jobId: job.id })
      expect(cancelled).toMatchObject({ state: 'cancelled', counts: { unknown: 1, sending: 0, done: 0 } })
      const unknown = (await allRows(job.id)).find((r) => r.state === 'unknown')!
      expect(unknown.error).toMatchObject({ code: 'UNKNOWN_OUTCOME', details: { ref: { key: 'jobs.cancelledInFlight' } } })
      const trail = (await core.call('audit:list', { query: job.id, limit: 100 })).items.filter((e) => e.action === 'sim.changeStatus')
      expect(trail.map((e) => [e.outcome, e.target.includes(unknown.id)])).toEqual([['unknown', true]])
      // It was: the carrier applied it and sat on its answer.
      expect(changesOf(unknown.id)).toHaveLength(1)
    } finally {
      peer.faults.clear()
    }
  })

  it('after a cancel, a new job for the same SIMs reads the SIM whose change was on the wire from the carrier: skipped, not sent twice', async () => {
    const targets = peer.iccids.slice(70, 75)
    let first: Job
    let inDoubt: JobRow
    try {
      first = (await hungJob('Hung 3', targets)).job
      await core.call('jobs:cancel', { jobId: first.id })
      inDoubt = (await allRows(first.id)).find((r) => r.state === 'unknown')!
      // The carrier applied it; the workspace's copy of the SIM, read by the job's pre-flight, still has the old status.
      expect(changesOf(inDoubt.id)).toHaveLength(1)
    } finally {
      peer.faults.clear()
    }
    const notSent = (await allRows(first.id)).filter((r) => r.state === 'pending').map((r) => r.id)
    expect(notSent.length).toBeGreaterThan(0)
    for (const iccid of notSent) expect(changesOf(iccid)).toHaveLength(0)
    // A cancelled job neither resumes nor sends its unknown rows again: the operator starts a new job.
    for (const [channel, input] of [
      ['jobs:resume', { jobId: first.id }],
      ['jobs:run', { jobId: first.id, resendUnknown: true }],
    ] as const)
      expect(await core.dispatcher.invoke(channel, input)).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { ref: { key: 'jobs.wrongState' } } } })

    // The new job is pre-flighted as the app and the CLI do by default: from the cache.
    const again = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: ['iccid', ...targets].join('\n') }, params: { status: 'deactivated' } })
    const checked = await core.call('jobs:preflight', { jobId: again.id })
    const rows = await allRows(again.id)
    expect(rows.find((r) => r.id === inDoubt.id)).toMatchObject({ state: 'skipped', before: { status: 'deactivated' }, issues: expect.arrayContaining([{ code: 'noChange', severity: 'skip' }]) })
    for (const iccid of notSent) expect(rows.find((r) => r.id === iccid)!.state).toBe('pending')
    await core.call('jobs:run', { jobId: again.id })
    expect(await settle(again.id)).toMatchObject({ state: 'done', counts: { done: checked.counts.pending, unknown: 0, failed: 0 } })
    // Per SIM: one change at the carrier, whichever job sent it, and every SIM deactivated.
    const perSim = Object.fromEntries(targets.map((iccid) => [iccid, changesOf(iccid).length]))
    expect(perSim).toEqual(Object.fromEntries(targets.map((iccid) => [iccid, [inDoubt.id, ...notSent].includes(iccid) ? 1 : 0])))
    for (const iccid of [inDoubt.id, ...notSent]) expect(changesOf(iccid).at(-1)!.status).toBe(controlCenterStatusValue('deactivated'))
  })

  it('cancelling a job a pause left with a change on the wire: the change is unknown, and the next pre-flight reads that SIM from the carrier', async () => {
    const targets = peer.iccids.slice(75, 80)
    let first: Job
    try {
      first = (await hungJob('Hung 4', targets)).job
      expect(await core.call('jobs:pause', { jobId: first.id })).toMatchObject({ state: 'paused', counts: { sending: 1 } })
    } finally {
      peer.faults.clear()
    }
    // No run owns the paused job: the cancel turns the change it left on the wire unknown, as a running job's does.
    const cancelled = await core.call('jobs:cancel', { jobId: first.id })
    expect(cancelled).toMatchObject({ state: 'cancelled', counts: { sending: 0, unknown: 1, done: 0 } })
    const inDoubt = (await allRows(first.id)).find((r) => r.state === 'unknown')!
    expect(inDoubt.error).toMatchObject({ code: 'UNKNOWN_OUTCOME', details: { ref: { key: 'jobs.cancelledInFlight' } } })
    const trail = (await core.call('audit:list', { query: first.id, limit: 100 })).items.filter((e) => e.action === 'sim.changeStatus')
    expect(trail.map((e) => [e.outcome, e.target.includes(inDoubt.id)])).toEqual([['unknown', true]])
    expect(changesOf(inDoubt.id)).toHaveLength(1)

    const again = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: ['iccid', ...targets].join('\n') }, params: { status: 'deactivated' } })
    await core.call('jobs:preflight', { jobId: again.id })
    expect((await allRows(again.id)).find((r) => r.id === inDoubt.id)).toMatchObject({ state: 'skipped', before: { status: 'deactivated' } })
    await core.call('jobs:run', { jobId: again.id })
    expect(await settle(again.id)).toMatchObject({ state: 'done', counts: { unknown: 0, failed: 0 } })
    expect(changesOf(inDoubt.id)).toHaveLength(1)
    for (const iccid of targets) expect(changesOf(iccid).length).toBeLessThanOrEqual(1)
  })

  /**
   * Edits a job's journal as a process killed mid-window leaves it, for a job no run of this core owns: the job
   * `running`, `rows` of its rows `sending` (journalled, their calls started or not).
   */
  async function leftRunning(jobId: string, rows: number): Promise<string[]> {
    const db = core.workspace.db
    const job = (await readJob(db, jobId))!
    const open = (await readRows(db, jobId)).filter((r) => r.state === 'pending').slice(0, rows)
    const at = clock().toISOString()
    for (const r of open) Object.assign(r, { state: 'sending', attempts: r.attempts + 1, at })
    job.state = 'running'
    job.counts = countRows([...(await readRows(db, jobId)).filter((r) => !open.some((o) => o._id === r._id)), ...open])
    await writeDocs(db, [job, ...open])
    return open.map((r) => r.id)
  }

  it("cancelling a stopped job ends its SMS and refresh rows left on the wire as a running job's cancel would: an SMS unknown (it may have been sent), a refresh not done", async () => {
    const targets = peer.iccids.slice(60, 64)
    const sms = await core.call('jobs:create', { operation: 'sms', source: { kind: 'csv', text: ['iccid', ...targets].join('\n') }, params: { text: 'ping' } })
    await core.call('jobs:preflight', { jobId: sms.id, refresh: true })
    const [onItsWay] = await leftRunning(sms.id, 1)
    const cancelledSms = await core.call('jobs:cancel', { jobId: sms.id })
    expect(cancelledSms).toMatchObject({ state: 'cancelled', counts: { sending: 0, unknown: 1, done: 0 } })
    // Never "not sent": it may have reached the carrier. The trail says so.
    expect((await allRows(sms.id)).find((r) => r.id === onItsWay)).toMatchObject({ state: 'unknown', error: { code: 'UNKNOWN_OUTCOME', details: { ref: { key: 'jobs.smsInFlight' } } } })
    const trail = (await core.call('audit:list', { query: sms.id, limit: 100 })).items.filter((e) => e.action === 'sim.sendSms')
    expect(trail.map((e) => [e.outcome, e.target.includes(onItsWay!)])).toEqual([['unknown', true]])

    const refresh = await core.call('jobs:create', { operation: 'refresh', source: { kind: 'csv', text: ['iccid', ...targets].join('\n') } })
    await core.call('jobs:preflight', { jobId: refresh.id })
    const [reading] = await leftRunning(refresh.id, 1)
    const cancelledRefresh = await core.call('jobs:cancel', { jobId: refresh.id })
    // A read changed nothing: not done, shown as not sent like the job's other rows.
    expect(cancelledRefresh).toMatchObject({ state: 'cancelled', counts: { sending: 0, unknown: 0, pending: targets.length } })
    expect((await allRows(refresh.id)).find((r) => r.id === reading)).toMatchObject({ state: 'pending', error: null })
  })

  it('undoes a cancelled job whose changes are unknown: each SIM is read from the carrier, a change that was applied is set back, one that never reached it is skipped', async () => {
    const targets = peer.iccids.slice(54, 60)
    let first: Job
    try {
      first = (await hungJob('Hung 5', targets)).job
      expect(await core.call('jobs:pause', { jobId: first.id })).toMatchObject({ state: 'paused', counts: { sending: 1 } })
    } finally {
      peer.faults.clear()
    }
    const applied = (await allRows(first.id)).find((r) => r.state === 'sending')!
    expect(changesOf(applied.id)).toHaveLength(1)
    // And a row a killed process journalled and never sent.
    const [neverSent] = await leftRunning(first.id, 1)
    expect(changesOf(neverSent!)).toHaveLength(0)
    expect(await core.call('jobs:cancel', { jobId: first.id })).toMatchObject({ state: 'cancelled', counts: { done: 0, unknown: 2 } })

    const undo = await core.call('jobs:undo', { jobId: first.id })
    expect(undo).toMatchObject({ undoOf: first.id, state: 'ready', counts: { total: 2, pending: 1, skipped: 1 } })
    const rows = await allRows(undo.id)
    expect(rows.find((r) => r.id === applied.id)).toMatchObject({ state: 'pending', before: { status: 'deactivated' }, after: { status: applied.before!.status } })
    expect(rows.find((r) => r.id === neverSent)).toMatchObject({ state: 'skipped', issues: expect.arrayContaining([{ code: 'noChange', severity: 'skip' }]) })
    await core.call('jobs:run', { jobId: undo.id })
    expect(await settle(undo.id)).toMatchObject({ state: 'done', counts: { done: 1, failed: 0, unknown: 0 } })
    expect(changesOf(applied.id).map((c) => c.status)).toEqual([controlCenterStatusValue('deactivated'), controlCenterStatusValue(applied.before!.status!)])
    expect(changesOf(neverSent!)).toHaveLength(0)
  })

  it('pauses at the first row the carrier cannot be reached for: the rows queued behind it in the windows in flight are not tried', async () => {
    // Twenty calls a second: windows of twenty rows, two in flight, forty rows queued for the account at once.
    const flaky = await core.call('profiles:save', { extension: 'jasper', name: 'Flaky', settings: { baseUrl: peer.url, username: 'ops', concurrency: 1, perSecond: 20 }, secrets: { apiKey: SECRET } })
    const targets = peer.iccids.slice(0, 60)
    const job = await core.call('jobs:create', {
      operation: 'ratePlan',
      profileId: flaky.id,
      source: { kind: 'csv', text: ['iccid', ...targets].join('\n') },
      params: { ratePlan: peer.ratePlans[3]! },
    })
    const checked = await core.call('jobs:preflight', { jobId: job.id })
    const pending = checked.counts.pending
    expect(pending).toBeGreaterThan(40)
    const putsBefore = puts()
    // Every connection dropped: the link is gone.
    peer.faults.set({ kind: 'drop', path: /^\/rws\/api\/v1\/devices\/\d+$/ })
    try {
      await core.call('jobs:run', { jobId: job.id })
      const paused = await settle(job.id)
      expect(paused.state).toBe('paused')
      // It says why: not paused by anyone, the carrier could not be reached.
      expect(paused.unreachable).toMatchObject({ code: 'NETWORK' })
      expect(paused.counts.pending).toBe(pending)
      // One row's call and its transport retries (three attempts), not those of every row queued behind it.
      expect(puts() - putsBefore).toBeLessThanOrEqual(3)
      const rows = (await allRows(job.id)).filter((r) => r.state === 'pending')
      expect(rows.filter((r) => r.error !== null).map((r) => [r.error!.code, r.attempts])).toEqual([['NETWORK', 1]])
      expect(rows.filter((r) => r.error === null).every((r) => r.attempts === 0)).toBe(true)
    } finally {
      peer.faults.clear()
    }
    await core.call('jobs:resume', { jobId: job.id })
    const done = await settle(job.id)
    expect(done.state).toBe('done')
    expect(done.unreachable).toBeNull()
    expect(done.counts.done).toBe(pending)
  })

  it('says how far a pre-flight has read, batch by batch, up to every SIM it reads', async () => {
    const targets = peer.iccids.slice(0, 70)
    const job = await core.call('jobs:create', {
      operation: 'status',
      profileId: account.slice('jasper:'.length),
      source: { kind: 'csv', text: ['iccid', ...targets].join('\n') },
      params: { status: 'deactivated' },
    })
    const seen: { read: number; total: number }[] = []
    const off = core.bus.subscribe((event, payload) => {
      const p = payload as { jobId: string; read: number; total: number }
      if (event === 'jobs:preflightProgress' && p.jobId === job.id) seen.push({ read: p.read, total: p.total })
    })
    try {
      await core.call('jobs:preflight', { jobId: job.id, refresh: true })
    } finally {
      off()
    }
    expect(seen).toEqual([
      { read: 0, total: 70 },
      { read: 50, total: 70 },
      { read: 70, total: 70 },
    ])
  })

  it('a second pre-flight of a job being checked joins the first: each SIM is read once, and both get the same answer', async () => {
    const targets = peer.iccids.slice(0, 60)
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: ['iccid', ...targets].join('\n') }, params: { status: 'deactivated' } })
    const readsBefore = peer.stats().byRoute['GET /devices/{iccid}'] ?? 0
    // The operator left the job's page while it was checked and pressed "Run pre-flight" again on coming back.
    const [first, second] = await Promise.all([core.call('jobs:preflight', { jobId: job.id, refresh: true }), core.call('jobs:preflight', { jobId: job.id, refresh: true })])
    expect(first).toEqual(second)
    expect(first.state).toBe('ready')
    expect((peer.stats().byRoute['GET /devices/{iccid}'] ?? 0) - readsBefore).toBe(targets.length)
  })

  it('a job abandoned while it is checked stays abandoned: the pre-flight stops reading and writes nothing', async () => {
    const targets = peer.iccids.slice(0, 120)
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: ['iccid', ...targets].join('\n') }, params: { status: 'deactivated' } })
    peer.faults.set({ kind: 'latency', ms: 40, path: /^\/rws\/api\/v1\/devices\/\d+$/ })
    try {
      const readsBefore = peer.stats().byRoute['GET /devices/{iccid}'] ?? 0
      const first = new Promise<void>((resolve) => {
        const off = core.bus.subscribe((event, payload) => {
          if (event === 'jobs:preflightProgress' && (payload as { jobId: string }).jobId === job.id) {
            off()
            resolve()
          }
        })
      })
      const checking = rejection(core.call('jobs:preflight', { jobId: job.id, refresh: true }))
      await first
      const cancelled = await core.call('jobs:cancel', { jobId: job.id })
      expect(cancelled.state).toBe('cancelled')
      const refused = await checking
      expect((refused as unknown as { bridge: unknown }).bridge).toMatchObject({ code: 'CONFLICT', details: { ref: { key: 'jobs.wrongState' } } })
      // It read the batch it had asked for, not the SIMs after it.
      expect((peer.stats().byRoute['GET /devices/{iccid}'] ?? 0) - readsBefore).toBeLessThan(targets.length)
      const after = await core.call('jobs:status', { jobId: job.id })
      expect(after.job.state).toBe('cancelled')
      for (const row of await allRows(job.id)) expect(row.before).toBeNull()
    } finally {
      peer.faults.clear()
    }
  })

  it('refuses, by the account’s name, a SIM the inventory lists under another account of the same carrier', async () => {
    // Another Control Center account, with its own SIMs, synced into the same workspace.
    const other = await startControlCenterPeer({ devices: 3, seed: 77, now: clock, users: [{ username: 'north', apiKey: 'north-key', password: 'pw', role: 'AccountAdmin' }] })
    try {
      const north = await core.call('profiles:save', {
        extension: 'jasper',
        name: 'North ops',
        settings: { baseUrl: other.url, username: 'north', concurrency: 1, perSecond: 50 },
        secrets: { apiKey: 'north-key' },
      })
      await core.call('sims:sync', { account: `jasper:${north.id}`, full: true })
      const theirs = other.iccids[0]!
      const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: ['iccid', theirs, peer.iccids[6]!].join('\n') }, params: { status: 'deactivated' } })
      await core.call('jobs:preflight', { jobId: job.id })
      const rows = await allRows(job.id)
      expect(rows[0]).toMatchObject({ state: 'skipped', issues: [{ code: 'otherAccount', severity: 'error', detail: 'North ops' }] })
      expect(rows[1]!.issues.map((i) => i.code)).not.toContain('otherAccount')
      // From North's own profile the same SIM goes through.
      const fromNorth = await core.call('jobs:create', { operation: 'status', profileId: north.id, source: { kind: 'csv', text: ['iccid', theirs].join('\n') }, params: { status: 'deactivated' } })
      await core.call('jobs:preflight', { jobId: fromNorth.id })
      expect((await allRows(fromNorth.id))[0]!.issues.map((i) => i.code)).not.toContain('otherAccount')
    } finally {
      await other.close()
    }
  })
})
