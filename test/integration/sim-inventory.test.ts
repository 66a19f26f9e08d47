import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SimSelection, SyncProgress } from '../../src-shared/models/sim-inventory'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { startOrangePeer, type OrangePeer } from '../peers/orange/orange.peer'
import { DEFAULT_API_KEY, startSendGridPeer } from '../peers/sendgrid/sendgrid.peer'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

/** The Control Center peer's inventory dates end mid-2024: the peer and the core share a clock after that, moving with real time. */
const START = Date.now()
const clock = () => new Date(Date.parse('2026-03-14T10:00:00.000Z') + (Date.now() - START))
const API_KEY = 'inventory-test-key-7Hq'

async function editAtPeer(peer: ControlCenterPeer, iccid: string, body: object): Promise<void> {
  const res = await fetch(`${peer.url}/rws/api/v1/devices/${iccid}`, {
    method: 'PUT',
    headers: { authorization: `Basic ${Buffer.from(`ops:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(res.status).toBe(200)
}

describe('SIM inventory sync against the Control Center and Orange peers', () => {
  let cc: ControlCenterPeer
  let orange: OrangePeer
  let core: TestCore
  let cleanup: () => Promise<void>
  let jasper: string
  let orangeAccount: string
  const progress: SyncProgress[] = []

  beforeAll(async () => {
    cc = await startControlCenterPeer({ devices: 120, now: clock, users: [{ username: 'ops', apiKey: API_KEY, password: 'pw', role: 'AccountAdmin' }] })
    // A result cap below the line count: the sync must move its window to reach every line (docs/wire/orange.md §4.3).
    orange = await startOrangePeer({ lines: 230, maxSearchResults: 100, now: clock })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { now: clock })
    core.bus.subscribe((event, payload) => {
      if (event === 'sims:progress') progress.push(payload as SyncProgress)
    })
    const j = await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: cc.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: API_KEY } })
    const o = await core.call('profiles:save', {
      extension: 'orange',
      name: 'Paris',
      settings: { baseUrl: orange.url, username: 'ak-test', concurrency: 1, perSecond: 50 },
      secrets: { password: 'test-password' },
    })
    jasper = `jasper:${j.id}`
    orangeAccount = `orange:${o.id}`
    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-1' })
    await core.call('devices:saveConfig', { typeId: 'meter', deviceId: 'm-1', text: JSON.stringify({ jasper: { iccid: cc.iccids[0] } }) })
  })
  afterAll(async () => {
    await core?.close()
    await cc?.close()
    await orange?.close()
    await cleanup?.()
  })

  it('estimates a full refresh before the first sync from what the devices know, as a lower bound', async () => {
    expect(await core.call('sims:estimate', { account: jasper })).toMatchObject({ sims: 1, listingCalls: 1, exact: false, lastSyncAt: null, perSecond: 50 })
  })

  it('lists every Control Center SIM in the fewest pages the API allows, then only what changed', async () => {
    const before = cc.stats().byRoute['GET /devices'] ?? 0
    const first = await core.call('sims:sync', { account: jasper })
    expect(first).toMatchObject({ listed: 120, calls: 3, resumed: false })
    expect((cc.stats().byRoute['GET /devices'] ?? 0) - before).toBe(3)
    expect(progress.filter((p) => p.account === jasper).at(-1)).toMatchObject({ phase: 'done', done: true })
    expect(await core.call('sims:count', { filters: { account: [jasper] } })).toEqual({ total: 120 })
    expect(await core.call('sims:estimate', { account: jasper })).toMatchObject({ sims: 120, listingCalls: 3, exact: false })

    await editAtPeer(cc, cc.iccids[5]!, { status: 'RETIRED' })
    await editAtPeer(cc, cc.iccids[7]!, { ratePlan: cc.ratePlans[1] })
    const again = before + 3
    const second = await core.call('sims:sync', { account: jasper })
    expect(second).toMatchObject({ listed: 2, calls: 1 })
    expect((cc.stats().byRoute['GET /devices'] ?? 0) - again).toBe(1)
    const retired = await core.call('sims:query', { query: { filters: { status: ['retired'], account: [jasper] } } })
    expect(retired.items.map((r) => r.simId)).toContain(cc.iccids[5])
    const row = (await core.call('sims:query', { query: { filters: { ratePlan: [cc.ratePlans[1]!] } }, limit: 1000 })).items.find((r) => r.simId === cc.iccids[7])
    expect(row).toMatchObject({ account: jasper, ratePlan: cc.ratePlans[1] })
    expect(row?.asOf).not.toBeNull()
  })

  it('tells SIMs on a device from SIMs on none, and attaches a found SIM to a device with an audit entry', async () => {
    const attached = await core.call('sims:query', { query: { filters: { attached: true } } })
    expect(attached.items.map((r) => r.simId)).toEqual([cc.iccids[0]])
    expect(attached.items[0]).toMatchObject({ devices: ['meter/m-1'] })
    expect(await core.call('sims:count', { filters: { attached: false, carrier: ['jasper'] } })).toEqual({ total: 119 })

    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-2' })
    await core.call('sims:attach', { typeId: 'meter', deviceId: 'm-2', carrier: 'jasper', simId: cc.iccids[9]! })
    const device = await core.call('devices:get', { typeId: 'meter', deviceId: 'm-2' })
    expect(device.extensionConfig).toEqual({ jasper: { iccid: cc.iccids[9], profile: jasper.slice('jasper:'.length) } })
    expect((await core.call('audit:list', { query: 'sims.attach' })).items[0]).toMatchObject({ target: 'meter/m-2', outcome: 'ok' })
    expect(await core.call('sims:count', { filters: { attached: true } })).toEqual({ total: 2 })

    const refused = await core.dispatcher.invoke('sims:attach', { typeId: 'meter', deviceId: 'nope', carrier: 'jasper', simId: cc.iccids[10]! })
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'errors.deviceNotFound' } } } })
    const unknown = await core.dispatcher.invoke('sims:attach', { typeId: 'meter', deviceId: 'm-2', carrier: 'jasper', simId: '89000000000000000000' })
    expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'sims.notInInventory' } } } })
  })

  it('imports SIMs found at the carrier as devices, once', async () => {
    const ids = [cc.iccids[11]!, cc.iccids[12]!]
    expect(await core.call('sims:importAsDevices', { typeId: 'tracker', carrier: 'jasper', simIds: ids })).toEqual({ added: 2, existing: 0 })
    expect(await core.call('sims:importAsDevices', { typeId: 'tracker', carrier: 'jasper', simIds: ids })).toEqual({ added: 0, existing: 2 })
    expect((await core.call('devices:get', { typeId: 'tracker', deviceId: ids[0]! })).extensionConfig).toMatchObject({ jasper: { iccid: ids[0] } })
  })

  it('lists every Orange line through windows past the result cap, then only lines whose status changed', async () => {
    const est = await core.call('sims:estimate', { account: orangeAccount })
    expect(est).toMatchObject({ sims: 230, listingCalls: 3, exact: true })
    const searches = () => orange.stats().byOperation.searchInConnectivityDirectory ?? 0
    const before = searches()
    const first = await core.simInventory.sync({ account: orangeAccount, full: false, usage: false }, { actor: 'test' })
    expect(await core.call('sims:count', { filters: { carrier: ['orange'] } })).toEqual({ total: 230 })
    // 230 lines, 100 per page, at most 100 per search: three windows, each one page plus the closing one where the cap cuts it.
    expect(first.calls).toBe(searches() - before)
    expect(first.listed).toBeGreaterThanOrEqual(230)

    const serial = orange.serials[10]!
    orange.setStatus(serial, 'SUSPENDED', clock())
    const mid = searches()
    const second = await core.call('sims:sync', { account: orangeAccount })
    expect(second).toMatchObject({ listed: 1, calls: 1 })
    expect(searches() - mid).toBe(1)
    const row = (await core.call('sims:query', { query: { filters: { carrier: ['orange'], status: ['suspended'] } }, limit: 1000 })).items.find((r) => r.simId === serial)
    expect(row).toMatchObject({ account: orangeAccount, status: 'suspended' })
  })

  it('runs one sync per account at a time: a second request gets the running result', async () => {
    const before = cc.stats().byRoute['GET /devices'] ?? 0
    const [a, b] = await Promise.all([core.call('sims:sync', { account: jasper }), core.call('sims:sync', { account: jasper })])
    expect(a).toEqual(b)
    expect((cc.stats().byRoute['GET /devices'] ?? 0) - before).toBe(a.calls)
  })

  it('refuses bad input with a clear error and changes nothing', async () => {
    expect(await core.dispatcher.invoke('sims:sync', { account: 'jasper:nobody' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect(await core.dispatcher.invoke('sims:sync', { account: 'mbed:ops' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(await core.dispatcher.invoke('sims:query', { query: { filters: { dataAbove: -1 } } })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(await core.dispatcher.invoke('sims:query', { query: { filters: { refreshedBefore: 'yesterday' } } })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(await core.dispatcher.invoke('sims:importAsDevices', { typeId: 'bad type!', carrier: 'jasper', simIds: [cc.iccids[1]!] })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect((await core.call('audit:list', { query: 'jasper:nobody' })).items).toEqual([])
  })

  it('saves a search, answers it as its query, replaces it, and removes it, each with an audit entry', async () => {
    const query = { filters: { carrier: ['jasper' as const], attached: false }, sort: 'simId' as const, descending: true }
    const saved = await core.call('sims:saveSearch', { id: 'loose', name: 'Loose SIMs', query })
    expect(saved).toMatchObject({ id: 'loose', name: 'Loose SIMs', query })
    expect((await core.call('sims:searches', {})).items).toEqual([saved])
    const byQuery = await core.call('sims:query', { query: (await core.call('sims:searches', {})).items[0]!.query })
    expect(byQuery.items.every((r) => r.carrier === 'jasper' && r.devices.length === 0)).toBe(true)
    await core.call('sims:saveSearch', { id: 'loose', name: 'Loose SIMs (renamed)', query })
    expect((await core.call('sims:searches', {})).items.map((s) => s.name)).toEqual(['Loose SIMs (renamed)'])
    await core.call('sims:removeSearch', { id: 'loose' })
    expect((await core.call('sims:searches', {})).items).toEqual([])
    expect(await core.dispatcher.invoke('sims:removeSearch', { id: 'loose' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'sims.searchNotFound' } } } })
    // Activity names each by the name it had, not by its id.
    expect((await core.call('audit:list', { query: 'sims.search' })).items.map((e) => [e.action, e.subject])).toEqual([
      ['sims.search.remove', 'Loose SIMs (renamed)'],
      ['sims.search.save', 'Loose SIMs (renamed)'],
      ['sims.search.save', 'Loose SIMs'],
    ])
  })

  /** The whole file of an export through the channels the UI uses: `sims:export`, then `export:next` until done. */
  async function exported(selection: SimSelection, format: 'csv' | 'jsonl'): Promise<{ text: string; total: number; rows: number }> {
    const { jobId, total } = await core.call('sims:export', { selection, format })
    let text = ''
    for (;;) {
      const part = await core.call('export:next', { jobId })
      text += part.data
      if (part.done) return { text, total, rows: part.rows }
    }
  }

  it('exports the selection as CSV and JSON Lines with the inventory columns', async () => {
    const query = { filters: { carrier: ['jasper' as const], attached: true }, sort: 'simId' as const, descending: false }
    const csv = await exported({ query, except: [] }, 'csv')
    const lines = csv.text.trimEnd().split('\r\n')
    expect(lines[0]).toBe('carrier,simId,iccid,account,status,statusRaw,ratePlan,communicationPlan,dataBytes,smsCount,lastSessionAt,asOf,usageAsOf,devices')
    // m-1, m-2 and the two trackers imported above.
    expect(lines).toHaveLength(5)
    expect(csv).toMatchObject({ total: 4, rows: 4 })
    const json = await exported({ query, except: [] }, 'jsonl')
    expect(
      json.text
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { simId: string }).simId)
        .sort(),
    ).toEqual([0, 9, 11, 12].map((i) => cc.iccids[i]).sort())
  })

  it('exports every SIM matching a query but the ones excepted, or the SIMs picked in the order asked', async () => {
    const query = { filters: { carrier: ['jasper' as const], attached: true }, sort: 'simId' as const, descending: false }
    const ids = (t: string) =>
      t
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { simId: string }).simId)
    const allBut = await exported({ query, except: [{ carrier: 'jasper', simId: cc.iccids[9]! }] }, 'jsonl')
    expect(ids(allBut.text).sort()).toEqual([0, 11, 12].map((i) => cc.iccids[i]).sort())
    expect(allBut.total).toBe(3)
    const picked = [cc.iccids[12]!, cc.iccids[0]!].sort()
    const keys = await exported({ keys: picked.map((simId) => ({ carrier: 'jasper' as const, simId })), sort: 'simId', descending: true }, 'jsonl')
    expect(ids(keys.text)).toEqual([...picked].reverse())
  })

  it('finds SIMs by words of their id, plan or device name, any case', async () => {
    const m1 = await core.call('sims:query', { query: { filters: { text: 'METER/M-1' } } })
    expect(m1.items.map((r) => r.simId)).toEqual([cc.iccids[0]])
    const tail = cc.iccids[33]!.slice(-6)
    expect((await core.call('sims:query', { query: { filters: { text: `  ${tail}  ` } } })).items.map((r) => r.simId)).toContain(cc.iccids[33])
    expect((await core.call('sims:count', { filters: { text: `${tail} no-such-word` } })).total).toBe(0)
  })

  it('ends an export on cancel and refuses to read it further', async () => {
    const { jobId } = await core.call('sims:export', { selection: { query: { filters: {}, sort: 'simId', descending: false }, except: [] }, format: 'csv' })
    expect(await core.call('export:cancel', { jobId })).toEqual({ cancelled: true })
    expect(await core.dispatcher.invoke('export:next', { jobId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'devices.export.noJob' } } } })
    expect(await core.dispatcher.invoke('sims:export', { selection: { keys: [] }, format: 'csv' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
  })
})

describe('usage alerts and the notification inbox, over a sync of the Control Center peer', () => {
  let cc: ControlCenterPeer
  let core: TestCore
  let cleanup: () => Promise<void>
  let account: string
  let broken: string

  beforeAll(async () => {
    cc = await startControlCenterPeer({ devices: 60, seed: 7, now: clock, users: [{ username: 'ops', apiKey: API_KEY, password: 'pw', role: 'AccountAdmin' }] })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { now: clock })
    const j = await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: cc.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: API_KEY } })
    const w = await core.call('profiles:save', {
      extension: 'jasper',
      name: 'Wrong key',
      settings: { baseUrl: cc.url, username: 'ops', concurrency: 1, perSecond: 50 },
      secrets: { apiKey: 'not-the-key' },
    })
    account = `jasper:${j.id}`
    broken = `jasper:${w.id}`
  })
  afterAll(async () => {
    await core?.close()
    await cc?.close()
    await cleanup?.()
  })

  it('reads usage and sessions of the active SIMs only, then fires a data rule once per SIM over it', async () => {
    const progress: SyncProgress[] = []
    const off = core.bus.subscribe((event, payload) => {
      if (event === 'sims:progress' && (payload as SyncProgress).account === account) progress.push(payload as SyncProgress)
    })
    const result = await core.call('sims:sync', { account, usage: true })
    off()
    const active = await core.call('sims:count', { filters: { account: [account], status: ['activated', 'testReady'] } })
    expect(result.usageRead).toBe(active.total)
    // The listing and the usage reads are counted apart (cold trial: "usage 4,384 SIMs" for an account of 3,000): the
    // last usage event, sent before "done", counts the SIMs read, and "done" the SIMs listed.
    expect(progress.filter((p) => p.phase === 'usage').at(-1)).toMatchObject({ sims: result.usageRead, calls: result.calls })
    expect(progress.at(-1)).toMatchObject({ phase: 'done', sims: result.listed })
    expect(result.listed).toBeGreaterThan(result.usageRead)
    expect(cc.stats().byRoute['GET /devices/{iccid}/ctdUsages']).toBe(active.total)
    const read = (await core.call('sims:query', { query: { filters: { account: [account] }, sort: 'dataBytes', descending: true }, limit: 1000 })).items.filter((r) => r.dataBytes !== null)
    expect(read).toHaveLength(active.total)
    // A threshold between the readings: the SIMs above it are known in advance.
    const threshold = read[Math.floor(read.length / 3)]!.dataBytes!
    const over = read.filter((r) => r.dataBytes! > threshold).map((r) => r.simId)
    expect(over.length).toBeGreaterThan(0)

    await core.call('alerts:add', { id: 'data-high', name: 'Data high', condition: { kind: 'dataAbove', bytes: threshold } })
    expect(await core.call('alerts:check', {})).toEqual({ fired: over.length })
    expect(await core.call('alerts:check', {})).toEqual({ fired: 0 })
    const inbox = await core.call('inbox:list', { unreadOnly: true, limit: 500 })
    expect(inbox.unread).toBe(over.length)
    expect(inbox.items.map((n) => n.sim?.simId).sort()).toEqual([...over].sort())
    expect(inbox.items[0]).toMatchObject({ ruleId: 'data-high', kind: 'dataAbove', read: false, account, devices: [] })

    // A device naming one of the SIMs afterwards: its notification links to that device from then on.
    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-9' })
    await core.call('devices:saveConfig', { typeId: 'meter', deviceId: 'm-9', text: JSON.stringify({ jasper: { iccid: over[0] } }) })
    const linked = (await core.call('inbox:list', { limit: 500 })).items
    expect(linked.filter((n) => n.devices.length > 0).map((n) => [n.sim?.simId, n.devices])).toEqual([[over[0], ['meter/m-9']]])

    // A later sync reads usage again (the peer's usage grows with its clock): a SIM already over never fires twice.
    await core.call('sims:sync', { account, usage: true })
    const perSim = new Map<string, number>()
    for (const n of (await core.call('inbox:list', { limit: 500 })).items) perSim.set(n.sim!.simId, (perSim.get(n.sim!.simId) ?? 0) + 1)
    for (const simId of over) expect(perSim.get(simId)).toBe(1)
  })

  it('marks notifications read and unread, with an audit entry, and says how many are unread', async () => {
    const { items } = await core.call('inbox:list', { limit: 2 })
    const before = (await core.call('inbox:list', {})).unread
    expect(await core.call('inbox:markRead', { ids: [items[0]!.id] })).toEqual({ changed: 1 })
    expect(await core.call('inbox:markRead', { ids: [items[0]!.id] })).toEqual({ changed: 0 })
    expect((await core.call('inbox:list', {})).unread).toBe(before - 1)
    expect((await core.call('inbox:list', { unreadOnly: true, limit: 500 })).items.map((n) => n.id)).not.toContain(items[0]!.id)
    expect(await core.call('inbox:markRead', { ids: [items[0]!.id], read: false })).toEqual({ changed: 1 })
    expect((await core.call('inbox:list', {})).unread).toBe(before)
    expect((await core.call('audit:list', { query: 'inbox.read' })).items).toHaveLength(1)
    expect(await core.dispatcher.invoke('inbox:markRead', { ids: ['inbox:nothing-here'] })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'inbox.notFound' } } } })
  })

  it('fires "status changed" once per change the sync sees', async () => {
    await core.call('alerts:add', { id: 'retired', name: 'Retired', condition: { kind: 'statusChanged', to: ['retired'] } })
    expect(await core.call('alerts:check', {})).toEqual({ fired: 0 })
    const target = (await core.call('sims:query', { query: { filters: { account: [account], status: ['activated'] } }, limit: 1 })).items[0]!.simId
    await editAtPeer(cc, target, { status: 'RETIRED' })
    expect(await core.call('sims:sync', { account })).toMatchObject({ listed: 1, fired: 1 })
    expect(await core.call('sims:sync', { account })).toMatchObject({ fired: 0 })
    const fired = (await core.call('inbox:list', { limit: 500 })).items.filter((n) => n.ruleId === 'retired')
    expect(fired).toEqual([expect.objectContaining({ sim: { carrier: 'jasper', simId: target }, value: 'activated→retired' })])
  })

  it('fires "no session for N days" for SIMs whose last session is that old, once', async () => {
    const rows = (await core.call('sims:query', { query: { filters: { account: [account] } }, limit: 1000 })).items.filter((r) => r.usageAsOf !== null)
    const old = rows.filter((r) => r.lastSessionAt === null || clock().getTime() - Date.parse(r.lastSessionAt) >= 30 * 86_400_000)
    await core.call('alerts:add', { id: 'silent', name: 'Silent', condition: { kind: 'noSession', days: 30 } })
    expect(await core.call('alerts:check', {})).toEqual({ fired: old.length })
    expect(await core.call('alerts:check', {})).toEqual({ fired: 0 })
  })

  it('fires "sync failing" for an account once its syncs fail that many times in a row', async () => {
    await core.call('alerts:add', { id: 'sync-down', name: 'Sync down', condition: { kind: 'syncFailing', failures: 2 }, accounts: [broken] })
    expect(await core.dispatcher.invoke('sims:sync', { account: broken })).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } })
    expect((await core.call('inbox:list', { limit: 500 })).items.filter((n) => n.ruleId === 'sync-down')).toHaveLength(0)
    expect(await core.dispatcher.invoke('sims:sync', { account: broken })).toMatchObject({ ok: false })
    expect(await core.dispatcher.invoke('sims:sync', { account: broken })).toMatchObject({ ok: false })
    const fired = (await core.call('inbox:list', { limit: 500 })).items.filter((n) => n.ruleId === 'sync-down')
    expect(fired).toEqual([expect.objectContaining({ sim: null, account: broken, kind: 'syncFailing' })])
    expect((await core.call('audit:list', { query: 'sims.sync' })).items.some((e) => e.outcome === 'failed' && e.target === broken)).toBe(true)
  })

  it('keeps rules: refuses a duplicate id and an unknown one, removes with an audit entry', async () => {
    expect((await core.call('alerts:list', {})).items.map((r) => r.id).sort()).toEqual(['data-high', 'retired', 'silent', 'sync-down'])
    expect(await core.dispatcher.invoke('alerts:add', { id: 'silent', name: 'Again', condition: { kind: 'noSession', days: 1 } })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
    expect(await core.dispatcher.invoke('alerts:add', { id: 'Bad Id', name: 'x', condition: { kind: 'noSession', days: 1 } })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    await core.call('alerts:remove', { id: 'silent' })
    expect(await core.dispatcher.invoke('alerts:remove', { id: 'silent' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'alerts.notFound' } } } })
    expect((await core.call('audit:list', { query: 'alerts.remove' })).items[0]).toMatchObject({ target: 'alert/silent', outcome: 'ok' })
  })

  it('brings a removed rule back from the trash with what it had notified: it does not notify the same SIMs again', async () => {
    const notified = (await core.call('inbox:list', { limit: 500 })).items.filter((n) => n.ruleId === 'data-high').length
    expect(notified).toBeGreaterThan(0)
    const { trashId } = await core.call('alerts:remove', { id: 'data-high' })
    expect((await core.call('alerts:list', {})).items.map((r) => r.id)).not.toContain('data-high')
    await core.call('trash:restore', { id: trashId })
    expect((await core.call('alerts:list', {})).items.map((r) => r.id)).toContain('data-high')
    // Its SIMs are still over the threshold: a rule that came back without its state would notify each of them again.
    expect(await core.call('alerts:check', {})).toEqual({ fired: 0 })
    expect((await core.call('inbox:list', { limit: 500 })).items.filter((n) => n.ruleId === 'data-high')).toHaveLength(notified)
  })
})

