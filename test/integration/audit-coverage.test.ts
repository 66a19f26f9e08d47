/**
 * Every operator action that changes something writes an audit entry. The channels come from the contract: each one
 * is either in the reviewed list of read-only channels below (with why it changes nothing an operator decided), or
 * in the table of changing channels, which runs it for real (peers, mosquitto) and looks for its entry. A channel
 * added to the contract without being placed in one of the two fails the first test; one placed in the table
 * without writing its entry fails the second.
 */
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHANNEL_NAMES, type AuditEntry, type ChannelName, type Input, type Output } from '../../src-shared/contract'
import en from '../../src-renderer/src/i18n/en.json'
import fr from '../../src-renderer/src/i18n/fr.json'
import { tempDir, testCore } from '../helpers/core'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { startMbedPeer, type MbedPeer } from '../peers/mbed/mbed.peer'
import { createOrangeClient } from '../../src-main/core/carriers/orange/orange.client'
import { startOrangePeer, type OrangePeer } from '../peers/orange/orange.peer'
import { DEFAULT_API_KEY, startSendGridPeer, type SendGridPeer } from '../peers/sendgrid/sendgrid.peer'
import { PEER_API_KEY, PEER_TOKEN, startPlatformRestPeer, type PlatformRestPeer } from '../peers/platform-rest/platform-rest.peer'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { encodeInvitationCode } from '../../src-main/core/sync/invitation-code'
import { assetRoute, evmTarget, FAST_LEDGER, sample } from '../helpers/ledger'
import { deployAssetTracker, fundedKey, startAnvil, type Anvil } from '../peers/evm/anvil'
import { IMPORT_BATCH } from '../../src-main/core/devices/import.service'
import type { Db } from '../../src-main/core/store/documents'
import { readInvitation, type InvitationDoc } from '../../src-main/core/team/invitations.store'

/** Channels that change nothing an operator decided; each reason was reviewed. */
const READ_ONLY: Partial<Record<ChannelName, string>> = {
  'app:info': 'describes the running core',
  'settings:get': 'reads settings',
  'devices:list': 'reads the device index',
  'devices:query': 'reads the device index (and the metadata of the rows it returns)',
  'devices:count': 'counts from the device index',
  'export:start': 'starts reading devices for a file the operator saves; nothing in the workspace changes',
  'export:next': 'reads the next devices of an export',
  'export:cancel': 'stops reading an export',
  'reads:cancel': "stops a carrier read under way (the panel's cached copy stays as it was; nothing is written); a SIM inventory sync it stops is audited by that sync (sims.sync.stop)",
  'import:interrupted': 'says which imports the last run did not end (their record was written as the core opened)',
  'devices:get': 'reads one device',
  'devices:validateConfig': 'checks a text, stores nothing',
  'audit:list': 'reads the trail',
  'vault:isSet': 'says whether a secret is set, never its value',
  'profiles:list': 'reads profiles',
  'profiles:verify': 'one authenticated exchange with the service, nothing stored',
  'sim:get': 'reads the carrier; a refresh only caches what the carrier said',
  'sim:ratePlans': 'reads the carrier',
  'sim:usage': 'reads the carrier; caches what it said',
  'sim:usageHistory': 'reads the carrier; caches what it said',
  'sim:smsStatus': 'reads the carrier',
  'outbox:list': 'reads the outbox',
  'mail:getSettings': 'reads settings',
  'mail:parseCredentials': 'checks a pasted text, stores nothing',
  'mail:verify': 'one authenticated exchange with the mail service, nothing sent or stored',
  'team:list': 'reads invitations; records as joined those the team server says joined (audited, by Fieldline: no operator decided it)',
  'team:inviteCheck': 'asks the team server whether an invitation could carry a code; nothing stored',
  'packages:validate': 'checks a text, stores nothing',
  'packages:list': 'reads the library',
  'packages:get': 'reads one package',
  'packages:platformList': "reads the platform's packages",
  'packages:platformStatus': 'reads one package on the platform',
  'platform:status': 'reads link states',
  'mbed:status': 'reads the bridge state',
  'mbed:verify': 'one authenticated exchange with mbed, nothing stored',
  'mbed:endpoints': 'reads mbed',
  'mbed:commands': 'reads the commands sent so far',
  'mbed:journalled': "reads a profile's command journal",
  'mbed:subscriptions': "reads the bridge's subscriptions",
  'orange:get': 'reads Orange; a refresh only caches what Orange said',
  'orange:tickets': 'reads the tickets being followed',
  'orange:ticket': 'reads one ticket',
  'weather:getSettings': 'reads settings',
  'weather:verify': 'one request to the weather provider, nothing stored',
  'weather:get': 'reads the provider; a refresh only caches what it said',
  'historian:status': "reads the forwarder's state",
  'historian:history': 'reads the bucket databases; keeps a local copy of what it read',
  'historian:buckets': 'lists the bucket databases',
  'shell:openExternal': "opens a link in the operator's browser; nothing in the workspace or a service changes",
  'ledger:targets': 'reads ledger targets',
  'ledger:verifyTarget': 'one exchange with the ledger node, nothing stored',
  'ledger:validateAbi': 'checks a text, stores nothing',
  'ledger:describe': "reads the contract's functions",
  'ledger:routes': 'reads routes',
  'ledger:preview': 'resolves a sample and dry-runs it (eth_call / evaluate): nothing is stored or submitted',
  'ledger:queue': 'reads the forward queue',
  'ledger:item': 'reads one queued event',
  'ledger:head': 'reads the ledger',
  'ledger:blocks': 'reads the ledger',
  'ledger:tx': 'reads the ledger',
  'ledger:asset': 'reads the ledger',
  'ledger:status': 'reads the forwarder state',
  'ledger:watch': "starts or stops this window's live block feed: nothing stored, nothing sent to the ledger",
  'sims:query': 'reads the SIM inventory',
  'sims:count': 'counts the SIM inventory',
  'sims:estimate': 'reads the inventory and the checkpoint; for Orange one one-line search, nothing stored',
  'alerts:list': 'reads the alert rules',
  'sims:searches': 'reads the saved searches',
  'sims:export': 'starts reading SIMs for a file the operator saves; nothing in the workspace changes',
  'inbox:list': 'reads the notification inbox',
  'jobs:status': "reads a job's journal",
  'jobs:list': 'reads the jobs',
  'jobs:rows': "reads a job's rows",
  'jobs:export': "reads a job's rows as CSV for a file the operator saves; nothing in the workspace changes",
  'sync:getSettings': 'reads settings',
  'sync:verify': 'signs in to the sync server and reads the database information, nothing stored',
  'sync:status': "reads the team sync's state",
  'sync:conflicts': 'reads the conflicted documents',
  'trash:list': 'reads the trash',
}

