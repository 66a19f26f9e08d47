/**
 * The trash end to end through the dispatcher: each kind deleted, listed and restored as it was (a device with its
 * configuration, metadata, draft, index row and audit history; a profile with its secret still in the vault; a
 * package; an invitation; an alert rule, whose state the SIM inventory's test shows kept); restore refused while the key is taken; emptying clears a deleted profile's secrets and
 * only those; entries past 30 days purged by the clock; a kill -9 after an acknowledged delete or restore loses
 * nothing.
 */
import { spawn } from 'node:child_process'
import { userInfo } from 'node:os'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { ChannelName, Input, Output } from '../../src-shared/contract'
import { createTrashService } from '../../src-main/core/trash/trash.service'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { secretAccount, type SecretStore } from '../../src-main/core/vault/secret-store'
import { profileDocId } from '../../src-main/core/store/profiles.store'
import { newTrashDoc } from '../../src-main/core/store/trash.store'
import { silentLogger, tempDir, testCore } from '../helpers/core'
import { DEFAULT_API_KEY, startSendGridPeer } from '../peers/sendgrid/sendgrid.peer'

type TestCore = Awaited<ReturnType<typeof testCore>>
const DAY = 24 * 60 * 60 * 1000
const KEY = { typeId: 'meter', deviceId: 'tr-1' }
const CONFIG = '{"jasper": {"iccid": "89882167169700049730"}}'
const PACKAGE = JSON.stringify({
  bundleId: 'trash-walk-v1',
  displayName: { en_US: 'trash walk' },
  version: '2.0',
  actions: { reboot: { actionDisplayName: { en_US: 'Reboot' } } },
})

/** The refusal a call answers with (its code and translation key). */
async function refusal<C extends ChannelName>(core: TestCore, channel: C, input: Input<C>): Promise<{ code: string; key: string | undefined }> {
  const r = await core.dispatcher.invoke(channel, input)
  if (r.ok) throw new Error(`${channel} was expected to be refused`)
  return { code: r.error.code, key: r.error.details?.ref?.key }
}

