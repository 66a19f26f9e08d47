/**
 * The audit trail tells the truth about who, what and how it ended: the computer's user as actor, the profile a
 * carrier change went through, the person an invitation is for (still named after it is deleted), and for a change
 * queued in the outbox an outcome that follows the outbox against the Control Center peer — queued while the peer is
 * unreachable, sent once it answers again, failed when the carrier refuses it, discarded when the operator drops it.
 */
import { userInfo } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEntry, AuditFilter } from '../../src-shared/contract'
import { appendAudit } from '../../src-main/core/store/audit.store'
import { tempDir, testCore } from '../helpers/core'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { DEFAULT_API_KEY, startSendGridPeer, type SendGridPeer } from '../peers/sendgrid/sendgrid.peer'

const DEVICE = { typeId: 'meter', deviceId: 'act-1' }

let cc: ControlCenterPeer
let sendgrid: SendGridPeer
let core: Awaited<ReturnType<typeof testCore>>
let cleanup: () => Promise<void>

beforeAll(async () => {
  cc = await startControlCenterPeer()
  sendgrid = await startSendGridPeer()
  const dir = await tempDir()
  cleanup = dir.cleanup
  core = await testCore(dir.dir)
  await core.call('profiles:save', {
    extension: 'jasper',
    name: 'Jasper field ops',
    settings: { baseUrl: cc.url, username: 'ops', concurrency: 1, perSecond: 50 },
    secrets: { apiKey: 'test-api-key' },
  })
  await core.call('devices:add', DEVICE)
  await core.call('devices:saveConfig', { ...DEVICE, text: JSON.stringify({ jasper: { iccid: cc.iccids[0] } }) })
})

afterAll(async () => {
  await core?.close()
  await cc?.close()
  await sendgrid?.close()
  await cleanup?.()
})

async function trail(filter?: AuditFilter): Promise<AuditEntry[]> {
  return (await core.call('audit:list', { query: '', offset: 0, limit: 1000, ...(filter ? { filter } : {}) })).items
}

async function entryOf(outboxId: string): Promise<AuditEntry> {
  const entry = (await trail()).find((e) => e.outboxId === outboxId)
  if (!entry) throw new Error(`no audit entry names ${outboxId}`)
  return entry
}

describe('actor and subject', () => {
  it('names the computer’s user as the actor of a change made through the IPC transport, not "operator"', async () => {
    await core.call('devices:add', { typeId: 'meter', deviceId: 'act-actor' })
    const [entry] = await trail({ action: 'device.add', device: 'meter/act-actor' })
    expect(entry?.actor).toBe(userInfo().username)
  })

  it('names the profile a carrier change went through', async () => {
    await core.call('sim:changeStatus', { ...DEVICE, status: 'activated' })
    const [entry] = await trail({ action: 'sim.changeStatus', device: 'meter/act-1' })
    expect(entry).toMatchObject({ via: 'Jasper field ops', outcome: 'ok' })
  })

  it('names a profile by its name, and keeps the name after the profile is deleted', async () => {
    const saved = await core.call('profiles:save', { extension: 'jasper', name: 'Spare account', settings: { baseUrl: cc.url, username: 'ops' }, secrets: { apiKey: 'test-api-key' } })
    await core.call('profiles:remove', { extension: 'jasper', id: saved.id })
    const names = (await trail()).filter((e) => e.target === `jasper/${saved.id}`).map((e) => [e.action, e.subject])
    expect(names).toEqual([
      ['profile.remove', 'Spare account'],
      ['profile.add', 'Spare account'],
    ])
  })

  it('names an invitation by the person it is for, still after it is deleted', async () => {
    await core.call('mail:saveSettings', {
      mode: 'sendgridApiKey',
      organisation: 'Trail Co',
      settings: { adminName: 'Ada Admin', adminEmail: 'ada@example.org', baseUrl: sendgrid.url },
      secrets: { apiKey: DEFAULT_API_KEY },
    })
    const invitation = await core.call('team:invite', { name: 'Tess Field', email: 'tess@example.org', role: 'operator' })
    await core.call('team:remove', { id: invitation.id })
    const entries = (await trail()).filter((e) => e.target === `invitation/${invitation.id}`)
    expect(entries.map((e) => e.action).sort()).toEqual(['invitation.create', 'invitation.remove', 'invitation.send'])
    for (const e of entries) expect(e.subject).toBe('Tess Field <tess@example.org>')
  })
})

