import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import PouchDB from 'pouchdb'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { CycleUsage, Sim } from '../../src-shared/models/sim'
import { writeSimCache, writeUsageCache } from '../../src-main/core/store/cache.store'
import type { BaseDoc } from '../../src-main/core/store/documents'
import { checkSchema, runMigrations, upgradeDoc } from '../../src-main/core/store/migrations'
import { newOutboxDoc } from '../../src-main/core/store/outbox.store'
import { getProfile, listProfiles, newProfileDoc } from '../../src-main/core/store/profiles.store'
import { openHistoryCache } from '../../src-main/core/store/history-cache.store'
import { newTicketDoc } from '../../src-main/core/store/tickets.store'
import { CURRENT_SCHEMA, MIGRATIONS, type Migration } from '../../src-main/core/store/schema'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { sentSmsDoc } from '../../src-main/core/store/sent-sms.store'
import { writeCheckpoint } from '../../src-main/core/sims/inventory.store'
import { newTicketsLeftDoc } from '../../src-main/core/jobs/jobs.store'
import { tempDir, testCore } from '../helpers/core'
import { DEFAULT_API_KEY, startSendGridPeer, type SendGridPeer } from '../peers/sendgrid/sendgrid.peer'

/**
 * A test-only release history stands in for releases that have not happened yet, so every path of the migration
 * machinery runs against a real workspace. The device document went through three versions: version 1 kept the
 * description under `label`, version 2 renamed it, version 3 (today's shape) parses the extension configuration that
 * version 2 kept as JSON text. Every other kind had one release that only raised its version (an optional field
 * added). The whole core runs against this history: its writers, its start-up migration and its reads.
 */
const history = vi.hoisted(() => {
  type Doc = { _id: string; kind: string; schemaVersion: number } & Record<string, unknown>
  const labelToDescription = {
    kind: 'device',
    from: 1,
    to: 2,
    up: (doc: Doc): Doc => {
      const { label, ...rest } = doc
      return { ...rest, description: typeof label === 'string' ? label : '' }
    },
  }
  const parseConfigText = {
    kind: 'device',
    from: 2,
    to: 3,
    up: (doc: Doc): Doc => {
      const { extensionConfigText, ...rest } = doc
      return { ...rest, extensionConfig: typeof extensionConfigText === 'string' ? (JSON.parse(extensionConfigText) as unknown) : null }
    },
  }
  return { labelToDescription, parseConfigText }
})

vi.mock('../../src-main/core/store/schema', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src-main/core/store/schema')>()
  const others = Object.keys(real.CURRENT_SCHEMA).filter((kind) => kind !== 'device')
  return {
    ...real,
    CURRENT_SCHEMA: { ...Object.fromEntries(others.map((kind) => [kind, 2])), device: 3 },
    MIGRATIONS: [history.labelToDescription, history.parseConfigText, ...others.map((kind) => ({ kind, from: 1, to: 2, up: (doc: BaseDoc) => doc }))],
  }
})

const [labelToDescription, parseConfigText] = [history.labelToDescription, history.parseConfigText] as unknown as [Migration, Migration]
const ICCID = '8988216716970004975'
const AT = '2026-01-05T10:00:00.000Z'

/** A device document as the release that wrote `version` shaped it. */
function deviceAt(version: 1 | 2 | 3, deviceId: string): BaseDoc {
  const base = { _id: `device:meter:${deviceId}`, kind: 'device', schemaVersion: version, typeId: 'meter', deviceId, metadata: { site: 'North' }, createdAt: AT, updatedAt: AT }
  const config = { jasper: { iccid: ICCID } }
  if (version === 1) return { ...base, label: `Meter ${deviceId}`, extensionConfigText: JSON.stringify(config) } as BaseDoc
  if (version === 2) return { ...base, description: `Meter ${deviceId}`, extensionConfigText: JSON.stringify(config) } as BaseDoc
  return { ...base, description: `Meter ${deviceId}`, extensionConfig: config } as BaseDoc
}

/** The documents as stored on disk, read without the upgrading seam the core reads through. */
async function stored(location: string): Promise<Map<string, BaseDoc>> {
  const db = new PouchDB<BaseDoc>(location)
  try {
    const page = await db.allDocs({ include_docs: true })
    return new Map(page.rows.map((r) => [r.id, r.doc as BaseDoc]))
  } finally {
    await db.close()
  }
}