/** Channels that change something without an entry of their own, each with the reviewed reason. */
const UNAUDITED_CHANGES: Partial<Record<ChannelName, string>> = {
  'devices:saveDraft': 'autosave of unsaved text at every pause in typing; saving or discarding it is audited',
}

const skip = mosquittoSkipReason()
const ACTOR = 'audit-walk'
const DEVICE = { typeId: 'meter', deviceId: 'aw-1' }
/** A second device, whose SIM is an Orange one. */
const ORANGE_DEVICE = { typeId: 'meter', deviceId: 'aw-o' }
const ORANGE_USER = { username: 'ak-walk', password: 'orange-walk-password' }
const SENDER = 'admin@example.com'
/** A CouchDB user allowed to create databases, as an older forwarder did. */
const COUCH_ADMIN = { name: 'walk-admin', password: 'walk-admin-password' }
const START = Date.now()
const clock = () => new Date(Date.parse('2025-03-14T10:00:00.000Z') + (Date.now() - START))

const PACKAGE = (version: string) =>
  JSON.stringify({
    bundleId: 'audit-walk-v1',
    displayName: { en_US: 'audit walk' },
    version,
    actions: { reboot: { actionDisplayName: { en_US: 'Reboot' }, parameters: [{ name: 'delay', value: '\\d+', required: true }] } },
  })

interface Env {
  call<C extends ChannelName>(channel: C, input: Input<C>): Promise<Output<C>>
  cc: ControlCenterPeer
  sendgrid: SendGridPeer
  platformRest: PlatformRestPeer
  mbed: MbedPeer
  orange: OrangePeer
  broker: Mosquitto
  couch: CouchPeer
  anvil: Anvil
  contract: { address: `0x${string}`; abiText: string }
  /** Values a later step needs from an earlier one. */
  memo: Record<string, string>
  /** The core's workspace, for a state only a killed process leaves (an invitation of unknown outcome). */
  db: Db
}

/** The SIM inventory's changing channels, run against the Control Center peer's account saved by the first step. */
const SIM_INVENTORY_STEPS: { channel: ChannelName; action: string; run: (env: Env) => Promise<unknown> }[] = [
  { channel: 'alerts:add', action: 'alerts.add', run: (e) => e.call('alerts:add', { id: 'walk-data', name: 'Walk data', condition: { kind: 'dataAbove', bytes: 1 } }) },
  {
    channel: 'sims:sync',
    action: 'sims.sync',
    run: async (e) => {
      const jasper = (await e.call('profiles:list', { extension: 'jasper' })).items[0]!
      e.memo.simAccount = `jasper:${jasper.id}`
      return e.call('sims:sync', { account: e.memo.simAccount, usage: true })
    },
  },
  { channel: 'alerts:check', action: 'alerts.check', run: (e) => e.call('alerts:check', {}) },
  {
    channel: 'inbox:markRead',
    action: 'inbox.read',
    run: async (e) => e.call('inbox:markRead', { ids: [(await e.call('inbox:list', { limit: 1 })).items[0]!.id] }),
  },
  {
    channel: 'sims:attach',
    action: 'sims.attach',
    run: async (e) => {
      await e.call('devices:add', { typeId: 'meter', deviceId: 'aw-s' })
      return e.call('sims:attach', { typeId: 'meter', deviceId: 'aw-s', carrier: 'jasper', simId: e.cc.iccids[3]! })
    },
  },
  { channel: 'sims:importAsDevices', action: 'sims.importAsDevices', run: (e) => e.call('sims:importAsDevices', { typeId: 'walk-sim', carrier: 'jasper', simIds: [e.cc.iccids[4]!] }) },
  { channel: 'alerts:remove', action: 'alerts.remove', run: (e) => e.call('alerts:remove', { id: 'walk-data' }) },
  { channel: 'sims:saveSearch', action: 'sims.search.save', run: (e) => e.call('sims:saveSearch', { id: 'walk', name: 'Walk', query: { filters: { carrier: ['jasper'] } } }) },
  { channel: 'sims:removeSearch', action: 'sims.search.remove', run: (e) => e.call('sims:removeSearch', { id: 'walk' }) },
]

