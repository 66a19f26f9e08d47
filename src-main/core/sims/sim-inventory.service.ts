import type { ParsedInput } from '../../../src-shared/contract'
import type { Carrier } from '../../../src-shared/models/sim'
import type { AlertRule, Notification, SimRow, SimSelection, SyncEstimate, SyncProgress, SyncResult } from '../../../src-shared/models/sim-inventory'
import type { WeatherUnits } from '../../../src-shared/models/weather'
import type { CarrierClients } from '../carriers/carrier-clients'
import type { ControlCenterClient } from '../carriers/control-center/control-center.client'
import type { CallContext } from '../common/call-context'
import { AppError, toErrorInfo } from '../common/errors'
import { throttledBy, type EventBus } from '../common/events'
import type { ExportJobs, ExportPart } from '../common/export-jobs'
import { serialiser } from '../common/serial'
import { checkConfigValue } from '../devices/extension-config'
import type { DeviceIndex } from '../devices/listing/device-index'
import type { Logger } from '../log/logger'
import type { Mailer } from '../mail/mailer'
import { renderAlertEmail } from '../mail/templates'
import type { MailLanguage } from '../../../src-shared/models/mail'
import type { ProfilesService } from '../profiles/profiles.service'
import { appendAudit, auditDoc } from '../store/audit.store'
import { getDeviceDoc, newDeviceDoc, type DeviceDoc } from '../store/devices.store'
import { listProfiles } from '../store/profiles.store'
import { assertBulkOk, type Db } from '../store/documents'
import { estimateFull, runAccountSync, USAGE_STATUSES, type AccountClient } from './account-sync'
import { addRule, evaluateAlerts, listInbox, listRules, markRead, removeRule, unreadCount, type NotificationDoc } from './alerts'
import { devicesOfSims, inventoryRows, matches, select, selected, simCsvHeader, simCsvLine, simJsonLine } from './inventory-query'
import { allSimDocs, readCheckpoint } from './inventory.store'
import { listSearches, removeSearch, saveSearch } from './saved-searches'
import { checkSmsOutcomes, type SmsCheckResult } from './sms-outcomes'

export interface SimInventoryDeps {
  db: Db
  bus: EventBus
  profiles: ProfilesService
  clients: CarrierClients
  index: DeviceIndex
  logger: Logger
  /** The workspace's weather units, which a weather alert rule's threshold is in when it names none. */
  weatherUnits: () => Promise<WeatherUnits>
  /** The exports in progress, shared with the device list (`export:next` reads any of them). */
  exports: ExportJobs
  /** The email extension's mailer, for alert rules that name team members. */
  mail?: { withActiveMailer<T>(run: (mailer: Mailer, organisation: string | null) => Promise<T>): Promise<T> }
  /** The language an address reads its email in: the team member's, as their invitation chose it, else the app's. */
  recipientLanguage?: (address: string) => Promise<MailLanguage>
  now?: () => Date
}

/** The configuration key naming a SIM, per carrier (docs/wire/control-center.md §5, docs/wire/orange.md §4.1). */
const SIM_FIELD: Record<Carrier, string> = { jasper: 'iccid', atnt: 'iccid', orange: 'serialnumber' }
const EXPORT_ROWS_PER_PART = 1000
const CARRIER_EXTENSIONS: ReadonlySet<string> = new Set(Object.keys(SIM_FIELD))

