import { join } from 'node:path'
import pkg from '../../package.json'
import { createDispatcher, type Dispatcher, type Handlers } from './ipc/dispatcher'
import { EventBus } from './common/events'
import { storageError } from './common/storage-errors'
import { createDevicesService } from './devices/devices.service'
import { createImportService, type ImportService, type InterruptedImport } from './devices/import.service'
import { createExportJobs } from './common/export-jobs'
import { createDeviceListService } from './devices/device-list.service'
import { openDeviceIndex, type DeviceIndex } from './devices/listing/device-index'
import { createLogger, heldLogTrouble, type Logger } from './log/logger'
import { redactingLogger } from './log/redacting-logger'
import { listAudit } from './store/audit.store'
import { readSettings, writeSettings } from './store/settings.store'
import { invitedLanguage } from './team/invitations.store'
import { openWorkspace, type Workspace } from './store/workspace'
import type { SecretStore } from './vault/secret-store'
import { createVaultService } from './vault/vault.service'
import { appendAudit } from './store/audit.store'
import { createCarrierClients, type CarrierClients } from './carriers/carrier-clients'
import { createSimService, type SimService } from './carriers/sim.service'
import { createReadCancels } from './carriers/read-cancels'
import { accountParts, watchReturns, type ReachListener } from './carriers/carrier-reach'
import { createOutboxReplayer } from './carriers/outbox-replayer'
import { osActor } from './common/os-actor'
import type { OrangeEnvironment } from './carriers/orange/accounts'
import { createOrangeService, type OrangeService } from './carriers/orange/orange.service'
import type { PollingOptions } from './carriers/orange/ticket-follower'
import { createProfilesService, toProfile, type ProfilesService } from './profiles/profiles.service'
import { createPlatformLinks, type PlatformLinks } from './platform/platform-links'
import { createMailService, type MailService } from './mail/mail.service'
import { createTeamService, type TeamService } from './team/team.service'
import { createPackagesService, type PackagesService } from './dm-packages/packages.service'
import { createPackagePublishing, type PackagePublishing } from './dm-packages/package-publishing.service'
import { createMbedService, type MbedService } from './mbed/mbed.service'
import { createHistorianService, type HistorianService } from './historian/historian.service'
import type { ForwarderTuning } from './historian/forwarder'
import { staleTrashIds } from './sync/deleted-here'
import { createRoleGate, gateWrites } from './sync/role-gate'
import { createSyncService, type SyncService, type SyncTuning } from './sync/sync.service'
import type { MbedBridgeEvent } from '../../src-shared/models/mbed'
import type { EventPayload } from '../../src-shared/contract'
import type { ProfileDoc } from './store/profiles.store'
import { createLocationService, type LocationService } from './devices/location.service'
import { createLocationIntake, type LocationIntake } from './devices/location-intake'
import { createWeatherService, type WeatherService } from './weather/weather.service'
import { createLedgerService, type LedgerDeps, type LedgerService } from './ledger/ledger.service'
import { createSimInventoryService, type SimInventoryService } from './sims/sim-inventory.service'
import { createJobsService, type JobsService } from './jobs/jobs.service'
import { createTrashService, type TrashService } from './trash/trash.service'
import { openWorkspaceVault } from './workspace-vault'