/** One step per changing channel, in the order they run, with the audit action its entry must carry. */
const CHANGING: { channel: ChannelName; action: string; run: (env: Env) => Promise<unknown> }[] = [
  {
    channel: 'profiles:save',
    action: 'profile.add',
    run: async (e) => {
      await e.call('profiles:save', { extension: 'platform', name: 'Broker', settings: { url: e.broker.url, clientId: `a:org1:walk${process.pid}` } })
      await e.call('profiles:save', {
        extension: 'mbed',
        name: 'Mbed peer',
        settings: { apiUrl: e.mbed.url, flavour: 'connector', domainId: '', channel: 'longpoll', defaultDeviceType: 'mbed', queueSize: 1000, platformProfile: '' },
        secrets: { accessKey: 'ak_test_key' },
      })
      await e.call('profiles:save', { extension: 'orange', name: 'Orange ops', settings: { baseUrl: e.orange.url, username: ORANGE_USER.username }, secrets: { password: ORANGE_USER.password } })
      return e.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: e.cc.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: 'walk-key' } })
    },
  },
  { channel: 'devices:add', action: 'device.add', run: (e) => e.call('devices:add', DEVICE) },
  { channel: 'devices:saveConfig', action: 'device.config.save', run: (e) => e.call('devices:saveConfig', { ...DEVICE, text: JSON.stringify({ jasper: { iccid: e.cc.iccids[2] } }) }) },
  {
    channel: 'devices:discardDraft',
    action: 'device.draft.discard',
    run: async (e) => {
      await e.call('devices:saveDraft', { ...DEVICE, text: '{"jasper": ' })
      return e.call('devices:discardDraft', DEVICE)
    },
  },
  { channel: 'settings:set', action: 'settings.update', run: (e) => e.call('settings:set', { theme: 'dark' }) },
  { channel: 'devices:setLocation', action: 'device.location.set', run: (e) => e.call('devices:setLocation', { ...DEVICE, latitude: 45.1885, longitude: 5.7245 }) },
  { channel: 'devices:clearLocation', action: 'device.location.clear', run: (e) => e.call('devices:clearLocation', DEVICE) },
  { channel: 'devices:followLocations', action: 'devices.locations.follow', run: (e) => e.call('devices:followLocations', {}) },
  { channel: 'weather:saveSettings', action: 'weather.settings.add', run: (e) => e.call('weather:saveSettings', { provider: 'open-meteo', units: 'metric', language: 'en' }) },
  { channel: 'vault:setSecret', action: 'vault.set', run: (e) => e.call('vault:setSecret', { profileId: 'walk', field: 'token', value: 'v-1' }) },
  { channel: 'vault:clearSecret', action: 'vault.clear', run: (e) => e.call('vault:clearSecret', { profileId: 'walk', field: 'token' }) },
  {
    channel: 'import:start',
    action: 'devices.import.start',
    run: async (e) => {
      const { jobId } = await e.call('import:start', { fileName: 'walk.csv' })
      e.memo.jobId = jobId
    },
  },
  {
    channel: 'import:chunk',
    action: 'devices.import.batch',
    run: (e) =>
      e.call('import:chunk', { jobId: e.memo.jobId!, data: Buffer.from(['typeId,deviceId', ...Array.from({ length: IMPORT_BATCH + 1 }, (_, i) => `walk,w-${i}`), ''].join('\n')).toString('base64') }),
  },
  { channel: 'import:finish', action: 'devices.import', run: (e) => e.call('import:finish', { jobId: e.memo.jobId! }) },
  {
    channel: 'import:cancel',
    action: 'devices.import',
    run: async (e) => {
      const { jobId } = await e.call('import:start', { fileName: 'cancelled.csv' })
      return e.call('import:cancel', { jobId })
    },
  },
  {
    channel: 'sim:changeStatus',
    action: 'sim.changeStatus',
    run: async (e) => {
      const view = await e.call('sim:get', { ...DEVICE, refresh: true })
      return e.call('sim:changeStatus', { ...DEVICE, status: view.sim?.status === 'activated' ? 'deactivated' : 'activated' })
    },
  },
  {
    channel: 'sim:changeRatePlan',
    action: 'sim.changeRatePlan',
    run: async (e) => e.call('sim:changeRatePlan', { ...DEVICE, ratePlan: (await e.call('sim:ratePlans', DEVICE)).plans.at(-1)! }),
  },
  {
    channel: 'sim:sendSms',
    action: 'sim.sendSms',
    run: async (e) => {
      // An SMS to a SIM that is not active is refused before sending (docs/wire/control-center.md §1.13).
      await e.call('sim:changeStatus', { ...DEVICE, status: 'activated' })
      return e.call('sim:sendSms', { ...DEVICE, text: 'walk' })
    },
  },
  {
    channel: 'orange:changeStatus',
    action: 'orange.changeStatus.submitted',
    run: async (e) => {
      await e.call('devices:add', ORANGE_DEVICE)
      // The peer's first line is ACTIVATED.
      await e.call('devices:saveConfig', { ...ORANGE_DEVICE, text: JSON.stringify({ orange: { serialnumber: e.orange.serials[0] } }) })
      return e.call('orange:changeStatus', { ...ORANGE_DEVICE, status: 'SUSPENDED' })
    },
  },
  { channel: 'orange:locate', action: 'orange.locate.submitted', run: (e) => e.call('orange:locate', ORANGE_DEVICE) },
  {
    channel: 'orange:lookupTicket',
    action: 'orange.ticket.adopted',
    run: async (e) => {
      // A ticket submitted elsewhere (another console, a script): the operator adopts it by its number.
      const elsewhere = createOrangeClient({ baseUrl: e.orange.url, ...ORANGE_USER })
      try {
        // The peer's fourth line is SLEEPING.
        const { ticketNumber } = await elsewhere.submitStatusChange(e.orange.serials[3]!, 'ACTIVATED')
        return await e.call('orange:lookupTicket', { operation: 'status', ticketNumber })
      } finally {
        await elsewhere.close()
      }
    },
  },
  {
    channel: 'outbox:discard',
    action: 'sim.changeStatus.discarded',
    run: async (e) => {
      e.cc.faults.set({ kind: 'drop' })
      try {
        const queued = await e.call('sim:changeStatus', { ...DEVICE, status: 'activated', queue: true })
        return await e.call('outbox:discard', { id: queued.outboxId! })
      } finally {
        e.cc.faults.clear()
      }
    },
  },
  {
    channel: 'outbox:replay',
    action: 'sim.changeRatePlan',
    run: async (e) => {
      const ratePlan = (await e.call('sim:ratePlans', DEVICE)).plans[0]!
      e.cc.faults.set({ kind: 'drop' })
      try {
        await e.call('sim:changeRatePlan', { ...DEVICE, ratePlan, queue: true })
      } finally {
        e.cc.faults.clear()
      }
      return e.call('outbox:replay', {})
    },
  },
  {
    channel: 'mail:saveSettings',
    action: 'mail.settings.add',
    run: (e) =>
      e.call('mail:saveSettings', {
        mode: 'sendgridApiKey',
        organisation: 'Walk Co',
        settings: { adminName: 'Ada Admin', adminEmail: SENDER, baseUrl: e.sendgrid.url },
        secrets: { apiKey: DEFAULT_API_KEY },
      }),
  },
  { channel: 'mail:sendTest', action: 'mail.test.send', run: (e) => e.call('mail:sendTest', { to: 'tess@example.org' }) },
  {
    channel: 'team:invite',
    action: 'invitation.create',
    run: async (e) => {
      e.memo.invitation = (await e.call('team:invite', { name: 'Tess', email: 'tess@example.org', role: 'operator' })).id
    },
  },
  { channel: 'team:resend', action: 'invitation.resend', run: (e) => e.call('team:resend', { id: e.memo.invitation! }) },
  {
    channel: 'team:dismiss',
    action: 'invitation.dismiss',
    run: async (e) => {
      // As the next open leaves a send cut off by a kill (team-invite-kill.test.ts kills one for real).
      const doc = (await readInvitation(e.db, e.memo.invitation!))!
      const cut: InvitationDoc = { ...doc, state: 'unknown', unknownSince: doc.updatedAt }
      await e.db.put(cut)
      return e.call('team:dismiss', { id: e.memo.invitation! })
    },
  },
  { channel: 'team:revoke', action: 'invitation.revoke', run: (e) => e.call('team:revoke', { id: e.memo.invitation! }) },
  { channel: 'team:remove', action: 'invitation.remove', run: (e) => e.call('team:remove', { id: e.memo.invitation! }) },
  { channel: 'mail:clearSettings', action: 'mail.settings.remove', run: (e) => e.call('mail:clearSettings', {}) },
  { channel: 'packages:add', action: 'package.add', run: (e) => e.call('packages:add', { text: PACKAGE('1.0') }) },
  { channel: 'packages:save', action: 'package.update', run: (e) => e.call('packages:save', { bundleId: 'audit-walk-v1', text: PACKAGE('1.1') }) },
  { channel: 'devices:setSupportedBundles', action: 'device.supportedBundles', run: (e) => e.call('devices:setSupportedBundles', { ...DEVICE, bundles: ['audit-walk-v1'] }) },
  { channel: 'packages:invoke', action: 'package.invoke', run: (e) => e.call('packages:invoke', { ...DEVICE, bundleId: 'audit-walk-v1', actionId: 'reboot', parameters: { delay: '5' } }) },
  {
    channel: 'packages:upload',
    action: 'package.publish',
    run: async (e) => {
      const rest = await e.call('profiles:save', {
        extension: 'platform',
        name: 'Platform REST',
        settings: { url: e.broker.url, clientId: `a:org1:rest${process.pid}`, username: PEER_API_KEY, restUrl: e.platformRest.url },
        secrets: { password: PEER_TOKEN },
      })
      e.memo.restProfile = rest.id
      return e.call('packages:upload', { bundleId: 'audit-walk-v1', platformProfile: rest.id })
    },
  },
  { channel: 'packages:unpublish', action: 'package.unpublish', run: (e) => e.call('packages:unpublish', { bundleId: 'audit-walk-v1', platformProfile: e.memo.restProfile! }) },
  { channel: 'packages:remove', action: 'package.remove', run: (e) => e.call('packages:remove', { bundleId: 'audit-walk-v1' }) },
  {
    channel: 'mbed:start',
    action: 'mbed.bridge.start',
    run: async (e) => {
      const status = await e.call('mbed:start', {})
      await expect.poll(async () => (await e.call('mbed:status', {})).status.state, { timeout: 20_000 }).toBe('running')
      return status
    },
  },
  { channel: 'mbed:import', action: 'devices.import.mbed', run: (e) => e.call('mbed:import', { names: [e.mbed.endpoints()[0]!.name] }) },
  { channel: 'mbed:sendCommand', action: 'mbed.command.send', run: (e) => e.call('mbed:sendCommand', { method: 'POST', deviceId: e.mbed.endpoints()[0]!.name, resourceId: '3/0/4' }) },
  {
    channel: 'mbed:unsubscribe',
    action: 'mbed.subscription.unsubscribe',
    run: async (e) => {
      const ep = e.mbed.endpoints()[0]!.name
      const subscribed = async () => (await e.call('mbed:subscriptions', { ep })).endpoints.find((x) => x.ep === ep)?.resources.find((r) => r.state === 'subscribed')?.path
      await expect.poll(subscribed, { timeout: 20_000 }).toBeDefined()
      const path = (await subscribed())!
      e.memo.subscription = JSON.stringify({ ep, path })
      return e.call('mbed:unsubscribe', { ep, path })
    },
  },
  { channel: 'mbed:subscribe', action: 'mbed.subscription.subscribe', run: (e) => e.call('mbed:subscribe', JSON.parse(e.memo.subscription!) as { ep: string; path: string }) },
  { channel: 'mbed:stop', action: 'mbed.bridge.stop', run: (e) => e.call('mbed:stop', {}) },
  {
    channel: 'historian:start',
    action: 'historian.forwarder.start',
    run: async (e) => {
      const couch = await e.call('profiles:save', {
        extension: 'couchdb',
        name: 'Walk history',
        settings: { url: e.couch.url, iamUrl: e.couch.iamUrl, dbName: 'walk', timeZone: 'Europe/Paris', retentionBuckets: 2 },
        secrets: { apiKey: 'iam-test-key' },
      })
      e.memo.couch = couch.id
      const forwarder = await e.call('profiles:save', { extension: 'historian', name: 'Walk', settings: { instanceId: 'walk', rules: [{ destinations: [`couchdb/${couch.id}`] }] } })
      const status = await e.call('historian:start', { profileId: forwarder.id })
      await expect.poll(async () => (await e.call('historian:status', {})).mqtt.state, { timeout: 20_000 }).toBe('connected')
      const sensor = await mqtt.connectAsync(e.broker.url, { clientId: 'd:org1:meter:aw-h' })
      try {
        await sensor.publishAsync('iot-2/type/meter/id/aw-h/evt/status/fmt/json', '{"t": 21}', { qos: 1 })
      } finally {
        await sensor.endAsync()
      }
      await expect.poll(async () => (await e.call('historian:status', {})).destinations[0]?.delivered, { timeout: 20_000 }).toBe(1)
      return status
    },
  },
  { channel: 'historian:pause', action: 'historian.destination.pause', run: (e) => e.call('historian:pause', { destination: `couchdb/${e.memo.couch!}` }) },
  { channel: 'historian:resume', action: 'historian.destination.resume', run: (e) => e.call('historian:resume', { destination: `couchdb/${e.memo.couch!}` }) },
  {
    channel: 'historian:deleteBuckets',
    action: 'historian.buckets.delete',
    run: async (e) => {
      // A bucket of two weeks before the walk's clock, as the forwarder left it then: beyond a retention of two days.
      const old = await fetch(`${e.couch.url}/iotp_org1_walk_2025-03-01`, {
        method: 'PUT',
        headers: { authorization: `Basic ${Buffer.from(`${COUCH_ADMIN.name}:${COUCH_ADMIN.password}`).toString('base64')}` },
      })
      expect(old.status).toBe(201)
      const { expired } = await e.call('historian:buckets', { destination: e.memo.couch! })
      expect(expired).toEqual(['iotp_org1_walk_2025-03-01'])
      const result = await e.call('historian:deleteBuckets', { destination: e.memo.couch!, databases: expired })
      expect(result).toEqual({ deleted: expired, refused: [] })
      return result
    },
  },
  { channel: 'historian:stop', action: 'historian.forwarder.stop', run: (e) => e.call('historian:stop', {}) },
  {
    channel: 'ledger:saveTarget',
    action: 'ledger.target.add',
    run: async (e) => {
      e.memo.ledgerTarget = await evmTarget(e.call, e.anvil.url, e.contract, await fundedKey(e.anvil.url))
      const saved = (await e.call('ledger:targets', {})).items.find((t) => t.id === e.memo.ledgerTarget)!
      return e.call('ledger:saveTarget', { id: saved.id, name: 'anvil (renamed)', settings: saved.settings, secrets: {} })
    },
  },
  {
    channel: 'ledger:saveRoute',
    action: 'ledger.route.add',
    run: async (e) => {
      e.memo.ledgerRoute = await assetRoute(e.call, e.memo.ledgerTarget!)
      const route = (await e.call('ledger:routes', {})).items.find((r) => r.id === e.memo.ledgerRoute)!
      const { createdAt: _c, updatedAt: _u, ...fields } = route
      return e.call('ledger:saveRoute', { ...fields, name: 'tracker telemetry (renamed)' })
    },
  },
  {
    channel: 'ledger:submit',
    action: 'ledger.submit',
    run: async (e) => {
      const item = await e.call('ledger:submit', { routeId: e.memo.ledgerRoute!, sample: sample('AW-1'), eventKey: 'aw-1' })
      await expect.poll(async () => (await e.call('ledger:queue', { state: 'committed', limit: 10 })).items.map((i) => i.id), { timeout: 20_000 }).toContain(item.id)
    },
  },
  {
    channel: 'ledger:retry',
    action: 'ledger.retry',
    run: async (e) => {
      // An empty asset id reverts (EmptyAssetId): the item fails by name, and the operator sends it again.
      const item = await e.call('ledger:submit', { routeId: e.memo.ledgerRoute!, sample: sample(''), eventKey: 'aw-empty' })
      await expect.poll(async () => (await e.call('ledger:queue', { state: 'failed', limit: 10 })).items.map((i) => i.id), { timeout: 20_000 }).toContain(item.id)
      return e.call('ledger:retry', { itemId: item.id })
    },
  },
  { channel: 'ledger:start', action: 'ledger.forwarder.start', run: (e) => e.call('ledger:start', {}) },
  { channel: 'ledger:stop', action: 'ledger.forwarder.stop', run: (e) => e.call('ledger:stop', {}) },
  { channel: 'ledger:removeRoute', action: 'ledger.route.remove', run: (e) => e.call('ledger:removeRoute', { routeId: e.memo.ledgerRoute! }) },
  { channel: 'ledger:removeTarget', action: 'ledger.target.remove', run: (e) => e.call('ledger:removeTarget', { targetId: e.memo.ledgerTarget! }) },
  ...SIM_INVENTORY_STEPS,
  // Bulk SIM jobs (issue 14): every target of the peer, through the jasper profile saved above.
  {
    channel: 'jobs:create',
    action: 'jobs.create',
    run: async (e) => {
      const job = await e.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: ['iccid', ...e.cc.iccids].join('\n') }, params: { status: 'inventory' } })
      e.memo.simJob = job.id
      return job
    },
  },
  { channel: 'jobs:preflight', action: 'jobs.preflight', run: (e) => e.call('jobs:preflight', { jobId: e.memo.simJob!, refresh: true }) },
  {
    channel: 'jobs:run',
    action: 'jobs.run',
    run: async (e) => {
      const started = await e.call('jobs:run', { jobId: e.memo.simJob! })
      await expect.poll(async () => (await e.call('jobs:status', { jobId: e.memo.simJob! })).state, { timeout: 20_000 }).toBe('done')
      return started
    },
  },
  {
    channel: 'jobs:pause',
    action: 'jobs.pause',
    run: async (e) => {
      const job = await e.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: ['iccid', ...e.cc.iccids].join('\n') }, params: { status: 'activationReady' } })
      e.memo.pausedJob = job.id
      await e.call('jobs:preflight', { jobId: job.id, refresh: true })
      // Slow answers keep the run going while the operator pauses it.
      e.cc.faults.set({ kind: 'latency', ms: 300, path: /^\/rws\/api\/v1\/devices\/\d+$/ })
      try {
        await e.call('jobs:run', { jobId: job.id })
        return await e.call('jobs:pause', { jobId: job.id })
      } finally {
        e.cc.faults.clear()
      }
    },
  },
  {
    channel: 'jobs:resume',
    action: 'jobs.resume',
    run: async (e) => {
      const resumed = await e.call('jobs:resume', { jobId: e.memo.pausedJob! })
      await expect.poll(async () => (await e.call('jobs:status', { jobId: e.memo.pausedJob! })).state, { timeout: 20_000 }).not.toBe('running')
      return resumed
    },
  },
  {
    channel: 'jobs:cancel',
    action: 'jobs.cancel',
    run: async (e) => {
      const job = await e.call('jobs:create', { operation: 'sms', source: { kind: 'csv', text: ['iccid', ...e.cc.iccids].join('\n') }, params: { text: 'never sent' } })
      return e.call('jobs:cancel', { jobId: job.id })
    },
  },
  { channel: 'jobs:undo', action: 'jobs.undo', run: (e) => e.call('jobs:undo', { jobId: e.memo.simJob! }) },
  {
    channel: 'profiles:remove',
    action: 'profile.remove',
    run: async (e) => {
      const saved = await e.call('profiles:save', { extension: 'atnt', name: 'Spare', settings: { baseUrl: e.cc.url, username: 'ops' }, secrets: { apiKey: 'k' } })
      return e.call('profiles:remove', { extension: 'atnt', id: saved.id })
    },
  },
  // Team sync against the CouchDB peer (admin party behind its front: no roles there; team-sync.test.ts tests those).
  {
    channel: 'sync:saveSettings',
    action: 'sync.saveSettings',
    run: (e) => e.call('sync:saveSettings', { url: e.couch.url, database: 'walk-sync', username: COUCH_ADMIN.name, secrets: { password: COUCH_ADMIN.password } }),
  },
  { channel: 'sync:setup', action: 'sync.setup', run: (e) => e.call('sync:setup', {}) },
  {
    channel: 'sync:start',
    action: 'sync.start',
    run: async (e) => {
      const started = await e.call('sync:start', {})
      await expect.poll(async () => (await e.call('sync:status', {})).state, { timeout: 20_000 }).toBe('live')
      return started
    },
  },
  {
    channel: 'sync:resolve',
    action: 'sync.resolve',
    run: async (e) => {
      // A teammate's version of the device, a sibling of this computer's, written on the server and pulled in.
      const auth = { authorization: `Basic ${Buffer.from(`${COUCH_ADMIN.name}:${COUCH_ADMIN.password}`).toString('base64')}`, 'content-type': 'application/json' }
      const id = `device:${DEVICE.typeId}:${DEVICE.deviceId}`
      await expect.poll(async () => (await fetch(`${e.couch.url}/walk-sync/${id}`, { headers: auth })).status, { timeout: 20_000 }).toBe(200)
      const doc = (await (await fetch(`${e.couch.url}/walk-sync/${id}?revs=true`, { headers: auth })).json()) as { _rev: string; _revisions: { start: number; ids: string[] } }
      const sibling = {
        ...doc,
        description: 'theirs',
        _rev: `${doc._revisions.start}-${'f'.repeat(32)}`,
        _revisions: { start: doc._revisions.start, ids: ['f'.repeat(32), ...doc._revisions.ids.slice(1)] },
      }
      await fetch(`${e.couch.url}/walk-sync/_bulk_docs`, { method: 'POST', headers: auth, body: JSON.stringify({ new_edits: false, docs: [sibling] }) })
      await expect.poll(async () => (await e.call('sync:conflicts', {})).total, { timeout: 20_000 }).toBe(1)
      return e.call('sync:resolve', { id, keep: 'mine' })
    },
  },
  {
    channel: 'sync:discard',
    action: 'sync.discard',
    run: async (e) => {
      // A validation that refuses one device, so that the server refuses it (the walk's server has no roles).
      const auth = { authorization: `Basic ${Buffer.from(`${COUCH_ADMIN.name}:${COUCH_ADMIN.password}`).toString('base64')}`, 'content-type': 'application/json' }
      const validate = "function (newDoc) { if (newDoc._id === 'device:walk:refused') throw({ forbidden: 'refused by the walk' }); }"
      await fetch(`${e.couch.url}/walk-sync/_design/walk-refuse`, { method: 'PUT', headers: auth, body: JSON.stringify({ validate_doc_update: validate }) })
      await e.call('devices:add', { typeId: 'walk', deviceId: 'refused' })
      await expect.poll(async () => (await e.call('sync:status', {})).denied.map((d) => d.id), { timeout: 20_000 }).toContain('device:walk:refused')
      return e.call('sync:discard', { id: 'device:walk:refused' })
    },
  },
  { channel: 'sync:clearDenied', action: 'sync.clearDenied', run: (e) => e.call('sync:clearDenied', {}) },
  { channel: 'sync:stop', action: 'sync.stop', run: (e) => e.call('sync:stop', {}) },
  {
    channel: 'sync:join',
    action: 'sync.join',
    run: async (e) => {
      // A server with CouchDB's own users, and a code for one of them as an invitation would carry it.
      const server = await startCouchPeer({ couchUsers: { admin: 'join-admin', password: 'join-admin-password' } })
      try {
        await server.addUser('joiner', 'joiner-one-time-password', ['operator'])
        await fetch(`${server.url}/walk-join`, { method: 'PUT', headers: { authorization: `Basic ${Buffer.from('join-admin:join-admin-password').toString('base64')}` } })
        const code = encodeInvitationCode({ url: server.url, database: 'walk-join', user: 'joiner', password: 'joiner-one-time-password', auth: 'basic' })
        return await e.call('sync:join', { code, replace: true })
      } finally {
        await server.close()
      }
    },
  },
  {
    channel: 'devices:remove',
    action: 'device.remove',
    run: async (e) => {
      e.memo.trash = (await e.call('devices:remove', DEVICE)).trashId
    },
  },
  { channel: 'trash:restore', action: 'device.restore', run: (e) => e.call('trash:restore', { id: e.memo.trash! }) },
  {
    channel: 'trash:empty',
    action: 'trash.empty',
    run: async (e) => {
      const { purged } = await e.call('trash:empty', {})
      // The profile, the package, the invitation and the alert rule deleted above; the device was restored.
      expect(purged).toBe(4)
    },
  },
]