async function seed(location: string, docs: BaseDoc[]): Promise<void> {
  const db = new PouchDB<BaseDoc>(location)
  try {
    const results = await db.bulkDocs(docs)
    expect(results.every((r) => 'ok' in r && r.ok)).toBe(true)
  } finally {
    await db.close()
  }
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function dataDir(): Promise<string> {
  const t = await tempDir('fieldline-migrations-')
  cleanups.push(t.cleanup)
  return t.dir
}

describe('schema releases', () => {
  it('accepts the released schema and this file’s test history', async () => {
    const released = await vi.importActual<typeof import('../../src-main/core/store/schema')>('../../src-main/core/store/schema')
    expect(() => checkSchema(released.CURRENT_SCHEMA, released.MIGRATIONS)).not.toThrow()
    expect(() => checkSchema(CURRENT_SCHEMA, MIGRATIONS)).not.toThrow()
    expect(MIGRATIONS.filter((m) => m.kind === 'device').map((m) => `${m.from}->${m.to}`)).toEqual(['1->2', '2->3'])
  })

  const step = (kind: string, from: number, to = from + 1): Migration => ({ kind, from, to, up: (doc) => doc })
  it.each([
    ['a kind without a current version', { device: 1 }, [step('widget', 1)], /widget@1->2: the kind has no current schema version/],
    ['a step beyond the current version', { device: 2 }, [step('device', 1), step('device', 2)], /device@2->3: device is written at version 2/],
    ['a step that skips a version', { device: 3 }, [step('device', 1, 3)], /raises the version by exactly one/],
    ['a gap in the chain', { device: 4 }, [step('device', 1), step('device', 3)], /expected the step from version 2 of device/],
    ['steps out of order', { device: 3 }, [step('device', 2), step('device', 1)], /expected the step from version 1 of device/],
    ['a current version no step reaches', { device: 3 }, [step('device', 1)], /device is written at version 3 but no migration reaches it from version 2/],
  ])('refuses %s', (_name, current, migrations, message) => {
    expect(() => checkSchema(current, migrations)).toThrow(message)
  })
})

describe('writers', () => {
  let peer: SendGridPeer
  beforeAll(async () => {
    peer = await startSendGridPeer({ verifiedSenders: ['admin@example.com'] })
    return () => peer.close()
  })

  it('write every kind at its current version, never a literal one', async () => {
    const dir = await dataDir()
    const core = await testCore(dir)
    try {
      await core.call('devices:add', { typeId: 'meter', deviceId: 'm-1', description: 'North' })
      await core.call('devices:saveDraft', { typeId: 'meter', deviceId: 'm-1', text: '{"jasper": {' })
      await core.call('packages:add', {
        text: JSON.stringify({ bundleId: 'pump-actions', displayName: { en_US: 'Pump' }, actions: { flush: { actionDisplayName: { en_US: 'Flush' } } } }),
        replace: false,
      })
      await core.call('mail:saveSettings', {
        mode: 'sendgridApiKey',
        organisation: 'Acme Field Ops',
        settings: { adminName: 'Ada Admin', adminEmail: 'admin@example.com', baseUrl: peer.url },
        secrets: { apiKey: DEFAULT_API_KEY },
      })
      await core.call('team:invite', { name: 'Tess', email: 'tess@example.org', role: 'viewer' })
      await core.call('weather:saveSettings', { provider: 'open-meteo', units: 'metric', language: 'en' })
      const { jobId } = await core.call('import:start', { fileName: 'more.csv' })
      await core.call('import:chunk', { jobId, data: Buffer.from('typeId,deviceId\nmeter,m-2\n').toString('base64') })
      await core.call('import:finish', { jobId })
      // A deleted device stays whole in a trash document.
      await core.call('devices:remove', { typeId: 'meter', deviceId: 'm-2' })
      const abi = JSON.stringify([{ type: 'function', name: 'set', inputs: [{ name: 'v', type: 'uint256' }], outputs: [], stateMutability: 'nonpayable' }])
      const ledgerSettings = { kind: 'evm' as const, rpcUrl: 'http://127.0.0.1:9', chainId: 31337, contract: '0x8464135c8f25da09e49bc8782676a84730c318bc', abi }
      const target = await core.call('ledger:saveTarget', { name: 'Chain', settings: ledgerSettings, secrets: {} })
      const route = await core.call('ledger:saveRoute', {
        name: 'R',
        targetId: target.id,
        deviceType: 'meter',
        eventId: 'status',
        function: 'set',
        rows: [{ parameter: 'v', source: { kind: 'path', path: 'd.v' } }],
      })
      await core.call('ledger:submit', { routeId: route.id, sample: '{"d": {"v": 1}}' })
      await core.call('ledger:start', {})
      // Team sync's two per-machine documents: its settings, and its state (written by clearing the refused list).
      await core.call('sync:saveSettings', { url: 'https://couch.example.com', database: 'team', username: 'ops', secrets: { password: 'pw' }, offline: true })
      await core.call('sync:clearDenied', {})
      const { db } = core.workspace
      await db.put(newProfileDoc({ extension: 'jasper', id: 'ops', name: 'Ops', settings: {}, secretFields: ['apiKey'] }, AT))
      await db.put(
        newOutboxDoc(
          { action: 'sim.changeStatus', target: 'meter/m-1', carrier: 'jasper', iccid: ICCID, params: { status: 'ACTIVATED' }, device: { typeId: 'meter', deviceId: 'm-1' }, profileId: 'ops' },
          AT,
        ),
      )
      await writeSimCache(db, { carrier: 'jasper', iccid: ICCID, fetchedAt: AT, monthToDate: { dataBytes: 10, smsCount: 0, voiceSeconds: 0, sessionCount: null } } as Sim)
      // The SIM inventory: a rule, what it fires over the cached SIM (a notification, and its state), a sync checkpoint.
      await core.call('alerts:add', { id: 'data', name: 'Data', condition: { kind: 'dataAbove', bytes: 1 } })
      await core.call('alerts:check', {})
      await core.call('sims:saveSearch', { id: 'active', name: 'Active', query: { filters: { status: ['activated'] } } })
      await writeCheckpoint(db, 'jasper:ops', { since: null, lastSyncAt: null, run: null, failures: 0, lastError: null })
      await writeUsageCache(db, { carrier: 'jasper', iccid: ICCID, cycleStartDate: '2026-01-01', fetchedAt: AT } as CycleUsage)
      await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: `iccid\n${ICCID}` }, params: { status: 'activated' } })
      // The marker of a cancelled job whose rows await open Orange tickets (written by the cancel, here alone).
      await db.put(newTicketsLeftDoc('j-1'))
      // An SMS sent through Control Center, recorded for its delivery status to be read back.
      await db.put(sentSmsDoc({ carrier: 'jasper', account: 'jasper:ops', iccid: ICCID, smsMsgId: '4302000001', sentAt: AT }))
      await db.put(
        newTicketDoc({
          operation: 'status',
          ticketNumber: 1,
          account: { baseUrl: 'https://iosw-ba.orange.com/MLM', username: 'ops' },
          profileId: null,
          serialNumber: '1668007370011',
          device: null,
          requestedStatus: 'ACTIVATED',
          testMode: null,
          statusBefore: 'SLEEPING',
          state: 'WAITING',
          final: false,
          errorCode: null,
          errorMessage: null,
          lines: [],
          unknownLines: [],
          submittedAt: AT,
          updatedAt: AT,
          nextPollAt: AT,
          polls: 0,
          lastError: null,
          finishedAt: null,
          actor: 'operator',
          location: null,
        }),
      )
    } finally {
      await core.close()
    }
    // The device history read back from the historian's buckets is kept in a database of its own, beside the workspace.
    const cache = openHistoryCache(dir)
    await cache
      .put('walk', [{ id: 'org1:meter:m-1:2026-01-05T10:00:00.000Z:status:a-1', typeId: 'meter', deviceId: 'm-1', eventId: 'status', format: 'json', timestamp: AT, data: { t: 21 } }], AT)
      .finally(() => cache.close())
    const versions: Record<string, number[]> = {}
    // The per-machine documents with a kind: `_local` documents are not listed by allDocs.
    const local = new PouchDB<BaseDoc>(join(dir, 'workspace'))
    const locals = await Promise.all(['_local/imports', '_local/sims-sync:jasper:ops', '_local/alert-state:data', '_local/sync-settings', '_local/sync-state'].map((id) => local.get(id))).finally(() =>
      local.close(),
    )
    for (const doc of [...(await stored(join(dir, 'workspace'))).values(), ...(await stored(join(dir, 'history-cache'))).values(), ...locals]) {
      if (doc.kind) versions[doc.kind] = [...new Set([...(versions[doc.kind] ?? []), doc.schemaVersion])]
    }
    expect(versions).toEqual(Object.fromEntries(Object.entries(CURRENT_SCHEMA).map(([kind, version]) => [kind, [version]])))
  })
})