export interface CoreOptions {
  dataDir: string
  mode: 'electron' | 'serve' | 'cli'
  /** The OS keychain (every workspace's entries); the core names this workspace's own in it (workspace-vault.ts). */
  vault: SecretStore
  /** Opens a URL in the operator's browser; only the Electron shell can, and it applies its allow-list. */
  openExternal?: (url: string) => Promise<boolean>
  /** Where structured logs go; defaults to `<dataDir>/logs/fieldline.log`. */
  logger?: Logger
  /** Clock for carrier clients; tests pin it to their peers'. */
  now?: () => Date
  /** Email from FIELDLINE_SMTP_URL / FIELDLINE_SENDGRID_* variables instead of the saved settings (CLI scripts). */
  mailFromEnvironment?: boolean
  /** An Orange account from FIELDLINE_ORANGE_* variables (CLI scripts), besides the saved profiles. */
  orangeEnvironment?: OrangeEnvironment
  /** How often Orange tickets are polled (tests shorten it). */
  orangePolling?: PollingOptions
  /** Hears how far opening the workspace has got (long only while the device index is built, once per workspace). */
  onOpenProgress?: (progress: OpenProgress) => void
  /** Weather from FIELDLINE_WEATHER_* variables instead of the saved provider, URL and key (CLI scripts). */
  weatherFromEnvironment?: boolean
  /** Ledger queue and block-polling timings (tests shorten them). */
  ledgerTimings?: Pick<LedgerDeps, 'queue' | 'pollingMs'>
  /** The historian's back-offs and drain (tests shorten them). */
  historianTuning?: ForwarderTuning
  /** Team sync's batch size and back-off (tests shorten the back-off). */
  syncTuning?: SyncTuning
  /** Back-off of the outbox's own tries while queued changes wait for their carrier (tests shorten it). */
  outboxRetry?: { minMs: number; maxMs: number }
  /** How long a SIM panel's read of one SIM, or a change of its state or rate plan (a job's row too), may take in all (read-deadline.ts; tests shorten it). */
  simReadDeadlineMs?: number
}

export interface OpenProgress {
  /** Devices in the index so far. */
  devices: number
  elapsedMs: number
  done: boolean
  /** True while the device index is built from the whole workspace (its first open by this release), not caught up. */
  building: boolean
  /** Workspace changes the device index applied so far while opening (after a crash: what it had not indexed yet). */
  changes: number
}

/** The outbox tries its queued changes again after half a minute, then less often, at least every quarter hour. */
const OUTBOX_RETRY = { minMs: 30_000, maxMs: 15 * 60_000 }

/** Opening for longer than this is worth a log line; and one more every interval while it lasts. */
const SLOW_OPEN_LOG_MS = 5000

export interface Core {
  dispatcher: Dispatcher
  bus: EventBus
  dataDir: string
  workspace: Workspace
  /** The keychain as this workspace sees it: accounts under their names in the workspace, the workspace's id added. */
  vault: SecretStore
  deviceIndex: DeviceIndex
  /** Imports the last run did not live to end, found (and recorded in the audit trail) as this one opened. */
  interruptedImports: readonly InterruptedImport[]
  imports: ImportService
  sims: SimService
  orange: OrangeService
  profiles: ProfilesService
  clients: CarrierClients
  links: PlatformLinks
  mail: MailService
  team: TeamService
  packages: PackagesService
  publishing: PackagePublishing
  mbed: MbedService
  locations: LocationService
  locationIntake: LocationIntake
  weather: WeatherService
  ledger: LedgerService
  historian: HistorianService
  simInventory: SimInventoryService
  jobs: JobsService
  sync: SyncService
  trash: TrashService
  logger: Logger
  close(): Promise<void>
}

/**
 * Composition root: builds the store, the vault service and every handler, and wires them to the contract.
 * The same core runs in Electron's main process, in serve mode and in the CLI; none of it imports electron.
 */
/** Each member of the union is a matching name and payload; TypeScript cannot follow that through one call. */
function emitMbed<E extends MbedBridgeEvent>(bus: EventBus, e: E): void {
  bus.emit(e.name, e.payload as EventPayload<E['name']>)
}