/** Entries whose target is an id the operator never sees (a historian, team sync, alert rule, inbox or job entry). */
const NAMED = /^(historian|sync|alerts\.(add|remove)|inbox|jobs)\./
const namesItsSubject = (e: AuditEntry): boolean => {
  if (e.subject) return true
  const after = (e.after ?? {}) as Record<string, unknown>
  return e.action.startsWith('jobs.') ? typeof after.operation === 'string' && typeof after.rows === 'number' : e.action.startsWith('inbox.') && typeof after.count === 'number'
}

describe('the audit trail covers every channel that changes something', () => {
  it('places every channel of the contract: read-only (with its reason), changing (with its entry), or a reviewed exception', () => {
    const changing = new Set(CHANGING.map((s) => s.channel))
    const placed = CHANNEL_NAMES.map((name) => [name, [name in READ_ONLY, changing.has(name), name in UNAUDITED_CHANGES].filter(Boolean).length] as const)
    expect(placed.filter(([, n]) => n !== 1).map(([name, n]) => `${name}: placed ${n} times`)).toEqual([])
    expect(Object.keys({ ...READ_ONLY, ...UNAUDITED_CHANGES }).filter((name) => !CHANNEL_NAMES.includes(name as ChannelName))).toEqual([])
  })

  describe.skipIf(skip)('against the peers and mosquitto', () => {
    let env: Env
    let core: Awaited<ReturnType<typeof testCore>>
    let device: mqtt.MqttClient
    let cleanup: () => Promise<void>

    beforeAll(async () => {
      const [cc, sendgrid, mbed, broker, orange, couch, anvil, platformRest] = await Promise.all([
        startControlCenterPeer({ devices: 5, smsDeliveryMs: 20, now: clock, users: [{ username: 'ops', apiKey: 'walk-key', password: 'pw', role: 'AccountAdmin' }] }),
        startSendGridPeer({ verifiedSenders: [SENDER] }),
        startMbedPeer({ pollTimeoutMs: 300 }),
        startMosquitto(),
        startOrangePeer({ lines: 6, ticketTiming: { waitingMs: 50, workMs: 50 }, users: [ORANGE_USER] }),
        startCouchPeer({ users: { [COUCH_ADMIN.name]: { password: COUCH_ADMIN.password, role: 'manager' } } }),
        startAnvil(),
        startPlatformRestPeer(),
      ])
      const contract = await deployAssetTracker(anvil.url)
      const t = await tempDir()
      core = await testCore(t.dir, { now: clock, ledgerTimings: FAST_LEDGER })
      // The managed device answers every custom action with rc 200.
      device = await mqtt.connectAsync(broker.url, { clientId: 'g:org1:gw:walk' })
      await device.subscribeAsync(`iotdm-1/type/${DEVICE.typeId}/id/${DEVICE.deviceId}/mgmt/custom/#`, { qos: 1 })
      device.on('message', (_topic, payload) => {
        const { reqId } = JSON.parse(payload.toString()) as { reqId: string }
        void device.publishAsync(`iotdevice-1/type/${DEVICE.typeId}/id/${DEVICE.deviceId}/response`, JSON.stringify({ rc: 200, reqId }), { qos: 1 })
      })
      env = {
        async call(channel, input) {
          const r = await core.dispatcher.invoke(channel, input, { actor: ACTOR })
          if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`)
          return r.value as Output<typeof channel>
        },
        cc,
        sendgrid,
        platformRest,
        mbed,
        broker,
        orange,
        couch,
        anvil,
        contract,
        memo: {},
        db: core.workspace.db,
      }
      cleanup = async () => {
        await device.endAsync()
        await core.close()
        await Promise.all([cc.close(), sendgrid.close(), mbed.close(), broker.stop(), orange.close(), couch.close(), anvil.close(), platformRest.close()])
        await t.cleanup()
      }
    })
    afterAll(async () => cleanup?.())

    it('writes an entry, by the operator who asked, for each changing channel', async () => {
      const trail = async (): Promise<AuditEntry[]> => {
        const all: AuditEntry[] = []
        for (let offset = 0; ; offset += 1000) {
          const page = await core.call('audit:list', { offset, limit: 1000 })
          all.push(...page.items)
          if (all.length >= page.total) return all
        }
      }
      const missing: string[] = []
      const unnamed: string[] = []
      const written = new Set<string>()
      for (const step of CHANGING) {
        const before = new Set((await trail()).map((e) => e.id))
        await step.run(env)
        const added = (await trail()).filter((e) => !before.has(e.id))
        for (const e of added) written.add(e.action)
        for (const e of added) if (NAMED.test(e.action) && !namesItsSubject(e)) unnamed.push(`${e.action} ${e.target}`)
        if (!added.some((e) => e.action === step.action && e.actor === ACTOR))
          missing.push(`${step.channel}: no "${step.action}" entry by ${ACTOR} (got ${added.map((e) => `${e.action}/${e.actor}`).join(', ') || 'nothing'})`)
      }
      expect(missing).toEqual([])
      // Activity shows names the operator knows, not ids: the entry's subject, or what a job or several notifications are.
      expect(unnamed).toEqual([])
      // Activity names each action in words, in both languages, never by its raw name.
      const label = (catalogue: { activity: { actions: Record<string, string> } }, action: string) => catalogue.activity.actions[action.replace(/[^A-Za-z0-9]/g, '_')]
      expect([...written].filter((a) => !label(en, a) || !label(fr, a))).toEqual([])
    })
  })
})