describe('start-up migration', () => {
  it.each([
    ['version 1', [deviceAt(1, 'a'), deviceAt(1, 'b')]],
    ['version 2', [deviceAt(2, 'a'), deviceAt(2, 'b')]],
    ['versions 1, 2 and 3 at once', [deviceAt(1, 'a'), deviceAt(2, 'b'), deviceAt(3, 'c')]],
  ])('upgrades a workspace last written at %s, after copying it to backups/', async (_name, devices) => {
    const dir = await dataDir()
    const profile = { ...newProfileDoc({ extension: 'jasper', id: 'ops', name: 'Ops', settings: {}, secretFields: [] }, AT), schemaVersion: 1 }
    await seed(join(dir, 'workspace'), [...devices, profile])

    const core = await testCore(dir)
    try {
      expect(await core.call('devices:list', { query: '', offset: 0, limit: 10 })).toMatchObject({
        items: devices.map((d) => ({ deviceId: (d as BaseDoc & { deviceId: string }).deviceId, description: `Meter ${(d as BaseDoc & { deviceId: string }).deviceId}`, extensions: ['jasper'] })),
      })
      expect(await core.call('devices:get', { typeId: 'meter', deviceId: 'a' })).toMatchObject({ description: 'Meter a', extensionConfig: { jasper: { iccid: ICCID } } })
    } finally {
      await core.close()
    }

    const after = await stored(join(dir, 'workspace'))
    for (const d of devices) {
      const doc = after.get(d._id)!
      expect(doc).toMatchObject({ schemaVersion: 3, description: `Meter ${d._id.split(':')[2]}`, extensionConfig: { jasper: { iccid: ICCID } } })
      expect(doc).not.toHaveProperty('label')
      expect(doc).not.toHaveProperty('extensionConfigText')
    }
    expect(after.get(profile._id)).toMatchObject({ schemaVersion: 2, name: 'Ops' })

    const backups = await readdir(join(dir, 'backups'))
    expect(backups).toHaveLength(1)
    const copy = await stored(join(dir, 'backups', backups[0]!))
    for (const d of devices) expect(copy.get(d._id)).toMatchObject({ schemaVersion: d.schemaVersion })
    expect(copy.get(profile._id)).toMatchObject({ schemaVersion: 1 })
  })

  it('finds nothing to do on the next start: no new backup, no new revision', async () => {
    const dir = await dataDir()
    await seed(join(dir, 'workspace'), [deviceAt(1, 'a')])
    await (await openWorkspace(dir)).close()
    const rev = (await stored(join(dir, 'workspace'))).get('device:meter:a')!._rev
    expect(rev?.startsWith('3-')).toBe(true)
    await (await openWorkspace(dir)).close()
    expect((await stored(join(dir, 'workspace'))).get('device:meter:a')!._rev).toBe(rev)
    expect(await readdir(join(dir, 'backups'))).toHaveLength(1)
  })

  it('touches nothing when the backup cannot be made', async () => {
    const dir = await dataDir()
    const db = new PouchDB<BaseDoc>(join(dir, 'workspace'))
    cleanups.push(() => db.close())
    await db.bulkDocs([deviceAt(1, 'a')])
    const notADirectory = join(dir, 'backups-file')
    await writeFile(notADirectory, 'in the way')

    await expect(runMigrations(db, [labelToDescription], { backupDir: notADirectory })).rejects.toThrow(/EEXIST|ENOTDIR/)
    expect(await db.get('device:meter:a')).toMatchObject({ schemaVersion: 1, label: 'Meter a' })
    // Nothing was recorded as applied: with a usable backup directory the same migration runs.
    expect(await runMigrations(db, [labelToDescription], { backupDir: join(dir, 'backups') })).toEqual(['device@1->2'])
  })

  it('resumes an interrupted migration where it stopped', async () => {
    const dir = await dataDir()
    const db = new PouchDB<BaseDoc>(join(dir, 'workspace'))
    cleanups.push(() => db.close())
    const ids = ['a', 'b', 'c', 'd', 'e']
    await db.bulkDocs(ids.map((id) => deviceAt(1, id)))
    const options = { backupDir: join(dir, 'backups'), batchSize: 2 }

    // The process dies while the second batch of the second step is being prepared.
    const dying: Migration = {
      ...parseConfigText,
      up: (doc) => {
        if (doc._id === 'device:meter:d') throw new Error('power cut')
        return parseConfigText.up(doc)
      },
    }
    await expect(runMigrations(db, [labelToDescription, dying], options)).rejects.toThrow('power cut')
    const versions = async () => Object.fromEntries(await Promise.all(ids.map(async (id) => [id, (await db.get(`device:meter:${id}`)).schemaVersion])))
    expect(await versions()).toEqual({ a: 3, b: 3, c: 2, d: 2, e: 2 })

    const upgraded: string[] = []
    const counting: Migration = { ...parseConfigText, up: (doc) => (upgraded.push(doc._id), parseConfigText.up(doc)) }
    expect(await runMigrations(db, [labelToDescription, counting], options)).toEqual(['device@2->3'])
    expect(upgraded).toEqual(['device:meter:c', 'device:meter:d', 'device:meter:e'])
    expect(await versions()).toEqual({ a: 3, b: 3, c: 3, d: 3, e: 3 })
    expect(await db.get('device:meter:e')).toMatchObject({ description: 'Meter e', extensionConfig: { jasper: { iccid: ICCID } } })
  })

  it('does not record a migration whose write was refused for one document, and finishes it on the next start', async () => {
    const dir = await dataDir()
    const db = new PouchDB<BaseDoc>(join(dir, 'workspace'))
    cleanups.push(() => db.close())
    await db.bulkDocs([deviceAt(1, 'a'), deviceAt(1, 'b'), deviceAt(1, 'c')])
    const options = { backupDir: join(dir, 'backups') }

    // A teammate's edit of b is replicated in between the migration's read and its write: PouchDB refuses that one
    // row with a conflict and writes the others.
    const bulkDocs = db.bulkDocs.bind(db)
    vi.spyOn(db, 'bulkDocs').mockImplementationOnce(async (docs) => {
      const b = await db.get('device:meter:b')
      await db.put({ ...b, label: 'Meter b (edited by a teammate)' } as BaseDoc & { _rev: string })
      return bulkDocs(docs)
    })
    await expect(runMigrations(db, [labelToDescription], options)).rejects.toThrow(/1 write\(s\) failed: conflict/)
    expect(await db.get('device:meter:a')).toMatchObject({ schemaVersion: 2 })
    expect(await db.get('device:meter:b')).toMatchObject({ schemaVersion: 1, label: 'Meter b (edited by a teammate)' })

    expect(await runMigrations(db, [labelToDescription], options)).toEqual(['device@1->2'])
    expect(await db.get('device:meter:b')).toMatchObject({ schemaVersion: 2, description: 'Meter b (edited by a teammate)' })
  })

  it('stops when the record of applied migrations cannot be read, instead of running them again', async () => {
    const dir = await dataDir()
    const db = new PouchDB<BaseDoc>(join(dir, 'workspace'))
    cleanups.push(() => db.close())
    await db.bulkDocs([deviceAt(1, 'a')])
    const ran: string[] = []
    const watched: Migration = { ...labelToDescription, up: (doc) => (ran.push(doc._id), labelToDescription.up(doc)) }

    vi.spyOn(db, 'get').mockRejectedValueOnce(Object.assign(new Error('LevelDB read failed'), { status: 500 }))
    await expect(runMigrations(db, [watched], { backupDir: join(dir, 'backups') })).rejects.toThrow('LevelDB read failed')
    expect(ran).toEqual([])

    await (db as unknown as PouchDB.Database<{ applied: unknown }>).put({ _id: '_local/fieldline-migrations', applied: 'device@1->2' })
    await expect(runMigrations(db, [watched], { backupDir: join(dir, 'backups') })).rejects.toThrow(/applied/)
    expect(ran).toEqual([])
  })
})