describe('a sync under the account rate limit the peer enforces', () => {
  it('never exceeds it: no call is refused with 429', async () => {
    const cc = await startControlCenterPeer({
      devices: 30,
      seed: 3,
      now: clock,
      rateLimit: { perSecond: 5, concurrent: 1 },
      users: [{ username: 'ops', apiKey: API_KEY, password: 'pw', role: 'AccountAdmin' }],
    })
    const t = await tempDir()
    const core = await testCore(t.dir, { now: clock })
    try {
      const p = await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: cc.url, username: 'ops', concurrency: 1, perSecond: 5 }, secrets: { apiKey: API_KEY } })
      const result = await core.call('sims:sync', { account: `jasper:${p.id}`, usage: true })
      expect(result.calls).toBe(1 + 2 * result.usageRead)
      expect(cc.stats().rateLimited).toBe(0)
      expect(cc.stats().requests).toBe(result.calls)
    } finally {
      await core.close()
      await cc.close()
      await t.cleanup()
    }
  })
})

describe('alert emails to chosen team members', () => {
  it('sends one email per rule and address with what fired, through the email extension; the inbox has it either way', async () => {
    const cc = await startControlCenterPeer({ devices: 20, seed: 9, now: clock, users: [{ username: 'ops', apiKey: API_KEY, password: 'pw', role: 'AccountAdmin' }] })
    const sendgrid = await startSendGridPeer({ verifiedSenders: ['admin@example.com'] })
    const t = await tempDir()
    const core = await testCore(t.dir, { now: clock })
    try {
      await core.call('mail:saveSettings', {
        mode: 'sendgridApiKey',
        organisation: 'Acme Field Ops',
        settings: { adminName: 'Ada Admin', adminEmail: 'admin@example.com', baseUrl: sendgrid.url },
        secrets: { apiKey: DEFAULT_API_KEY },
      })
      const p = await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: cc.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: API_KEY } })
      await core.call('alerts:add', { id: 'retired', name: 'Retired SIMs', condition: { kind: 'statusChanged', to: ['retired'] }, emails: ['tess@example.org', 'olga@example.org'] })
      // Tess is a team member invited in French; Olga is not in the team, so she reads the app's language (English).
      await core.call('team:invite', { name: 'Tess Field', email: 'Tess@example.org', role: 'operator', language: 'fr' })
      const invitations = sendgrid.messages().length
      const account = `jasper:${p.id}`
      await core.call('sims:sync', { account })
      const target = (await core.call('sims:query', { query: { filters: { status: ['activated'] } }, limit: 1 })).items[0]!.simId
      await editAtPeer(cc, target, { status: 'RETIRED' })
      expect(await core.call('sims:sync', { account })).toMatchObject({ fired: 1 })
      const sent = sendgrid.messages().slice(invitations)
      expect(sent).toHaveLength(2)
      const text = JSON.stringify(sent.map((m) => m.body))
      expect(text).toContain(target)
      const mails = sent.map((m) => m.body as { subject: string; personalizations: { to: { email: string }[] }[]; content: { type: string; value: string }[] })
      const to = (address: string) => mails.find((m) => m.personalizations[0]!.to[0]!.email === address)!
      expect(to('tess@example.org').subject).toBe('Alerte Fieldline\u00a0: Retired SIMs')
      expect(to('tess@example.org').content[0]!.value).toContain('La règle d’alerte «\u00a0Retired SIMs\u00a0» s’est déclenchée une fois')
      expect(to('olga@example.org').subject).toBe('Fieldline alert: Retired SIMs')
      expect(to('olga@example.org').content[0]!.value).toContain('The alert rule “Retired SIMs” fired once:')
      // What was found is in the recipient's words, not the stored codes.
      expect(to('olga@example.org').content[0]!.value).toContain('Status changed from Activated to Retired')
      expect(to('tess@example.org').content[0]!.value).toContain('Statut passé\u00a0: Activée → Retirée')

      // The email service failing does not lose the alert: it is in the inbox, and the sync still succeeds.
      sendgrid.faults.set({ kind: 'status', status: 500 })
      const other = (await core.call('sims:query', { query: { filters: { status: ['activated'] } }, limit: 1 })).items[0]!.simId
      await editAtPeer(cc, other, { status: 'RETIRED' })
      expect(await core.call('sims:sync', { account })).toMatchObject({ fired: 1 })
      expect((await core.call('inbox:list', {})).items.map((n) => n.sim?.simId)).toContain(other)
    } finally {
      await core.close()
      await sendgrid.close()
      await cc.close()
      await t.cleanup()
    }
  })
})