describe('the trash', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  /** `keychain`: the OS keychain (a memory one); `vault`: the workspace's view of it, under the workspace's own names. */
  async function open(keychain: SecretStore = createMemoryStore(), dir?: string): Promise<{ core: TestCore; vault: SecretStore; dir: string }> {
    let dataDir = dir
    if (!dataDir) {
      const t = await tempDir()
      cleanups.push(t.cleanup)
      dataDir = t.dir
    }
    const core = await testCore(dataDir, { vault: keychain })
    cleanups.push(() => core.close())
    return { core, vault: core.vault, dir: dataDir }
  }

  it('brings a deleted device back with its configuration, metadata, draft, index row and audit history', async () => {
    const { core } = await open()
    await core.call('devices:add', { ...KEY, description: 'north meter', metadata: { site: 'north', floor: 2 } })
    await core.call('devices:saveConfig', { ...KEY, text: CONFIG })
    await core.call('devices:saveDraft', { ...KEY, text: '{"jasper": {}}' })
    const before = await core.call('devices:get', KEY)

    const { removed, trashId } = await core.call('devices:remove', KEY)
    expect(removed).toBe(true)
    expect((await refusal(core, 'devices:get', KEY)).code).toBe('NOT_FOUND')
    await expect.poll(async () => (await core.call('devices:query', { query: { text: 'tr-1' } })).total).toBe(0)
    const { items } = await core.call('trash:list', {})
    expect(items).toEqual([expect.objectContaining({ id: trashId, item: 'device', target: 'meter/tr-1', label: 'north meter', deletedBy: userInfo().username })])
    expect(Date.parse(items[0]!.purgeAt) - Date.parse(items[0]!.deletedAt)).toBe(30 * DAY)

    const { restored } = await core.call('trash:restore', { id: trashId })
    expect(restored.target).toBe('meter/tr-1')
    expect(await core.call('devices:get', KEY)).toEqual(before)
    await expect.poll(async () => (await core.call('devices:query', { query: { text: 'tr-1' } })).items.map((d) => d.deviceId)).toEqual(['tr-1'])
    expect((await core.call('trash:list', {})).items).toEqual([])

    const trail = (await core.call('audit:list', { query: 'meter/tr-1', offset: 0, limit: 50 })).items.map((e) => e.action)
    expect(trail).toEqual(['device.restore', 'device.remove', 'device.config.save', 'device.add'])
    // Restoring twice finds nothing to restore.
    expect(await refusal(core, 'trash:restore', { id: trashId })).toEqual({ code: 'NOT_FOUND', key: 'trash.notFound' })
  })

  it('keeps a deleted profile’s secret in the vault, so the restored profile is whole again', async () => {
    const { core, vault } = await open()
    const saved = await core.call('profiles:save', { extension: 'atnt', name: 'Spare', settings: { baseUrl: 'https://cc.example.com', username: 'ops' }, secrets: { apiKey: 'spare-key' } })
    const account = secretAccount(profileDocId('atnt', saved.id), 'apiKey')
    const { trashId } = await core.call('profiles:remove', { extension: 'atnt', id: saved.id })
    expect((await core.call('profiles:list', { extension: 'atnt' })).items).toEqual([])
    expect(await vault.get(account)).toBe('spare-key')

    await core.call('trash:restore', { id: trashId })
    const [back] = (await core.call('profiles:list', { extension: 'atnt' })).items
    expect(back).toMatchObject({ id: saved.id, name: 'Spare', isDefault: true, secrets: { apiKey: true } })
    expect(await core.profiles.secret(await core.profiles.get('atnt', saved.id), 'apiKey')).toBe('spare-key')
  })

  it('restores a profile as the default only when its extension has none now', async () => {
    const { core } = await open()
    const settings = { baseUrl: 'https://cc.example.com', username: 'ops' }
    const first = await core.call('profiles:save', { extension: 'atnt', name: 'First', settings, secrets: { apiKey: 'k1' } })
    const { trashId } = await core.call('profiles:remove', { extension: 'atnt', id: first.id })
    const second = await core.call('profiles:save', { extension: 'atnt', name: 'Second', settings, secrets: { apiKey: 'k2' } })
    await core.call('trash:restore', { id: trashId })
    const items = (await core.call('profiles:list', { extension: 'atnt' })).items
    expect(items.filter((p) => p.isDefault).map((p) => p.id)).toEqual([second.id])
  })

  it('refuses restoring a profile while another of its kind reads as its name, and keeps the entry', async () => {
    const { core, vault } = await open()
    const settings = { baseUrl: 'https://cc.example.com', username: 'ops' }
    const old = await core.call('profiles:save', { extension: 'jasper', name: 'Jasper Nord', settings, secrets: { apiKey: 'old-key' } })
    const { trashId } = await core.call('profiles:remove', { extension: 'jasper', id: old.id })
    const fresh = await core.call('profiles:save', { extension: 'jasper', name: ' jasper nord', settings, secrets: { apiKey: 'new-key' } })
    const r = await core.dispatcher.invoke('trash:restore', { id: trashId })
    if (r.ok) throw new Error('the restore was expected to be refused')
    expect(r.error.code).toBe('CONFLICT')
    expect(r.error.details?.ref).toEqual({ key: 'trash.profileNameTaken', params: { name: 'Jasper Nord', other: 'jasper nord' } })
    expect((await core.call('profiles:list', { extension: 'jasper' })).items.map((p) => p.id)).toEqual([fresh.id])
    expect((await core.call('trash:list', {})).items.map((e) => e.id)).toEqual([trashId])
    expect(await vault.get(secretAccount(profileDocId('jasper', old.id), 'apiKey'))).toBe('old-key')

    // Renamed, the other one no longer stands in the way; a profile of another kind never did.
    await core.call('profiles:save', { extension: 'atnt', name: 'Jasper Nord', settings, secrets: { apiKey: 'k' } })
    await core.call('profiles:save', { extension: 'jasper', id: fresh.id, name: 'Jasper Nord 2', settings, secrets: {} })
    await core.call('trash:restore', { id: trashId })
    expect((await core.call('profiles:list', { extension: 'jasper' })).items.map((p) => p.name).sort()).toEqual(['Jasper Nord', 'Jasper Nord 2'])
  })

  it('brings a deleted package back with its text', async () => {
    const { core } = await open()
    await core.call('packages:add', { text: PACKAGE })
    const { trashId } = await core.call('packages:remove', { bundleId: 'trash-walk-v1' })
    expect((await core.call('packages:list', {})).items).toEqual([])
    expect((await core.call('trash:list', {})).items[0]).toMatchObject({ item: 'package', target: 'trash-walk-v1', label: '2.0' })
    await core.call('trash:restore', { id: trashId })
    expect((await core.call('packages:get', { bundleId: 'trash-walk-v1' })).text).toBe(PACKAGE)
  })

  it('brings a deleted invitation back, and refuses it while its address has another one', async () => {
    const sender = 'admin@example.com'
    const sendgrid = await startSendGridPeer({ verifiedSenders: [sender] })
    cleanups.push(() => sendgrid.close())
    const { core } = await open()
    await core.call('mail:saveSettings', {
      mode: 'sendgridApiKey',
      organisation: 'Trash Co',
      settings: { adminName: 'Ada Admin', adminEmail: sender, baseUrl: sendgrid.url },
      secrets: { apiKey: DEFAULT_API_KEY },
    })
    const invited = await core.call('team:invite', { name: 'Tess', email: 'tess@example.org', role: 'operator' })
    expect(invited.state).toBe('sent')
    const { trashId } = await core.call('team:remove', { id: invited.id })
    expect((await core.call('team:list', {})).items).toEqual([])

    const again = await core.call('team:invite', { name: 'Tess', email: 'Tess@example.org', role: 'viewer' })
    expect(await refusal(core, 'trash:restore', { id: trashId })).toEqual({ code: 'CONFLICT', key: 'trash.invitationTaken' })
    await core.call('team:revoke', { id: again.id })
    await core.call('trash:restore', { id: trashId })
    expect((await core.call('team:list', {})).items.find((i) => i.id === invited.id)).toEqual(invited)
  })

  it('brings a deleted alert rule back as it was, tells the windows, and refuses it while a rule holds its id', async () => {
    const { core } = await open()
    const events: string[] = []
    const off = core.bus.subscribe((event) => events.push(event))
    const rule = await core.call('alerts:add', { id: 'walk-sms', name: 'Chatty SIMs', condition: { kind: 'smsAbove', count: 40 } })
    const { trashId } = await core.call('alerts:remove', { id: 'walk-sms' })
    expect((await core.call('alerts:list', {})).items).toEqual([])
    expect((await core.call('trash:list', {})).items).toEqual([expect.objectContaining({ id: trashId, item: 'alertRule', target: 'alert/walk-sms', label: 'Chatty SIMs' })])
    expect(events).toEqual(expect.arrayContaining(['alerts:changed', 'trash:changed']))

    await core.call('alerts:add', { id: 'walk-sms', name: 'Another', condition: { kind: 'noSession', days: 3 } })
    expect(await refusal(core, 'trash:restore', { id: trashId })).toEqual({ code: 'CONFLICT', key: 'trash.keyTaken' })
    expect((await core.call('alerts:list', {})).items.map((r) => r.name)).toEqual(['Another'])
    await core.call('alerts:remove', { id: 'walk-sms' })

    events.length = 0
    const { restored } = await core.call('trash:restore', { id: trashId })
    off()
    expect(restored).toMatchObject({ item: 'alertRule', target: 'alert/walk-sms' })
    expect((await core.call('alerts:list', {})).items).toEqual([rule])
    expect(events).toEqual(expect.arrayContaining(['alerts:changed', 'trash:changed', 'audit:changed']))
    const trail = (await core.call('audit:list', { query: 'alert/walk-sms', offset: 0, limit: 50 })).items.map((e) => e.action)
    expect(trail).toEqual(['alertRule.restore', 'alerts.remove', 'alerts.add', 'alerts.remove', 'alerts.add'])
  })

  it('refuses a restore while something holds the same key, and keeps the entry', async () => {
    const { core } = await open()
    await core.call('devices:add', { ...KEY, description: 'old' })
    const { trashId } = await core.call('devices:remove', KEY)
    await core.call('devices:add', { ...KEY, description: 'new' })
    expect(await refusal(core, 'trash:restore', { id: trashId })).toEqual({ code: 'CONFLICT', key: 'trash.keyTaken' })
    expect((await core.call('devices:get', KEY)).description).toBe('new')
    expect((await core.call('trash:list', {})).items.map((e) => e.id)).toEqual([trashId])
  })

  it('refuses bad ids with a translated error and changes nothing', async () => {
    const { core } = await open()
    expect((await refusal(core, 'trash:restore', { id: 'not-an-id' })).code).toBe('VALIDATION')
    expect(await refusal(core, 'trash:restore', { id: '0123456789abcdef' })).toEqual({ code: 'NOT_FOUND', key: 'trash.notFound' })
    expect((await refusal(core, 'trash:empty', { all: true } as never)).code).toBe('VALIDATION')
  })

  it('clears a deleted profile’s secrets from the vault when the trash is emptied, and no other secret', async () => {
    const { core, vault } = await open()
    const settings = { baseUrl: 'https://cc.example.com', username: 'ops' }
    const gone = await core.call('profiles:save', { extension: 'atnt', name: 'Gone', settings, secrets: { apiKey: 'gone-key', password: 'gone-pw', licenseKey: 'gone-lic' } })
    const kept = await core.call('profiles:save', { extension: 'atnt', name: 'Kept', settings, secrets: { apiKey: 'kept-key' } })
    await core.call('profiles:remove', { extension: 'atnt', id: gone.id })
    await core.call('devices:add', { ...KEY, description: 'x' })
    await core.call('devices:remove', KEY)

    expect(await core.call('trash:empty', {})).toEqual({ purged: 2 })
    for (const field of ['apiKey', 'password', 'licenseKey']) expect(await vault.has(secretAccount(profileDocId('atnt', gone.id), field))).toBe(false)
    expect(await vault.get(secretAccount(profileDocId('atnt', kept.id), 'apiKey'))).toBe('kept-key')
    expect((await core.call('trash:list', {})).items).toEqual([])
    const [entry] = (await core.call('audit:list', { query: 'trash.empty', offset: 0, limit: 5 })).items
    expect(entry).toMatchObject({ action: 'trash.empty', actor: userInfo().username, target: 'trash' })
    expect(await core.call('trash:empty', {})).toEqual({ purged: 0 })
  })

  it('purges entries older than 30 days, with their secrets, and keeps younger ones', async () => {
    const { core, vault } = await open()
    const old = await core.call('profiles:save', { extension: 'atnt', name: 'Old', settings: { baseUrl: 'https://cc.example.com', username: 'ops' }, secrets: { apiKey: 'old-key' } })
    await core.call('profiles:remove', { extension: 'atnt', id: old.id })
    const [profileEntry] = (await core.call('trash:list', {})).items
    // The device is deleted at least a millisecond after the profile, so one instant lies between their purges.
    await expect.poll(() => Date.now()).toBeGreaterThan(Date.parse(profileEntry!.deletedAt) + 1)
    await core.call('devices:add', { ...KEY, description: 'young' })
    await core.call('devices:remove', KEY)
    let now = Date.parse(profileEntry!.deletedAt) + 29 * DAY
    const trash = createTrashService({ db: core.workspace.db, vault, bus: core.bus, logger: silentLogger, now: () => new Date(now) })

    expect(await trash.purgeExpired()).toBe(0)
    now = Date.parse(profileEntry!.purgeAt)
    expect(await trash.purgeExpired()).toBe(1)
    expect((await core.call('trash:list', {})).items.map((e) => e.item)).toEqual(['device'])
    expect(await vault.has(secretAccount(profileDocId('atnt', old.id), 'apiKey'))).toBe(false)
    const [entry] = (await core.call('audit:list', { query: 'trash.purge', offset: 0, limit: 5 })).items
    expect(entry).toMatchObject({ action: 'trash.purge', actor: 'fieldline', target: 'trash' })
  })

  it('keeps a purged profile’s secrets while another trash entry can still restore it', async () => {
    const { core, vault } = await open()
    const settings = { baseUrl: 'https://cc.example.com', username: 'ops' }
    const saved = await core.call('profiles:save', { extension: 'atnt', name: 'Twice', settings, secrets: { apiKey: 'twice-key' } })
    const profile = await core.profiles.get('atnt', saved.id)
    await core.call('profiles:remove', { extension: 'atnt', id: saved.id })
    // An older deletion of the same profile, as a teammate's trash or an earlier delete left it.
    const older = newTrashDoc({ item: 'profile', target: `atnt/${saved.id}`, label: 'Twice', deletedAt: new Date(Date.now() - 31 * DAY).toISOString(), deletedBy: 'operator', docs: [profile] })
    await core.workspace.db.put(older)
    const account = secretAccount(profile._id, 'apiKey')
    const trash = createTrashService({ db: core.workspace.db, vault, bus: core.bus, logger: silentLogger })

    expect(await trash.purgeExpired()).toBe(1)
    expect(await vault.get(account)).toBe('twice-key')
    expect(await core.call('trash:empty', {})).toEqual({ purged: 1 })
    expect(await vault.has(account)).toBe(false)
  })

  it('purges entries past their 30 days when the workspace opens', async () => {
    const t = await tempDir()
    cleanups.push(t.cleanup)
    const keychain = createMemoryStore()
    let account = ''
    {
      const { core, vault } = await open(keychain, t.dir)
      const saved = await core.call('profiles:save', { extension: 'atnt', name: 'Stale', settings: { baseUrl: 'https://cc.example.com', username: 'ops' }, secrets: { apiKey: 'stale-key' } })
      const profile = await core.profiles.get('atnt', saved.id)
      account = secretAccount(profile._id, 'apiKey')
      // A deletion of 31 days ago, as that release wrote it.
      const stale = newTrashDoc({ item: 'profile', target: `atnt/${saved.id}`, label: 'Stale', deletedAt: new Date(Date.now() - 31 * DAY).toISOString(), deletedBy: 'operator', docs: [profile] })
      await core.workspace.db.bulkDocs([{ _id: profile._id, _rev: profile._rev, _deleted: true } as never, stale])
      expect((await core.call('trash:list', {})).items).toHaveLength(1)
      expect(await vault.get(account)).toBe('stale-key')
      await core.close()
      cleanups.pop()
    }
    const { core, vault } = await open(keychain, t.dir)
    await expect.poll(async () => (await core.call('trash:list', {})).items).toEqual([])
    await expect.poll(() => vault.has(account)).toBe(false)
    const [entry] = (await core.call('audit:list', { query: 'trash.purge', offset: 0, limit: 5 })).items
    expect(entry).toMatchObject({ action: 'trash.purge', actor: 'fieldline' })
  })

  it('loses nothing acknowledged when the process is killed with SIGKILL after a delete, then after a restore', async () => {
    const t = await tempDir()
    cleanups.push(t.cleanup)
    const writer = fileURLToPath(new URL('./fixtures/trash-writer.ts', import.meta.url))
    const run = async (args: string[]): Promise<string> => {
      const child = spawn(process.execPath, ['--import', 'tsx', writer, t.dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
      const line = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          if (out.includes('\n')) {
            child.kill('SIGKILL')
            resolve(out.trim())
          }
        })
        child.on('exit', () => reject(new Error(`trash writer exited early: ${stderr}`)))
      })
      expect(await exited).toBe('SIGKILL')
      return line
    }

    const trashId = await run(['delete'])
    {
      const { core } = await open(createMemoryStore(), t.dir)
      expect((await refusal(core, 'devices:get', { typeId: 'meter', deviceId: 'kill-1' })).code).toBe('NOT_FOUND')
      expect((await core.call('trash:list', {})).items.map((e) => e.id)).toEqual([trashId])
      await core.close()
      cleanups.pop()
    }
    expect(await run(['restore', trashId])).toBe('restored')
    const { core } = await open(createMemoryStore(), t.dir)
    expect(await core.call('devices:get', { typeId: 'meter', deviceId: 'kill-1' })).toMatchObject({ description: 'killed meter', metadata: { site: 'north' }, extensionConfig: JSON.parse(CONFIG) })
    expect((await core.call('trash:list', {})).items).toEqual([])
    await expect.poll(async () => (await core.call('devices:query', { query: { text: 'kill-1' } })).total).toBe(1)
  })
})

export type { Output }