export function createSimInventoryService(deps: SimInventoryDeps) {
  const { db, bus, profiles, clients, index, logger } = deps
  const now = deps.now ?? (() => new Date())
  const running = new Map<string, { run: Promise<SyncResult>; stop: AbortController }>()
  // Several accounts may sync at once (each started from the SIM page, in one window or several): each one's progress
  // is throttled apart, so that none hides another's.
  const progress = throttledBy(bus, 'sims:progress', (p) => p.account)
  // Rows are rebuilt from the workspace only when it changed since the last query (its update sequence): paging and
  // re-sorting a large inventory then costs no read.
  let snapshot: { seq: number | string; rows: Promise<SimRow[]> } | null = null
  async function rows(): Promise<SimRow[]> {
    const seq = (await db.info()).update_seq
    if (snapshot?.seq !== seq) {
      const built = inventoryRows(db, index)
      snapshot = { seq, rows: built }
      built.catch(() => {
        if (snapshot?.rows === built) snapshot = null
      })
    }
    return snapshot.rows
  }

  function parseAccount(account: string): { extension: Carrier; id: string } {
    const colon = account.indexOf(':')
    return { extension: account.slice(0, colon) as Carrier, id: account.slice(colon + 1) }
  }

  async function accessOf(account: string): Promise<{ access: AccountClient; perSecond: number }> {
    const { extension, id } = parseAccount(account)
    const doc = await profiles.get(extension, id)
    const perSecond = Number((doc.settings as { perSecond?: unknown }).perSecond) || 5
    if (extension === 'orange') return { access: { carrier: 'orange', client: await clients.forOrangeProfile(doc) }, perSecond }
    return { access: { carrier: extension, client: await clients.forProfile(doc) }, perSecond }
  }

  async function known(account: string, carrier: Carrier): Promise<{ total: number; using: number }> {
    let total = 0
    let using = 0
    let configured = 0
    for await (const page of allSimDocs(db)) {
      for (const d of page) {
        if (d.inventory?.account === account) {
          total++
          if (USAGE_STATUSES.has(d.sim.status)) using++
        }
      }
    }
    if (total === 0) configured = (await rows()).filter((r) => r.carrier === carrier && r.devices.length > 0).length
    return { total: Math.max(total, configured), using }
  }

  async function notify(fired: NotificationDoc[], rules: AlertRule[]): Promise<void> {
    if (fired.length === 0) return
    bus.emit('inbox:changed', { unread: await unreadCount(db) })
    const mail = deps.mail
    if (!mail) return
    for (const rule of rules) {
      const mine = fired.filter((n) => n.ruleId === rule.id)
      if (mine.length === 0 || rule.emails.length === 0) continue
      const lines = mine.slice(0, 200).map((n) => ({
        about: n.sim ? `${n.sim.carrier} ${n.sim.simId}` : n.device ? `${n.device.typeId}/${n.device.deviceId}` : (n.account ?? ''),
        finding: { kind: n.alertKind, value: n.value, account: n.account },
      }))
      try {
        await mail.withActiveMailer(async (mailer) => {
          for (const address of rule.emails) {
            const language = deps.recipientLanguage ? await deps.recipientLanguage(address) : 'en'
            const rendered = renderAlertEmail({ language, rule: rule.name, count: mine.length, lines })
            await mailer.send({ from: mailer.from, to: { address }, ...rendered })
          }
        })
      } catch (e) {
        // The inbox holds the alert whatever happens to the email; the log says why it was not sent.
        logger.warn({ err: e, rule: rule.id }, 'an alert email could not be sent')
      }
    }
  }

  // One evaluation at a time (after syncs of several accounts, after weather readings), and no rule added or removed
  // during one: two evaluations at once would both see a condition as new and fire it twice, and a rule removed
  // under an evaluation (its state deleted) made the evaluation's state write a conflict.
  const serially = serialiser()
  function check(accounts: readonly string[], weatherOnly = false): Promise<number> {
    return serially(async () => {
      const fired = await evaluateAlerts(db, { now: now(), accounts, weatherOnly })
      await notify(fired, await listRules(db))
      return fired.length
    })
  }

  // Readings arrive one device at a time: one evaluation runs, and one more is queued for what arrived meanwhile.
  let weatherRun: Promise<number> | null = null
  let weatherQueued: Promise<number> | null = null
  function checkWeather(): Promise<number> {
    if (!weatherRun) {
      weatherRun = check([], true).finally(() => (weatherRun = null))
      return weatherRun
    }
    weatherQueued ??= weatherRun
      .catch(() => 0)
      .then(() => {
        weatherQueued = null
        return checkWeather()
      })
    return weatherQueued
  }

  /**
   * The delivery status of the account's open SMS, read back after a sync and on demand (`alerts:check`); a failure
   * here is logged and leaves the messages open, it does not fail the sync that carried it.
   */
  async function checkSms(account: string, client: ControlCenterClient | null): Promise<SmsCheckResult | null> {
    try {
      const clientOf = async () => client ?? ((await accessOf(account)).access.client as ControlCenterClient)
      return await checkSmsOutcomes(db, account, clientOf, { now, logger })
    } catch (e) {
      logger.warn({ err: e, account }, 'the status of sent SMS could not be read back')
      return null
    }
  }

  /** The last word of a run: what the throttle still holds for its account goes first, so nothing arrives after "done". */
  function done(p: SyncProgress): void {
    progress.flush(p.account)
    bus.emit('sims:progress', p)
  }

  async function syncOnce(input: ParsedInput<'sims:sync'>, ctx: CallContext, stop: AbortSignal): Promise<SyncResult> {
    const { access } = await accessOf(input.account)
    let outcome
    try {
      outcome = await runAccountSync({ db, account: input.account, access, full: input.full, usage: input.usage, now, stop, onProgress: (p) => (p.done ? done(p) : progress.push(p)) })
    } catch (e) {
      await appendAudit(db, { actor: ctx.actor, action: 'sims.sync', target: input.account, outcome: 'failed', error: toErrorInfo(e) })
      bus.emit('audit:changed', {})
      await check([input.account]).catch((err: unknown) => logger.warn({ err }, 'alerts could not be evaluated after a failed sync'))
      throw e
    }
    // Stopped: no SMS status is read back (no carrier call after a stop) and no alert evaluated; the next sync, or
    // `alerts check`, evaluates them over what this one read.
    if (outcome.stopped) {
      await appendAudit(db, { actor: ctx.actor, action: 'sims.sync.stop', target: input.account, outcome: 'ok', after: outcome })
      bus.emit('audit:changed', {})
      return { account: input.account, ...outcome, fired: 0 }
    }
    const sms = access.carrier === 'orange' || stop.aborted ? null : await checkSms(input.account, access.client)
    const fired = await check([input.account])
    await appendAudit(db, { actor: ctx.actor, action: 'sims.sync', target: input.account, outcome: 'ok', after: { ...outcome, ...(sms ? { sms } : {}) } })
    bus.emit('audit:changed', {})
    return { account: input.account, ...outcome, fired }
  }

  async function rowFor(carrier: Carrier, simId: string): Promise<SimRow> {
    const row = (await rows()).find((r) => r.carrier === carrier && r.simId === simId)
    if (!row || row.account === null) {
      throw AppError.withRef('NOT_FOUND', `The inventory has no ${carrier} SIM ${simId} listed by a carrier account`, { key: 'sims.notInInventory', params: { carrier, simId } })
    }
    return row
  }

  function configWith(config: Record<string, unknown> | null, row: SimRow): Record<string, unknown> {
    const profile = parseAccount(row.account!).id
    return { ...config, [row.carrier]: { [SIM_FIELD[row.carrier]]: row.simId, profile } }
  }

  /** The selection as CSV or JSON Lines, a part at a time (for `export:next` and the CLI); the rows as they are now. */
  async function* exportParts(selection: SimSelection, format: 'csv' | 'jsonl'): AsyncGenerator<ExportPart, void, undefined> {
    const chosen = selected(await rows(), selection)
    if (format === 'csv') yield { data: simCsvHeader(), rows: 0 }
    for (let i = 0; i < chosen.length; i += EXPORT_ROWS_PER_PART) {
      const part = chosen.slice(i, i + EXPORT_ROWS_PER_PART)
      yield { data: part.map(format === 'csv' ? simCsvLine : simJsonLine).join(''), rows: part.length }
    }
  }

  return {
    async query(input: ParsedInput<'sims:query'>): Promise<{ total: number; items: SimRow[] }> {
      const selected = select(await rows(), input.query)
      return { total: selected.length, items: selected.slice(input.offset, input.offset + input.limit) }
    },

    async count(input: ParsedInput<'sims:count'>): Promise<{ total: number }> {
      return { total: (await rows()).filter((r) => matches(r, input.filters)).length }
    },

    exportParts,

    /** Starts an export read with `export:next`; its total is what the selection holds now. */
    async startExport(input: ParsedInput<'sims:export'>): Promise<{ jobId: string; total: number }> {
      deps.exports.assertRoom()
      const total = selected(await rows(), input.selection).length
      return deps.exports.start(total, exportParts(input.selection, input.format))
    },

    async estimate(input: ParsedInput<'sims:estimate'>): Promise<SyncEstimate> {
      const { access, perSecond } = await accessOf(input.account)
      return estimateFull(db, input.account, access, perSecond, input.usage, await known(input.account, access.carrier))
    },

    /**
     * One sync per account at a time: a second request for the same account waits for the running one's result.
     * `cancel` (reads:cancel) stops the account's run, whichever request started it: what the operator stops is the
     * account's sync.
     */
    sync(input: ParsedInput<'sims:sync'>, ctx: CallContext, cancel?: AbortSignal): Promise<SyncResult> {
      let current = running.get(input.account)
      if (!current) {
        const stop = new AbortController()
        const run = syncOnce(input, ctx, stop.signal).finally(() => running.delete(input.account))
        current = { run, stop }
        running.set(input.account, current)
      }
      if (cancel) {
        const { run, stop } = current
        const abort = () => stop.abort()
        cancel.addEventListener('abort', abort, { once: true })
        const off = () => cancel.removeEventListener('abort', abort)
        run.then(off, off)
      }
      return current.run
    },

    /** `stopped`: the unfinished run (`interrupted`) is one the operator stopped, not one a stopped process left. */
    async lastSync(account: string): Promise<{ lastSyncAt: string | null; failures: number; lastError: string | null; interrupted: boolean; stopped: boolean }> {
      const cp = await readCheckpoint(db, account)
      return { lastSyncAt: cp.lastSyncAt, failures: cp.failures, lastError: cp.lastError, interrupted: cp.run !== null, stopped: Boolean(cp.run?.stoppedAt) }
    },

    async attach(input: ParsedInput<'sims:attach'>, ctx: CallContext): Promise<{ typeId: string; deviceId: string }> {
      const row = await rowFor(input.carrier, input.simId)
      const key = { typeId: input.typeId, deviceId: input.deviceId }
      const label = `${key.typeId}/${key.deviceId}`
      const doc = await getDeviceDoc(db, key)
      if (!doc) throw AppError.withRef('NOT_FOUND', `Device ${label} does not exist`, { key: 'errors.deviceNotFound', params: { id: label } })
      const config = configWith(doc.extensionConfig, row)
      const check = checkConfigValue(config)
      if (!check.valid) {
        throw AppError.withRef('VALIDATION', `The configuration of ${label} would be invalid: ${check.messages[0] ?? ''}`, { key: 'errors.configInvalid', params: { count: check.messages.length } })
      }
      const at = now().toISOString()
      const updated: DeviceDoc = { ...doc, extensionConfig: config, updatedAt: at }
      assertBulkOk(await db.bulkDocs([updated, auditDoc({ at, actor: ctx.actor, action: 'sims.attach', target: label, outcome: 'ok', before: doc.extensionConfig, after: config })] as DeviceDoc[]))
      bus.emit('devices:changed', { reason: 'updated' })
      bus.emit('audit:changed', {})
      return key
    },

    async importAsDevices(input: ParsedInput<'sims:importAsDevices'>, ctx: CallContext): Promise<{ added: number; existing: number }> {
      const byId = new Map((await rows()).filter((r) => r.carrier === input.carrier && r.account !== null).map((r) => [r.simId, r]))
      const missing = input.simIds.filter((id) => !byId.has(id))
      if (missing.length > 0) {
        throw AppError.withRef('NOT_FOUND', `The inventory has no ${input.carrier} SIM ${missing[0]!} listed by a carrier account`, {
          key: 'sims.notInInventory',
          params: { carrier: input.carrier, simId: missing[0]! },
        })
      }
      const at = now().toISOString()
      const docs: DeviceDoc[] = []
      let existing = 0
      for (const simId of new Set(input.simIds)) {
        const key = { typeId: input.typeId, deviceId: simId }
        if (await getDeviceDoc(db, key)) {
          existing++
          continue
        }
        docs.push({ ...newDeviceDoc({ ...key, description: '', metadata: {} }, at), extensionConfig: configWith(null, byId.get(simId)!) })
      }
      if (docs.length > 0) {
        assertBulkOk(
          await db.bulkDocs([
            ...docs,
            auditDoc({
              at,
              actor: ctx.actor,
              action: 'sims.importAsDevices',
              target: `${input.carrier}: ${docs.length} SIM(s)`,
              outcome: 'ok',
              after: { typeId: input.typeId, simIds: docs.map((d) => d.deviceId) },
            }),
          ] as DeviceDoc[]),
        )
        bus.emit('devices:changed', { reason: 'imported' })
        bus.emit('audit:changed', {})
      }
      return { added: docs.length, existing }
    },

    searches: async () => ({ items: await listSearches(db) }),
    async saveSearch(input: ParsedInput<'sims:saveSearch'>, ctx: CallContext) {
      const saved = await saveSearch(db, input, ctx)
      bus.emit('audit:changed', {})
      return saved
    },
    async removeSearch(id: string, ctx: CallContext): Promise<{ removed: true }> {
      await removeSearch(db, id, ctx)
      bus.emit('audit:changed', {})
      return { removed: true }
    },

    alertsList: async () => ({ items: await listRules(db) }),
    async alertsAdd(input: ParsedInput<'alerts:add'>, ctx: CallContext): Promise<AlertRule> {
      const rule = await serially(() => addRule(db, input, ctx, deps.weatherUnits))
      bus.emit('alerts:changed', {})
      bus.emit('audit:changed', {})
      return rule
    },
    async alertsRemove(id: string, ctx: CallContext): Promise<{ removed: true; trashId: string }> {
      const { trashId } = await serially(() => removeRule(db, id, ctx))
      bus.emit('alerts:changed', {})
      bus.emit('trash:changed', {})
      bus.emit('audit:changed', {})
      return { removed: true, trashId }
    },
    /** Every rule over the cached data, and the account rules over every account that ever synced here. */
    async alertsCheck(ctx: CallContext): Promise<{ fired: number }> {
      // The stored profiles as they are: one whose settings no longer parse still names an account whose syncs may fail.
      const accounts = (await listProfiles(db)).filter((p) => CARRIER_EXTENSIONS.has(p.extension)).map((p) => p._id.slice('profile:'.length))
      for (const account of accounts) if (!account.startsWith('orange:')) await checkSms(account, null)
      const fired = await check(accounts)
      await appendAudit(db, { actor: ctx.actor, action: 'alerts.check', target: 'alerts', outcome: 'ok', after: { fired } })
      bus.emit('audit:changed', {})
      return { fired }
    },
    /** The weather rules over the cached readings, after a reading was fetched (nothing is asked of a provider). */
    checkWeather,
    /** Each notification with the devices naming its SIM now (its link), read from the device index for this page only. */
    async inboxList(input: ParsedInput<'inbox:list'>): Promise<{ total: number; unread: number; items: Notification[] }> {
      const page = await listInbox(db, input)
      const attached = await devicesOfSims(index, [...new Set(page.items.flatMap((n) => (n.sim ? [`${n.sim.carrier}:${n.sim.simId}`] : [])))])
      return { ...page, items: page.items.map((n) => ({ ...n, devices: n.sim ? (attached.get(`${n.sim.carrier}:${n.sim.simId}`) ?? []) : [] })) }
    },
    async inboxMarkRead(input: ParsedInput<'inbox:markRead'>, ctx: CallContext): Promise<{ changed: number }> {
      const changed = await markRead(db, input.ids, input.read, ctx)
      bus.emit('inbox:changed', { unread: await unreadCount(db) })
      bus.emit('audit:changed', {})
      return { changed }
    },

    async close(): Promise<void> {
      await Promise.allSettled([...running.values()].map((r) => r.run))
    },
  }
}

export type SimInventoryService = ReturnType<typeof createSimInventoryService>
