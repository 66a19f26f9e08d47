import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sentSmsDoc, sentSmsPages, type SentSmsDoc } from '../../src-main/core/store/sent-sms.store'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

const API_KEY = 'sms-outcomes-key-4Tz'
/** Control Center's SMS stay Pending for this long on the peer's clock, which the test moves by hand. */
const DELIVERY_MS = 60_000

/**
 * "SMS delivery failed" end to end against the Control Center peer (docs/wire/control-center.md §1.10): the SMS the app
 * sends are recorded with their smsMsgId, a sync reads their status back, and a Failed one fires the rule once.
 */
describe('SMS delivery results and the smsFailed alert rule', () => {
  let cc: ControlCenterPeer
  let core: TestCore
  let cleanup: () => Promise<void>
  let account: string
  let peerTime = Date.parse('2026-03-14T10:00:00.000Z')

  /** The two SIMs the tests send to: the peer's first that are not retired (a retired SIM stays retired), activated. */
  let sims: [string, string]

  async function activateAtPeer(iccid: string): Promise<boolean> {
    const res = await fetch(`${cc.url}/rws/api/v1/devices/${iccid}`, {
      method: 'PUT',
      headers: { authorization: `Basic ${Buffer.from(`ops:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'ACTIVATED' }),
    })
    return res.status === 200
  }

  async function records(): Promise<SentSmsDoc[]> {
    const all: SentSmsDoc[] = []
    for await (const page of sentSmsPages(core.workspace.db)) all.push(...page)
    return all
  }

  const smsNotifications = async () => (await core.call('inbox:list', { limit: 500 })).items.filter((n) => n.kind === 'smsFailed')

  beforeAll(async () => {
    cc = await startControlCenterPeer({ devices: 20, now: () => new Date(peerTime), smsDeliveryMs: DELIVERY_MS, users: [{ username: 'ops', apiKey: API_KEY, password: 'pw', role: 'AccountAdmin' }] })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir)
    const profile = await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: cc.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: API_KEY } })
    account = `jasper:${profile.id}`
    const activated: string[] = []
    for (const iccid of cc.iccids) if (activated.length < 2 && (await activateAtPeer(iccid))) activated.push(iccid)
    sims = [activated[0]!, activated[1]!]
    for (const [n, deviceId] of [
      [0, 'm-fail'],
      [1, 'm-ok'],
    ] as const) {
      await core.call('devices:add', { typeId: 'meter', deviceId })
      await core.call('devices:saveConfig', { typeId: 'meter', deviceId, text: JSON.stringify({ jasper: { iccid: sims[n] } }) })
    }
    await core.call('alerts:add', { id: 'sms-failed', name: 'SMS failed', condition: { kind: 'smsFailed' } })
  })
  afterAll(async () => {
    await core?.close()
    await cc?.close()
    await cleanup?.()
  })

  it('records each SMS the SIM panel sends, notifies a failed one once, and a delivered one never', async () => {
    // The peer fails a message whose text holds FAIL (test/peers/control-center/inventory.ts, SmsCenter).
    const failed = await core.call('sim:sendSms', { typeId: 'meter', deviceId: 'm-fail', text: 'FAIL on purpose' })
    const delivered = await core.call('sim:sendSms', { typeId: 'meter', deviceId: 'm-ok', text: 'hello' })
    expect((await records()).map((r) => [r.smsMsgId, r.iccid, r.account, r.status])).toEqual(
      expect.arrayContaining([
        [failed.smsMsgId, sims[0], account, null],
        [delivered.smsMsgId, sims[1], account, null],
      ]),
    )

    // Still Pending at Control Center: nothing to say yet.
    expect((await core.call('sims:sync', { account })).fired).toBe(0)
    expect((await records()).every((r) => r.status === 'Pending')).toBe(true)

    peerTime += DELIVERY_MS + 1000
    expect((await core.call('sims:sync', { account })).fired).toBe(1)
    const [notification, ...more] = await smsNotifications()
    expect(more).toEqual([])
    expect(notification).toMatchObject({ ruleId: 'sms-failed', kind: 'smsFailed', value: failed.smsMsgId, sim: { carrier: 'jasper', simId: sims[0] }, account, devices: ['meter/m-fail'] })
    expect(Object.fromEntries((await records()).map((r) => [r.smsMsgId, r.status]))).toMatchObject({ [failed.smsMsgId!]: 'Failed', [delivered.smsMsgId!]: 'Delivered' })

    // The next sync asks nothing more of finished messages and fires nothing again.
    const before = cc.stats().byRoute['GET /smsMessages/{smsMsgId}'] ?? 0
    expect((await core.call('sims:sync', { account })).fired).toBe(0)
    expect(cc.stats().byRoute['GET /smsMessages/{smsMsgId}'] ?? 0).toBe(before)
    expect(await smsNotifications()).toHaveLength(1)
  })

  it('records the SMS a bulk job sends with the job, and reads them back on demand (alerts:check)', async () => {
    const csv = ['iccid,text', `${sims[0]},FAIL again`, `${sims[1]},fine`].join('\n')
    const job = await core.call('jobs:create', { operation: 'sms', source: { kind: 'csv', text: csv }, params: { text: 'x' } })
    await core.call('jobs:preflight', { jobId: job.id, refresh: true })
    await core.call('jobs:run', { jobId: job.id })
    await core.jobs.settled(job.id)
    const mine = (await records()).filter((r) => r.jobId === job.id)
    expect(mine.map((r) => r.iccid).sort()).toEqual([sims[0], sims[1]].sort())

    peerTime += DELIVERY_MS + 1000
    expect((await core.call('alerts:check', {})).fired).toBe(1)
    const failedOne = mine.find((r) => r.iccid === sims[0])!
    expect((await smsNotifications()).map((n) => n.value)).toContain(failedOne.smsMsgId)
    expect(await smsNotifications()).toHaveLength(2)
  })

  it('marks an id Control Center does not know as lost, and rides out a failing service without failing the sync', async () => {
    const { db } = core.workspace
    const unknown = sentSmsDoc({ carrier: 'jasper', account, iccid: cc.iccids.find((i) => !sims.includes(i))!, smsMsgId: '77', sentAt: new Date().toISOString() })
    await db.put(unknown)
    const sent = await core.call('sim:sendSms', { typeId: 'meter', deviceId: 'm-fail', text: 'FAIL while the service fails' })
    peerTime += DELIVERY_MS + 1000

    cc.faults.set({ kind: 'status', status: 500, path: /\/smsMessages\// })
    try {
      expect(await core.call('sims:sync', { account })).toMatchObject({ account, fired: 0 })
    } finally {
      cc.faults.clear()
    }
    const afterFailure = Object.fromEntries((await records()).map((r) => [r.smsMsgId, r]))
    expect(afterFailure[sent.smsMsgId!]).toMatchObject({ status: null, lost: false })
    expect(afterFailure['77']).toMatchObject({ status: null, lost: false })

    // The service answers again: the unknown id is lost for good (404), the failed message fires once.
    expect((await core.call('sims:sync', { account })).fired).toBe(1)
    const afterRecovery = Object.fromEntries((await records()).map((r) => [r.smsMsgId, r]))
    expect(afterRecovery['77']).toMatchObject({ lost: true, status: null })
    expect(afterRecovery[sent.smsMsgId!]).toMatchObject({ status: 'Failed' })
    const before = cc.stats().byRoute['GET /smsMessages/{smsMsgId}'] ?? 0
    expect((await core.call('sims:sync', { account })).fired).toBe(0)
    expect(cc.stats().byRoute['GET /smsMessages/{smsMsgId}'] ?? 0).toBe(before)
  })

  it('refuses an smsFailed rule with a parameter it does not take', async () => {
    const r = await core.dispatcher.invoke('alerts:add', { id: 'bad', name: 'Bad', condition: { kind: 'smsFailed', failures: 3 } })
    expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect((await core.call('alerts:list', {})).items.map((i) => i.id)).not.toContain('bad')
  })
})