describe('a queued change follows the outbox', () => {
  it('is queued while the peer cannot be reached, then sent once it answers again', async () => {
    cc.faults.set({ kind: 'drop' })
    let outboxId: string
    try {
      outboxId = (await core.call('sim:changeStatus', { ...DEVICE, status: 'deactivated', queue: true })).outboxId!
      expect(await entryOf(outboxId)).toMatchObject({ action: 'sim.changeStatus.queued', outcome: 'queued', via: 'Jasper field ops' })
      const offline = await core.call('outbox:replay', {})
      expect(offline.pending).toBe(1)
      expect((await entryOf(outboxId)).outcome).toBe('queued')
    } finally {
      cc.faults.clear()
    }
    let changed = 0
    const off = core.bus.subscribe((event) => {
      if (event === 'audit:changed') changed++
    })
    try {
      expect(await core.call('outbox:replay', {})).toMatchObject({ done: 1, pending: 0 })
    } finally {
      off()
    }
    const settled = await entryOf(outboxId)
    expect(settled.outcome).toBe('sent')
    expect(settled.error).toBeUndefined()
    expect(changed).toBeGreaterThan(0)
    expect(cc.stats().statusChanges.some((c) => c.iccid === cc.iccids[0] && c.status === 'DEACTIVATED')).toBe(true)
  })

  it('is failed, with the carrier’s translatable reason, when the carrier refuses it', async () => {
    const { outboxId } = await core.call('sim:changeRatePlan', { ...DEVICE, ratePlan: 'No Such Plan', queue: true })
    expect(await core.call('outbox:replay', {})).toMatchObject({ failed: 1 })
    const settled = await entryOf(outboxId!)
    expect(settled.outcome).toBe('failed')
    expect(settled.error?.details?.carrierCode).toBe('10000013')
  })

  it('is discarded when the operator drops it before it was sent', async () => {
    const { outboxId } = await core.call('sim:sendSms', { ...DEVICE, text: 'reboot', queue: true })
    await core.call('outbox:discard', { id: outboxId! })
    expect((await entryOf(outboxId!)).outcome).toBe('discarded')
    const [discarded] = await trail({ action: 'sim.sendSms.discarded' })
    expect(discarded?.outcome).toBe('ok')
  })
})

describe('filters', () => {
  it('narrow by action, actor, device and day, and list every action and actor for the choices', async () => {
    const all = await core.call('audit:list', { query: '', offset: 0, limit: 1000 })
    expect(all.facets.actions).toContain('sim.changeStatus.queued')
    expect(all.facets.actors).toEqual([userInfo().username])
    const device = await trail({ device: 'meter/act-1' })
    expect(device.length).toBeGreaterThan(0)
    expect(device.every((e) => e.target.includes('meter/act-1'))).toBe(true)
    // "meter/act-1" is not a prefix match of another device's id.
    await core.call('devices:add', { typeId: 'meter', deviceId: 'act-10' })
    expect((await trail({ device: 'meter/act-1' })).some((e) => e.target.includes('act-10'))).toBe(false)
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString()
    expect((await trail({ from: hourAgo, to: new Date().toISOString() })).length).toBe(all.total + 1)
    expect(await trail({ to: '2000-01-01T23:59:59.999Z' })).toEqual([])
    expect(await trail({ actor: 'someone-else' })).toEqual([])
  })

  it('bounds the range by instants, so a day is the operator’s own: 00:30 in Paris on 6 December is on the 6th', async () => {
    await appendAudit(core.workspace.db, { at: '2026-12-05T23:30:00.000Z', actor: userInfo().username, action: 'device.add', target: 'meter/paris-1', outcome: 'ok' })
    // 6 December in Paris (UTC+1) as the renderer sends it, then the same instants written with their offset.
    expect(await trail({ device: 'meter/paris-1', from: '2026-12-05T23:00:00.000Z', to: '2026-12-06T22:59:59.999Z' })).toHaveLength(1)
    expect(await trail({ device: 'meter/paris-1', from: '2026-12-06T00:00:00+01:00', to: '2026-12-06T23:59:59.999+01:00' })).toHaveLength(1)
    expect(await trail({ device: 'meter/paris-1', from: '2026-12-06T00:00:00Z' })).toEqual([])
    // A date alone is some zone's day, and the core cannot know whose: refused, where it once meant the UTC day.
    for (const filter of [{ from: '2026-12-06' }, { to: '2026-12-06' }, { from: 'yesterday' }])
      await expect(trail({ device: 'meter/paris-1', ...filter }), JSON.stringify(filter)).rejects.toMatchObject({ bridge: { code: 'VALIDATION' } })
  })
})