describe('reads', () => {
  it('upgrades documents a teammate replicated in after this workspace was migrated, wherever they are read', async () => {
    const dir = await dataDir()
    const teammate = new PouchDB<BaseDoc>(join(dir, 'teammate'))
    cleanups.push(() => teammate.close())
    const profile = { ...newProfileDoc({ extension: 'jasper', id: 'field', name: 'Field', settings: {}, secretFields: [] }, AT), schemaVersion: 1 }
    await teammate.bulkDocs([deviceAt(1, 'a'), deviceAt(2, 'b'), profile])

    // This workspace is already at today's schema; the old documents arrive afterwards by replication.
    const ws = await openWorkspace(dir)
    await ws.db.replicate.from(teammate)
    await ws.close()

    const core = await testCore(dir)
    try {
      // The device list (an allDocs scan at start) and a device (a get) show today's shape.
      expect(await core.call('devices:list', { query: '', offset: 0, limit: 10 })).toEqual({
        total: 2,
        items: [
          { typeId: 'meter', deviceId: 'a', description: 'Meter a', extensions: ['jasper'] },
          { typeId: 'meter', deviceId: 'b', description: 'Meter b', extensions: ['jasper'] },
        ],
      })
      expect(await core.call('devices:get', { typeId: 'meter', deviceId: 'b' })).toMatchObject({ description: 'Meter b', extensionConfig: { jasper: { iccid: ICCID } } })
      // Another store's get and allDocs read through the same seam.
      expect(await getProfile(core.workspace.db, 'jasper', 'field')).toMatchObject({ schemaVersion: 2, name: 'Field' })
      expect(await listProfiles(core.workspace.db, 'jasper')).toEqual([expect.objectContaining({ _id: profile._id, schemaVersion: 2 })])
      // A module that writes a document back writes today's version.
      await core.call('devices:saveConfig', { typeId: 'meter', deviceId: 'a', text: JSON.stringify({ jasper: { iccid: ICCID } }) })
    } finally {
      await core.close()
    }

    const after = await stored(join(dir, 'workspace'))
    expect(after.get('device:meter:a')).toMatchObject({ schemaVersion: 3, description: 'Meter a', extensionConfig: { jasper: { iccid: ICCID } } })
    expect(after.get('device:meter:a')).not.toHaveProperty('label')
    // Read, never written: still as the teammate wrote them (replication and backups carry documents as stored).
    expect(after.get('device:meter:b')).toMatchObject({ schemaVersion: 2, extensionConfigText: JSON.stringify({ jasper: { iccid: ICCID } }) })
    expect(after.get(profile._id)).toMatchObject({ schemaVersion: 1 })
  })
})