export async function createCore(options: CoreOptions): Promise<Core> {
  // A data folder that cannot be written is said once, as the workspace's problem (the CLI's "cannot be written …:
  // showing a read-only copy" line, the app's banner), not a second time as the log file's, which lives in it (cold
  // trial: two lines for one read-only folder). The log's trouble waits until the workspace is open, and its readOnly
  // warning written: a full disk fails only then, at the first line.
  const logTrouble = heldLogTrouble()
  const logger = redactingLogger(options.logger ?? createLogger(options.dataDir, undefined, logTrouble.onTrouble))
  let workspace: Workspace
  try {
    workspace = await openWorkspace(options.dataDir)
  } catch (e) {
    logTrouble.release(true)
    throw e
  }
  if (workspace.readOnly) logger.warn({ dataDir: options.dataDir, problem: workspace.readOnly }, 'the data folder cannot be written: the workspace is open read-only')
  logTrouble.release(workspace.readOnly === null)
  if (workspace.copiedFrom?.now) {
    logger.warn(
      { dataDir: options.dataDir, original: workspace.copiedFrom.path },
      "the data folder is a copy of another that is still in its place: it now has its own workspace id and its own keychain entries (the original's copied); a secret changed in one no longer changes the other",
    )
  }
  // Every service gets this workspace's own keychain names, never the keychain itself.
  const vaultStore = await openWorkspaceVault(workspace, options.vault, logger)
  // The services write through the role gate; the sync, which pulls the server's own revisions, through the workspace.
  const roleGate = createRoleGate()
  const db = gateWrites(workspace.db, roleGate)
  const bus = new EventBus()
  const openedAt = Date.now()
  let loggedAt = openedAt
  const deviceIndex = await openDeviceIndex({
    workspace: db,
    location: join(workspace.indexes.dir, 'devices'),
    durable: workspace.indexes.durable,
    logger,
    onProgress: ({ devices, building, done, changes }) => {
      const now = Date.now()
      options.onOpenProgress?.({ devices, elapsedMs: now - openedAt, done, building, changes })
      if (now - loggedAt >= SLOW_OPEN_LOG_MS || (done && now - openedAt >= SLOW_OPEN_LOG_MS)) {
        loggedAt = now
        logger.info(
          { devices, ms: now - openedAt, done, building },
          done ? 'workspace opened' : building ? 'opening the workspace: building the device index' : 'opening the workspace: catching up the device index',
        )
      }
    },
  })

  const devices = createDevicesService({ db, bus })
  const exportJobs = createExportJobs({ onCloseError: (e) => logger.warn({ err: e }, 'an abandoned export could not be closed') })
  const deviceList = createDeviceListService({ index: deviceIndex, db, logger, exports: exportJobs })
  const imports = createImportService({ db, index: deviceIndex, bus })
  // A workspace that cannot be written to (a full disk, a read-only folder) still opens for reading; the record
  // waits for a start that can write it.
  const interruptedImports = await imports.recover().catch((e: unknown): InterruptedImport[] => {
    logger.warn({ err: e }, 'an interrupted import could not be recorded yet')
    return []
  })
  // Profiles and clients know each other: a saved profile drops the client built from its old settings.
  const onProfileChange: { invalidate?: (doc: ProfileDoc) => void } = {}
  const profiles = createProfilesService({ db, gate: roleGate, vault: vaultStore, bus, onChange: (doc) => onProfileChange.invalidate?.(doc) })
  // The clients tell the outbox's replayer, built once the SIM service is, and the views when an account answers again.
  const onReach: { reached?: ReachListener } = {}
  const clients = createCarrierClients({ profiles, logger, onReach: (account, ok) => onReach.reached?.(account, ok), ...(options.now ? { now: options.now } : {}) })
  const links = createPlatformLinks({ profiles, bus, logger })
  const locations = createLocationService({ db, bus })
  const locationIntake = createLocationIntake({ locations, logger, refusingDevices: () => roleGate.refusing('devices') })
  // The weather alert rules (sims) read each reading the weather service fetches; the weather room sits below them.
  const onWeatherReading: { check?: () => void } = {}
  const weather = createWeatherService({
    db,
    gate: roleGate,
    vault: vaultStore,
    bus,
    logger,
    onReading: () => onWeatherReading.check?.(),
    environment: options.weatherFromEnvironment ? 'env' : null,
    ...(options.now ? { now: options.now } : {}),
  })
  onProfileChange.invalidate = (doc) => {
    if (doc.extension === 'platform') {
      links.invalidate(doc)
      // A running mbed bridge on it restarts on the saved settings and ends its old MQTT session (mbed.service.ts).
      mbed.platformChanged(doc).catch((e: unknown) => logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'mbed: could not handle the change of a platform profile'))
    } else clients.invalidate(doc)
    // A deleted mbed profile's bridge stops and its MQTT session ends (mbed.service.ts); a failure is logged, never thrown.
    if (doc.extension === 'mbed')
      mbed.mbedProfileChanged(doc).catch((e: unknown) => logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'mbed: could not handle the change of an mbed profile'))
  }

  /** "Verify connection" for any kind of profile: one cheap authenticated exchange with the service. */
  async function verifyProfile(extension: ProfileDoc['extension'], id: string): Promise<{ ok: true; detail: string }> {
    if (extension === 'jasper' || extension === 'atnt') return sims.verify(extension, id)
    if (extension === 'orange') return orange.verify(id)
    if (extension === 'mbed') return mbed.verifyProfile(id)
    if (extension === 'couchdb' || extension === 'kafka' || extension === 'historian') return historian.verify(extension, id)
    return { ok: true, detail: await links.verify(await profiles.get('platform', id)) }
  }
  const orange = createOrangeService({
    db,
    bus,
    profiles,
    clients,
    logger,
    ...(options.orangeEnvironment ? { environment: options.orangeEnvironment } : {}),
    ...(options.orangePolling ? { polling: options.orangePolling } : {}),
    ...(options.simReadDeadlineMs ? { readDeadlineMs: options.simReadDeadlineMs } : {}),
  })
  const readCancels = createReadCancels()
  const sims = createSimService({ db, bus, profiles, clients, orange, ...(options.simReadDeadlineMs ? { readDeadlineMs: options.simReadDeadlineMs } : {}) })
  const replayer = createOutboxReplayer({
    bus,
    logger,
    waiting: () => sims.outboxWaiting(),
    replay: (account) => sims.outboxReplay({ actor: osActor() }, true, account),
    retry: options.outboxRetry ?? OUTBOX_RETRY,
  })
  onReach.reached = watchReturns({
    lost: replayer.lost,
    back(account) {
      replayer.back(account)
      const parts = accountParts(account)
      if (parts) bus.emit('carriers:answering', parts)
    },
  })
  const packages = createPackagesService({ db, bus, profiles, links })
  const publishing = createPackagePublishing({ db, bus, profiles, logger })
  const mbed = createMbedService({ db, bus, profiles, dataDir: options.dataDir, logger, emit: (e) => emitMbed(bus, e) })
  const historian = createHistorianService({
    db,
    bus,
    profiles,
    mbed: { onDeviceEvent: (tap) => mbed.onDeviceEvent(tap), platformProfileOf: () => mbed.platformProfileOf() },
    dataDir: options.dataDir,
    logger,
    ...(options.now ? { now: () => (options.now as () => Date)().getTime() } : {}),
    ...(options.historianTuning ? { tuning: options.historianTuning } : {}),
  })
  const sync = createSyncService({
    db: workspace.db,
    gate: roleGate,
    vault: vaultStore,
    bus,
    logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.syncTuning ? { tuning: options.syncTuning } : {}),
  })
  // The role remembered from the last sync holds from the first write on, before any status is asked for.
  await sync.status().catch((e: unknown) => logger.warn({ err: e }, 'the team role could not be read; changes are not checked against it until the sync says'))
  const mail = createMailService({
    db,
    gate: roleGate,
    vault: vaultStore,
    bus,
    logger,
    onChange: () => bus.emit('mail:changed', {}),
    ...(options.mailFromEnvironment ? { configOverride: 'env' as const } : {}),
  })
  // Team sync makes the invitees' CouchDB users: the team service knows it only through this port (sync stands above team).
  const team = createTeamService({ db, gate: roleGate, mail, accounts: sync, bus, logger, workspaceId: workspace.id, onChange: () => bus.emit('team:changed', {}) })
  // Before any handler can send: a marker of this workspace found now is a send whose process is gone.
  await team.interruptedSends().catch((e: unknown) => logger.warn({ err: e }, 'invitations cut off while being sent could not be marked; the next open tries again'))
  const ledger = createLedgerService({ db, vault: vaultStore, bus, profiles, links, logger, ...options.ledgerTimings })
  const simInventory = createSimInventoryService({
    db,
    bus,
    profiles,
    clients,
    index: deviceIndex,
    logger,
    mail,
    recipientLanguage: async (address) => (await invitedLanguage(db, address)) ?? (await readSettings(db)).language,
    exports: exportJobs,
    weatherUnits: async () => (await weather.getSettings()).units,
    ...(options.now ? { now: options.now } : {}),
  })
  onWeatherReading.check = () => void simInventory.checkWeather().catch((err: unknown) => logger.warn({ err }, 'the weather alert rules could not be evaluated after a reading'))
  const jobs = createJobsService({
    db,
    bus,
    profiles,
    clients,
    queryDevices: (input) => deviceList.query(input),
    querySims: (input) => simInventory.query(input),
    orange,
    logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.simReadDeadlineMs ? { changeDeadlineMs: options.simReadDeadlineMs } : {}),
  })
  const trash = createTrashService({ db, vault: vaultStore, bus, logger, standingAgain: staleTrashIds })
  const vault = createVaultService(vaultStore, async (entry, actor) => {
    await appendAudit(db, { actor, ...entry })
    bus.emit('audit:changed', {})
  })

  const handlers: Handlers = {
    'app:info': () => ({
      version: pkg.version,
      mode: options.mode === 'electron' ? 'electron' : 'serve',
      dataDir: options.dataDir,
      node: process.versions.node,
      workspaceCopy: workspace.copiedFrom?.now ? { original: workspace.copiedFrom.path, at: workspace.copiedFrom.at } : null,
    }),
    'settings:get': () => readSettings(db),
    'settings:set': async (patch, ctx) => {
      const next = await writeSettings(db, patch, ctx.actor)
      bus.emit('settings:changed', next)
      bus.emit('audit:changed', {})
      return next
    },
    'devices:list': (input) => deviceList.list(input),
    'devices:query': (input) => deviceList.query(input),
    'devices:count': (input) => deviceList.count(input),
    'export:start': (input) => deviceList.startExport(input),
    'export:next': (input) => exportJobs.next(input.jobId),
    'export:cancel': async (input) => ({ cancelled: await exportJobs.cancel(input.jobId) }),
    'devices:get': (input) => devices.get(input),
    'devices:add': (input, ctx) => devices.add(input, ctx),
    'devices:remove': (input, ctx) => devices.remove(input, ctx),
    'devices:validateConfig': (input) => devices.validateConfig(input.text),
    'devices:saveConfig': (input, ctx) => devices.saveConfig(input, ctx),
    'devices:saveDraft': (input) => devices.saveDraft(input),
    'devices:discardDraft': (input, ctx) => devices.discardDraft(input, ctx),
    'import:start': (input, ctx) => imports.start(input, ctx),
    'import:chunk': (input) => imports.chunk(input.jobId, input.data),
    'import:finish': (input) => imports.finish(input.jobId),
    'import:cancel': (input) => imports.cancel(input.jobId),
    'import:interrupted': () => ({ items: [...interruptedImports] }),
    'audit:list': (input) => listAudit(db, input),
    'vault:setSecret': (input, ctx) => vault.setSecret(input.profileId, input.field, input.value, ctx.actor),
    'vault:clearSecret': (input, ctx) => vault.clearSecret(input.profileId, input.field, ctx.actor),
    'vault:isSet': (input) => vault.isSet(input.profileId, input.field),
    'profiles:list': async (input) => ({ items: await profiles.list(input.extension) }),
    'profiles:save': (input, ctx) => profiles.save(input, ctx),
    'profiles:remove': (input, ctx) => profiles.remove(input.extension, input.id, ctx),
    'profiles:verify': (input) => verifyProfile(input.extension, input.id),
    'sim:get': (input) => readCancels.run(input.readId, (cancel) => sims.get(input, cancel)),
    'sim:changeStatus': (input, ctx) => sims.changeStatus(input, ctx),
    'sim:changeRatePlan': (input, ctx) => sims.changeRatePlan(input, ctx),
    'sim:ratePlans': (input) => sims.ratePlans(input),
    'sim:usage': (input) => readCancels.run(input.readId, (cancel) => sims.usage(input, cancel)),
    'sim:usageHistory': (input) => readCancels.run(input.readId, (cancel) => sims.usageHistory(input, cancel)),
    'sim:sendSms': (input, ctx) => sims.sendSms(input, ctx),
    'sim:smsStatus': (input) => sims.smsStatus(input),
    'orange:get': (input) => readCancels.run(input.readId, (cancel) => orange.get(input, cancel)),
    'reads:cancel': (input) => ({ cancelled: readCancels.cancel(input.readId) }),
    'orange:changeStatus': (input, ctx) => orange.changeStatus(input, ctx),
    'orange:locate': (input, ctx) => orange.locate(input, ctx),
    'orange:tickets': (input) => orange.tickets(input),
    'orange:ticket': (input) => orange.ticket(input.id),
    'orange:lookupTicket': (input, ctx) => orange.lookupTicket(input, ctx),
    'outbox:list': () => sims.outboxList(),
    'outbox:replay': (input, ctx) => sims.outboxReplay(ctx, input.automatic ?? false),
    'outbox:discard': (input, ctx) => sims.outboxDiscard(input.id, ctx),
    'mail:getSettings': () => mail.getSettings(),
    'mail:saveSettings': (input, ctx) => mail.saveSettings(input, ctx),
    'mail:clearSettings': (_input, ctx) => mail.clearSettings(ctx),
    'mail:parseCredentials': (input) => mail.parseCredentials(input),
    'mail:verify': (input) => mail.verify(input),
    'mail:sendTest': (input, ctx) => mail.sendTest(input, ctx),
    'team:invite': (input, ctx) => team.invite(input, ctx),
    'team:list': (input) => team.list(input),
    'team:resend': (input, ctx) => team.resend(input.id, ctx),
    'team:revoke': (input, ctx) => team.revoke(input.id, ctx),
    'team:dismiss': (input, ctx) => team.dismiss(input.id, ctx),
    'team:remove': (input, ctx) => team.remove(input.id, ctx),
    'team:inviteCheck': () => team.inviteCheck(),
    'packages:validate': (input) => packages.validate(input.text),
    'packages:list': async () => ({ items: await packages.list() }),
    'packages:get': (input) => packages.get(input.bundleId),
    'packages:add': (input, ctx) => packages.add(input, ctx),
    'packages:save': (input, ctx) => packages.save(input, ctx),
    'packages:remove': (input, ctx) => packages.remove(input.bundleId, ctx),
    'packages:invoke': (input, ctx) => packages.invoke(input, ctx),
    'packages:platformList': (input) => publishing.platformList(input.platformProfile),
    'packages:platformStatus': (input) => publishing.status(input.bundleId, input.platformProfile),
    'packages:upload': (input, ctx) => publishing.upload(input, ctx),
    'packages:unpublish': (input, ctx) => publishing.unpublish(input, ctx),
    'devices:setSupportedBundles': (input, ctx) => packages.setSupported(input, ctx),
    'devices:setLocation': (input, ctx) => locations.set(input, ctx),
    'devices:clearLocation': (input, ctx) => locations.clear(input, ctx),
    'devices:followLocations': async (input, ctx) => {
      const doc = await profiles.resolve('platform', input.platformProfile)
      const { id } = toProfile(doc)
      // Before the link opens: a link opened for nothing would still connect to the broker.
      locationIntake.assertRecordable()
      locationIntake.attach(id, await links.linkFor(doc))
      // From now on this core writes the positions devices report: the operator's choice, so it is in the trail.
      await appendAudit(db, { actor: ctx.actor, action: 'devices.locations.follow', target: `platform/${id}`, outcome: 'ok' })
      bus.emit('audit:changed', {})
      return { profileId: id }
    },
    'weather:getSettings': () => weather.getSettings(),
    'weather:saveSettings': (input, ctx) => weather.saveSettings(input, ctx),
    'weather:verify': () => weather.verify(),
    'weather:get': (input) => weather.forDevice(input, { refresh: input.refresh, units: input.units }),
    'platform:status': () => ({ items: links.states() }),
    'mbed:status': () => mbed.status(),
    'mbed:start': (input, ctx) => mbed.start(input, ctx),
    'mbed:stop': (_input, ctx) => mbed.stop(ctx),
    'mbed:verify': (input) => mbed.verify(input),
    'mbed:endpoints': (input) => mbed.endpoints(input),
    'mbed:import': (input, ctx) => mbed.import(input, ctx),
    'mbed:sendCommand': (input, ctx) => mbed.sendCommand(input, ctx),
    'mbed:commands': () => mbed.commands(),
    'mbed:journalled': (input) => mbed.journalled(input),
    'mbed:subscriptions': (input) => mbed.subscriptions(input),
    'mbed:subscribe': (input, ctx) => mbed.subscribe(input, ctx),
    'mbed:unsubscribe': (input, ctx) => mbed.unsubscribe(input, ctx),
    'ledger:targets': () => ledger.targets(),
    'ledger:saveTarget': (input, ctx) => ledger.saveTarget(input, ctx),
    'ledger:removeTarget': (input, ctx) => ledger.removeTarget(input.targetId, ctx),
    'ledger:verifyTarget': (input) => ledger.verifyTarget(input.targetId),
    'ledger:validateAbi': (input) => ledger.validateAbi(input.text),
    'ledger:describe': (input) => ledger.describe(input.targetId),
    'ledger:routes': () => ledger.routes(),
    'ledger:saveRoute': (input, ctx) => ledger.saveRoute(input, ctx),
    'ledger:removeRoute': (input, ctx) => ledger.removeRoute(input.routeId, ctx),
    'ledger:preview': (input) => ledger.preview(input),
    'ledger:submit': (input, ctx) => ledger.submit(input, ctx),
    'ledger:queue': (input) => ledger.queueList(input),
    'ledger:item': (input) => ledger.item(input.itemId),
    'ledger:retry': (input, ctx) => ledger.retry(input.itemId, ctx),
    'ledger:head': (input) => ledger.head(input.targetId),
    'ledger:blocks': (input) => ledger.blocks(input.targetId, input.from, input.count),
    'ledger:tx': (input) => ledger.tx(input.targetId, input.txId),
    'ledger:asset': (input) => ledger.asset(input.targetId, input.assetId, input.from),
    'ledger:status': () => ledger.status(),
    'ledger:start': (input, ctx) => ledger.start(input.platformProfile, ctx),
    'ledger:stop': (_input, ctx) => ledger.stop(ctx),
    'ledger:watch': (input) => ledger.watch(input.targetId, input.on),
    'historian:status': () => historian.status(),
    'historian:start': (input, ctx) => historian.start(input, ctx),
    'historian:stop': (_input, ctx) => historian.stop(ctx),
    'historian:pause': (input, ctx) => historian.pause(input, ctx),
    'historian:resume': (input, ctx) => historian.resume(input, ctx),
    'historian:history': (input) => historian.history(input),
    'historian:buckets': (input) => historian.buckets(input),
    'historian:deleteBuckets': (input, ctx) => historian.deleteBuckets(input, ctx),
    'sims:query': (input) => simInventory.query(input),
    'sims:count': (input) => simInventory.count(input),
    'sims:estimate': (input) => simInventory.estimate(input),
    'sims:sync': (input, ctx) => readCancels.run(input.readId, (cancel) => simInventory.sync(input, ctx, cancel)),
    'sims:attach': (input, ctx) => simInventory.attach(input, ctx),
    'sims:importAsDevices': (input, ctx) => simInventory.importAsDevices(input, ctx),
    'sims:export': (input) => simInventory.startExport(input),
    'sims:searches': () => simInventory.searches(),
    'sims:saveSearch': (input, ctx) => simInventory.saveSearch(input, ctx),
    'sims:removeSearch': (input, ctx) => simInventory.removeSearch(input.id, ctx),
    'alerts:list': () => simInventory.alertsList(),
    'alerts:add': (input, ctx) => simInventory.alertsAdd(input, ctx),
    'alerts:remove': (input, ctx) => simInventory.alertsRemove(input.id, ctx),
    'alerts:check': (_input, ctx) => simInventory.alertsCheck(ctx),
    'inbox:list': (input) => simInventory.inboxList(input),
    'inbox:markRead': (input, ctx) => simInventory.inboxMarkRead(input, ctx),
    'jobs:create': (input, ctx) => jobs.create(input, ctx),
    'jobs:preflight': (input, ctx) => jobs.preflight(input, ctx),
    'jobs:run': (input, ctx) => jobs.run(input, ctx),
    'jobs:pause': (input, ctx) => jobs.pause(input, ctx),
    'jobs:resume': (input, ctx) => jobs.resume(input, ctx),
    'jobs:cancel': (input, ctx) => jobs.cancel(input, ctx),
    'jobs:status': (input) => jobs.status(input),
    'jobs:list': (input) => jobs.list(input),
    'jobs:rows': (input) => jobs.rows(input),
    'jobs:export': (input) => jobs.export(input),
    'jobs:undo': (input, ctx) => jobs.undo(input, ctx),
    'sync:getSettings': () => sync.getSettings(),
    'sync:saveSettings': (input, ctx) => sync.saveSettings(input, ctx),
    'sync:verify': () => sync.verify(),
    'sync:setup': (_input, ctx) => sync.setup(ctx),
    'sync:join': (input, ctx) => sync.join(input, ctx),
    'sync:start': (_input, ctx) => sync.start(ctx),
    'sync:stop': (_input, ctx) => sync.stop(ctx),
    'sync:status': () => sync.status(),
    'sync:conflicts': (input) => sync.conflicts(input.limit, input.device),
    'sync:resolve': (input, ctx) => sync.resolve(input, ctx),
    'sync:discard': (input, ctx) => sync.discard(input.id, ctx),
    'sync:clearDenied': (_input, ctx) => sync.clearDenied(ctx),
    'trash:list': () => trash.list(),
    'trash:restore': (input, ctx) => trash.restore(input.id, ctx),
    'trash:empty': (_input, ctx) => trash.empty(ctx),
    'shell:openExternal': async (input) => ({ opened: options.openExternal ? await options.openExternal(input.url) : false }),
  }

  const dispatcher = createDispatcher(handlers, {
    onInternalError: (channel, error) => logger.error({ channel, err: error }, 'internal error in handler'),
    describeFailure: (error) => storageError(error, options.dataDir),
  })
  // Tickets left open by an earlier session (a restart, a crash) are followed again from now on.
  await orange.resume()
  await jobs.resumeTicketsLeft()
  // Events queued before a restart (or a crash) are sent on and the forwarder starts again if it was on; a one-shot CLI
  // command does not (`fieldline ledger run` and `ledger submit` start what they need).
  if (options.mode !== 'cli') await ledger.resume()
  if (options.mode !== 'cli') await jobs.resumeInterrupted()
  // Team sync starts with the workspace when the operator asked for it; a CLI command starts it itself (`sync start`).
  if (options.mode !== 'cli' && !workspace.readOnly) await sync.autoStart()
  // Entries past their 30 days go at open and then hourly; a read-only workspace only logs that it could not.
  if (!workspace.readOnly) trash.start()

  return {
    dispatcher,
    bus,
    dataDir: options.dataDir,
    workspace,
    vault: vaultStore,
    deviceIndex,
    interruptedImports,
    imports,
    sims,
    orange,
    profiles,
    clients,
    links,
    mail,
    team,
    packages,
    publishing,
    mbed,
    locations,
    locationIntake,
    weather,
    ledger,
    historian,
    simInventory,
    jobs,
    sync,
    trash,
    logger,
    async close() {
      // First: a live sync writes into the workspace until it is cancelled.
      await sync.close()
      await jobs.close()
      await trash.close()
      await replayer.close()
      sims.close()
      await simInventory.close()
      await orange.close()
      // The bridge drains its queue into the shared link before the links close; location updates being written are
      // answered on it first.
      // Before the bridge: the historian takes the bridge's events until its sources are closed.
      await historian.close()
      // The bridge drains its queue into the shared link before the links close.
      await mbed.close()
      await locationIntake.settled()
      locations.close()
      await ledger.close()
      await Promise.all([clients.close(), links.close(), mail.close(), weather.close(), exportJobs.close()])
      await deviceIndex.close()

      await workspace.close()
      logger.flush?.()
    },
  }
}