describe('upgradeDoc', () => {
  it('applies every step from a document’s version in one call and leaves other kinds and newer documents alone', () => {
    const upgraded = upgradeDoc({ ...deviceAt(1, 'a'), _rev: '1-x' }, MIGRATIONS)
    expect(upgraded).toEqual({ ...deviceAt(3, 'a'), _rev: '1-x' })
    const audit = { _id: 'audit:x', kind: 'audit', schemaVersion: 2 }
    expect(upgradeDoc(audit, MIGRATIONS)).toBe(audit)
    const future = { ...deviceAt(3, 'z'), schemaVersion: 4 }
    expect(upgradeDoc(future, MIGRATIONS)).toBe(future)
  })
})

describe('profiles', () => {
  it('keeps extension profiles with secret references only', async () => {
    const ws = await openWorkspace(await dataDir())
    cleanups.push(() => ws.close())
    await ws.db.put(newProfileDoc({ extension: 'jasper', id: 'ops', name: 'Ops', settings: { host: 'restapi1.jasper.com', username: 'ops' }, secretFields: ['apiKey', 'apiKey'] }, AT))
    await ws.db.put(newProfileDoc({ extension: 'orange', id: 'fr', name: 'FR', settings: {}, secretFields: [] }, AT))
    expect((await listProfiles(ws.db, 'jasper')).map((p) => p._id)).toEqual(['profile:jasper:ops'])
    expect(await listProfiles(ws.db)).toHaveLength(2)
    expect(await getProfile(ws.db, 'jasper', 'ops')).toMatchObject({ secretFields: ['apiKey'], schemaVersion: CURRENT_SCHEMA.profile })
  })
})
