import type { AuditOutcome, ErrorInfo, DeviceKey, Output, ParsedInput, SimView } from '../../../src-shared/contract'
import type { ControlCenterExtension } from '../../../src-shared/models/profiles'
import { CONTROL_CENTER_EXTENSIONS } from '../../../src-shared/models/profiles'
import type { Sim, SimStatus, SmsMessage } from '../../../src-shared/models/sim'
import type { CallContext } from '../common/call-context'
import { AppError, isAppError, toErrorInfo } from '../common/errors'
import type { EventBus } from '../common/events'
import { serialiser } from '../common/serial'
import type { ProfilesService } from '../profiles/profiles.service'
import { appendAudit, auditDoc, deliveredEntry, type AuditDoc } from '../store/audit.store'
import { listUsageCache, readSimCache, readUsageCache, writeSimCache, writeUsageCache } from '../store/cache.store'
import { getDeviceDoc } from '../store/devices.store'
import { listOutbox, newOutboxDoc, pendingOutboxCount, queuedChange, toOutboxItem, type OutboxDoc } from '../store/outbox.store'
import type { ProfileDoc } from '../store/profiles.store'
import { assertBulkOk, getOrNull, type BaseDoc, type Db } from '../store/documents'
import { sentSmsDoc } from '../store/sent-sms.store'
import type { CarrierClients } from './carrier-clients'
import { reachAccount, UNREACHABLE } from './carrier-reach'
import { controlCenterWhere, editDeviceWithin, SIM_READ_DEADLINE_MS, withReadDeadline } from './read-deadline'
import { checkSms, type ControlCenterClient, type DeviceChanges, type SmsDataCoding } from './control-center/control-center.client'
import { monthsBefore, refuseEndOfLife, SMS_REFUSED_STATUSES } from './sim-model'

type Target = DeviceKey & { carrier?: ControlCenterExtension | undefined }

interface Resolved {
  key: DeviceKey
  carrier: ControlCenterExtension
  iccid: string
  profile: ProfileDoc
  label: string
}

/** What an outbox item's state says about the audit entry of its queued change; null while it still waits. */
const DELIVERY: Record<OutboxDoc['state'], AuditOutcome | null> = { pending: null, done: 'sent', failed: 'failed', unknown: 'unknown' }

const SMS_POLL_MS = 2000
const SMS_FOLLOW_MS = 10 * 60 * 1000
/** An MT message is final once it leaves these states (docs/wire/control-center.md §1.10). */
const SMS_OPEN_STATES = new Set(['Pending', 'CancelPending'])

function accountOf(item: OutboxDoc): string {
  return reachAccount(item.carrier, item.profileId)
}

/**
 * What an automatic replay sends, in the order queued, and how many it holds for the operator: an SMS is sent at most
 * once, so it waits, and anything queued after it for the same SIM waits with it (order per SIM kept).
 */
function automaticPlan(queued: OutboxDoc[]): { sent: string[]; held: number } {
  const heldSims = new Set<string>()
  const sent: string[] = []
  for (const d of queued) {
    const sim = `${d.carrier}:${d.iccid}`
    if (d.action === 'sim.sendSms' || heldSims.has(sim)) heldSims.add(sim)
    else sent.push(d._id)
  }
  return { sent, held: queued.length - sent.length }
}

/** The cycle arithmetic the service uses, kept with the SIM model (sim-model.ts) so the Control Center client shares it. */
export { monthsBefore }

export interface SimDeps {
  db: Db
  bus: EventBus
  profiles: ProfilesService
  clients: CarrierClients
  /** Sends a queued Orange change when the outbox is replayed. */
  orange?: { replayQueued(item: OutboxDoc, ctx: CallContext): Promise<unknown> }
  /**
   * How long a read of one SIM, its usage or its usage history may take in all, and a change of its state or rate plan
   * before its outcome is told: SIM_READ_DEADLINE_MS (read-deadline.ts) unless given.
   */
  readDeadlineMs?: number
}

/**
 * SIM operations for a device, through the carrier profile its extension configuration points at. Reads are
 * cached for offline use; changes are audited; changes asked for offline go to the outbox only when the
 * operator chooses to queue them.
 */
export function createSimService({ db, bus, profiles, clients, orange, readDeadlineMs = SIM_READ_DEADLINE_MS }: SimDeps) {
  const followers = new Set<NodeJS.Timeout>()

  async function resolve(target: Target): Promise<Resolved> {
    const device = await getDeviceDoc(db, target)
    const label = `${target.typeId}/${target.deviceId}`
    if (!device) throw AppError.withRef('NOT_FOUND', `Device ${label} does not exist`, { key: 'errors.deviceNotFound', params: { id: label } })
    const config = device.extensionConfig ?? {}
    const carrier = target.carrier ?? CONTROL_CENTER_EXTENSIONS.find((c) => c in config)
    const entry = carrier ? (config[carrier] as { iccid?: unknown; profile?: unknown } | undefined) : undefined
    if (!carrier || !entry || typeof entry.iccid !== 'string') {
      throw AppError.withRef('NOT_FOUND', `Device ${label} has no Jasper or AT&T SIM in its extension configuration`, { key: 'sim.notConfigured', params: { id: label } })
    }
    const profile = await profiles.resolve(carrier, typeof entry.profile === 'string' ? entry.profile : undefined)
    return { key: { typeId: target.typeId, deviceId: target.deviceId }, carrier, iccid: entry.iccid, profile, label }
  }

  async function client(r: Resolved): Promise<ControlCenterClient> {
    return clients.forProfile(r.profile)
  }

  /**
   * Runs a read of the carrier with a signal that gives up after readDeadlineMs, or when the operator cancels it
   * (read-deadline.ts).
   */
  async function deadlineRead<T>(r: Resolved, read: (c: ControlCenterClient, signal: AbortSignal) => Promise<T>, cancel?: AbortSignal): Promise<T> {
    const c = await client(r)
    return withReadDeadline(readDeadlineMs, controlCenterWhere(c), (signal) => read(c, signal), cancel)
  }

  /** Reads the SIM from the carrier, giving up after readDeadlineMs or when `cancel` aborts. */
  async function fetchSim(r: Resolved, cancel?: AbortSignal): Promise<Sim> {
    const sim = await deadlineRead(r, (c, signal) => c.getDevice(r.iccid, { signal }), cancel)
    await writeSimCache(db, sim)
    bus.emit('sim:changed', { carrier: r.carrier, iccid: r.iccid })
    return sim
  }

  async function audit(
    r: Resolved,
    ctx: CallContext,
    action: string,
    outcome: 'ok' | 'failed' | 'unknown',
    extra: { before?: unknown; after?: unknown; error?: ErrorInfo },
    alongside: BaseDoc[] = [],
  ) {
    const entry = { actor: ctx.actor, action, target: `${r.carrier}:${r.iccid} (${r.label})`, via: r.profile.name, outcome, ...extra }
    if (alongside.length === 0) await appendAudit(db, entry)
    else assertBulkOk(await db.bulkDocs([...alongside, auditDoc(entry)]))
    bus.emit('audit:changed', {})
  }

  async function queue(r: Resolved, action: OutboxDoc['action'], params: OutboxDoc['params'], ctx: CallContext): Promise<string> {
    const doc = newOutboxDoc({ action, target: r.label, carrier: r.carrier, iccid: r.iccid, params, device: r.key, profileId: r.profile._id.split(':').slice(2).join(':') }, new Date().toISOString())
    assertBulkOk(await db.bulkDocs(queuedChange(doc, { actor: ctx.actor, action: `${action}.queued`, target: `${r.carrier}:${r.iccid} (${r.label})`, via: r.profile.name, after: params })))
    bus.emit('audit:changed', {})
    await emitOutbox()
    return doc._id
  }

  /**
   * The outbox item's new state, with what it means for the audit entry that recorded the queued change (one write):
   * that entry stops saying "Queued" once the change was sent, refused, left unknown or discarded.
   */
  async function settle(
    item: OutboxDoc & { _rev: string },
    next: OutboxDoc | { _id: string; _rev: string; _deleted: true },
    outcome: AuditOutcome | null,
    error: ErrorInfo | null,
    extra: object[] = [],
  ): Promise<void> {
    const entry = outcome ? await linkedEntry(item) : null
    assertBulkOk(await db.bulkDocs([next, ...extra, ...(entry && outcome ? [deliveredEntry(entry, outcome, error)] : [])] as OutboxDoc[]))
    if (entry || extra.length) bus.emit('audit:changed', {})
  }

  async function linkedEntry(item: OutboxDoc): Promise<(AuditDoc & { _rev: string }) | null> {
    if (!item.auditId) return null
    const entry = await getOrNull<AuditDoc>(db, item.auditId)
    return entry?.outcome === 'queued' ? entry : null
  }

  /**
   * One outbox item at a time, whoever asks: an item is read again just before it is sent, so a change the operator
   * discarded while a replay was on its way to it is not sent, and two replays at once (the window and the CLI) do
   * not send one change twice.
   */
  const outboxTurn = serialiser()

  /** Sends one queued change if it still waits; its new state, or null when it no longer waited. */
  async function deliver(id: string, ctx: CallContext): Promise<OutboxDoc['state'] | null> {
    const item = await getOrNull<OutboxDoc>(db, id)
    if (!item || item.state !== 'pending') return null
    let state: OutboxDoc['state'] = 'done'
    let lastError: ErrorInfo | null = null
    try {
      if (item.carrier === 'orange') {
        // Orange's queued changes are sent by its own service (a ticket it then follows), in this same order.
        if (!orange) throw new AppError('INTERNAL', 'Orange SIMs are not available in this core')
        await orange.replayQueued(item, ctx)
      } else {
        const r = await resolve({ ...item.device, carrier: item.carrier })
        if (item.action === 'sim.changeStatus') await statusChange(r, item.params.status as SimStatus, ctx)
        else if (item.action === 'sim.changeRatePlan') await ratePlanChange(r, String(item.params.ratePlan), ctx)
        else await sms(r, String(item.params.text), item.params.dataCoding === undefined ? undefined : (Number(item.params.dataCoding) as SmsDataCoding), ctx)
      }
    } catch (e) {
      lastError = toErrorInfo(e)
      if (UNREACHABLE.has(lastError.code)) state = 'pending'
      else state = lastError.code === 'UNKNOWN_OUTCOME' ? 'unknown' : 'failed'
    }
    await settle(item, { ...item, state, attempts: item.attempts + 1, lastError }, DELIVERY[state], lastError)
    return state
  }

  async function emitOutbox(): Promise<void> {
    bus.emit('outbox:changed', { pending: await pendingOutboxCount(db) })
  }

  /**
   * Runs a change against the carrier under readDeadlineMs (withChangeDeadline), audits it either way (a change sent
   * whose answer never came is audited unknown, not failed), and refreshes the cached SIM.
   */
  async function change(r: Resolved, ctx: CallContext, action: string, changes: DeviceChanges, before: unknown): Promise<Sim | null> {
    try {
      await editDeviceWithin(await client(r), r.iccid, changes, readDeadlineMs)
    } catch (e) {
      const error = toErrorInfo(e)
      await audit(r, ctx, action, error.code === 'UNKNOWN_OUTCOME' ? 'unknown' : 'failed', { before, after: changes, error })
      throw e
    }
    await audit(r, ctx, action, 'ok', { before, after: changes })
    // The change is done; a failed re-read only means the panel shows the older copy until the next refresh.
    return fetchSim(r).catch(() => null)
  }

  function follow(r: Resolved, smsMsgId: string): void {
    const started = Date.now()
    const tick = async () => {
      try {
        const sms = await (await client(r)).smsDetails(smsMsgId)
        const final = !!sms.status && !SMS_OPEN_STATES.has(sms.status)
        bus.emit('sim:sms', { ...sms, final })
        if (final) return
      } catch {
        // A poll that fails is tried again at the next tick; the operator can also ask for the status.
      }
      if (Date.now() - started < SMS_FOLLOW_MS) schedule()
    }
    const schedule = () => {
      const t = setTimeout(() => {
        followers.delete(t)
        void tick()
      }, SMS_POLL_MS)
      t.unref?.()
      followers.add(t)
    }
    schedule()
  }

  /**
   * REST keeps the open cycle and the two before it (docs/wire/control-center.md §1.8). The open cycle's answer names its start
   * date, which gives the account's cycle day; the two earlier cycles start on that day one and two months back. The
   * three calls share one read deadline: cycles read before it passes stay cached. `cancel`: the operator's (read-cancels.ts),
   * which abandons the call under way and, through the same signal, every call left (CANCELLED).
   */
  async function readRecentCycles(r: Resolved, cancel?: AbortSignal): Promise<void> {
    await deadlineRead(
      r,
      async (c, signal) => {
        const current = await c.usageInZone(r.iccid, undefined, { signal })
        await writeUsageCache(db, current)
        for (const back of [1, 2]) {
          try {
            await writeUsageCache(db, await c.usageInZone(r.iccid, monthsBefore(current.cycleStartDate, back), { signal }))
          } catch (e) {
            // A cycle day past the end of a short month makes that cycle start on another day: skip it.
            if (!(isAppError(e) && (e.code === 'VALIDATION' || e.code === 'CARRIER' || e.code === 'NOT_FOUND'))) throw e
          }
        }
      },
      cancel,
    )
  }

  async function statusChange(r: Resolved, status: SimStatus, ctx: CallContext) {
    const before = (await changeableSim(r))?.status ?? null
    return change(r, ctx, 'sim.changeStatus', { status }, { status: before })
  }

  async function ratePlanChange(r: Resolved, ratePlan: string, ctx: CallContext) {
    const before = (await changeableSim(r))?.ratePlan ?? null
    return change(r, ctx, 'sim.changeRatePlan', { ratePlan }, { ratePlan: before })
  }

  /** The SIM as the carrier says now, or as cached when it cannot be reached. */
  async function currentSim(r: Resolved) {
    return (await fetchSim(r).catch(() => null)) ?? (await readSimCache(db, r.carrier, r.iccid))?.sim ?? null
  }

  /**
   * The SIM a change starts from, as the carrier says now (or as cached when it cannot be reached): the audit's
   * "before" is this copy, read once. A retired, purged or replaced SIM is changed no further (docs/wire/control-center.md §1.13).
   */
  async function changeableSim(r: Resolved): Promise<Sim | null> {
    const sim = await currentSim(r)
    if (sim) refuseEndOfLife(r.iccid, sim.status)
    return sim
  }

  /**
   * The SIM's status as the carrier says now, or as cached when it cannot be reached: an SMS to a SIM that cannot
   * receive one is refused before anything is sent (docs/wire/control-center.md §1.13).
   */
  async function refuseInactive(r: Resolved): Promise<void> {
    const sim = await currentSim(r)
    if (sim && SMS_REFUSED_STATUSES.has(sim.status)) {
      throw AppError.withRef('CONFLICT', `SIM ${r.iccid} is ${sim.status}: it cannot receive an SMS, so none was sent`, { key: 'sim.smsInactive', params: { iccid: r.iccid, status: sim.status } })
    }
  }

  async function sms(r: Resolved, text: string, dataCoding: SmsDataCoding | undefined, ctx: CallContext): Promise<string> {
    await refuseInactive(r)
    try {
      const { smsMsgId } = await (await client(r)).sendSms(r.iccid, text, dataCoding === undefined ? {} : { dataCoding })
      // Recorded with its audit entry: the account's syncs read its delivery status back (sent-sms.store.ts).
      const record = sentSmsDoc({ carrier: r.carrier, account: r.profile._id.slice('profile:'.length), iccid: r.iccid, smsMsgId, sentAt: new Date().toISOString() })
      await audit(r, ctx, 'sim.sendSms', 'ok', { after: { smsMsgId, length: text.length } }, [record])
      follow(r, smsMsgId)
      return smsMsgId
    } catch (e) {
      await audit(r, ctx, 'sim.sendSms', 'failed', { after: { length: text.length }, error: toErrorInfo(e) })
      throw e
    }
  }

  return {
    /** `cancel`: aborted when the operator cancels the read (read-cancels.ts); what is cached then stays as it was. */
    async get(input: ParsedInput<'sim:get'>, cancel?: AbortSignal): Promise<SimView> {
      const r = await resolve(input)
      const base = { carrier: r.carrier, iccid: r.iccid, profile: { id: r.profile._id.split(':').slice(2).join(':'), name: r.profile.name } }
      const cached = await readSimCache(db, r.carrier, r.iccid)
      if (!input.refresh && cached) return { ...base, sim: cached.sim, fetchedAt: cached.fetchedAt, fromCache: true, offline: null }
      try {
        const sim = await fetchSim(r, cancel)
        return { ...base, sim, fetchedAt: sim.fetchedAt, fromCache: false, offline: null }
      } catch (e) {
        // A cancelled read says nothing about the carrier: the panel keeps what it shows, without an offline reason.
        if (!cached || (isAppError(e) && e.code === 'CANCELLED')) throw e
        return { ...base, sim: cached.sim, fetchedAt: cached.fetchedAt, fromCache: true, offline: toErrorInfo(e) }
      }
    },

    async changeStatus(input: ParsedInput<'sim:changeStatus'>, ctx: CallContext): Promise<Output<'sim:changeStatus'>> {
      const r = await resolve(input)
      if (input.queue) return { outcome: 'queued', sim: null, outboxId: await queue(r, 'sim.changeStatus', { status: input.status }, ctx) }
      return { outcome: 'done', sim: await statusChange(r, input.status, ctx), outboxId: null }
    },

    async changeRatePlan(input: ParsedInput<'sim:changeRatePlan'>, ctx: CallContext): Promise<Output<'sim:changeRatePlan'>> {
      const r = await resolve(input)
      if (input.queue) return { outcome: 'queued', sim: null, outboxId: await queue(r, 'sim.changeRatePlan', { ratePlan: input.ratePlan }, ctx) }
      return { outcome: 'done', sim: await ratePlanChange(r, input.ratePlan, ctx), outboxId: null }
    },

    async ratePlans(input: ParsedInput<'sim:ratePlans'>): Promise<Output<'sim:ratePlans'>> {
      const r = await resolve(input)
      try {
        return { allowed: true, plans: (await (await client(r)).ratePlans()).map((p) => p.name) }
      } catch (e) {
        // A role without access to the rate plan list (10000030) can still type the exact plan name.
        if (isAppError(e) && e.details?.carrierCode === '10000030') return { allowed: false, plans: [] }
        throw e
      }
    },

    /** `cancel`: as for `get`; a cancelled read is CANCELLED, not the cached usage (it says nothing about the carrier). */
    async usage(input: ParsedInput<'sim:usage'>, cancel?: AbortSignal): Promise<Output<'sim:usage'>> {
      const r = await resolve(input)
      try {
        const usage = await deadlineRead(r, (c, signal) => c.usageForCycle(r.iccid, input.cycleStartDate, { signal }), cancel)
        await writeUsageCache(db, usage)
        return { usage, fromCache: false, offline: null }
      } catch (e) {
        const cached = isAppError(e) && UNREACHABLE.has(e.code) ? await readUsageCache(db, r.carrier, r.iccid, input.cycleStartDate) : null
        if (!cached) throw e
        return { usage: cached.usage, fromCache: true, offline: toErrorInfo(e) }
      }
    },

    /** `cancel`: as for `usage`; a cancelled refresh is CANCELLED, not the cached cycles with a reason. */
    async usageHistory(input: ParsedInput<'sim:usageHistory'>, cancel?: AbortSignal): Promise<Output<'sim:usageHistory'>> {
      const r = await resolve(input)
      let offline: ErrorInfo | null = null
      if (input.refresh) {
        try {
          await readRecentCycles(r, cancel)
        } catch (e) {
          if (!(isAppError(e) && UNREACHABLE.has(e.code))) throw e
          offline = e.toInfo()
        }
      }
      return { cycles: await listUsageCache(db, r.carrier, r.iccid), offline }
    },

    async sendSms(input: ParsedInput<'sim:sendSms'>, ctx: CallContext): Promise<Output<'sim:sendSms'>> {
      const r = await resolve(input)
      if (input.queue) {
        // Refused now, as a direct send would be, rather than when the queue is sent and the operator has moved on.
        checkSms(input.text, input.dataCoding === undefined ? {} : { dataCoding: input.dataCoding })
        const params: OutboxDoc['params'] = input.dataCoding === undefined ? { text: input.text } : { text: input.text, dataCoding: input.dataCoding }
        return { outcome: 'queued', sim: null, outboxId: await queue(r, 'sim.sendSms', params, ctx), smsMsgId: null }
      }
      return { outcome: 'done', sim: null, outboxId: null, smsMsgId: await sms(r, input.text, input.dataCoding, ctx) }
    },

    async smsStatus(input: ParsedInput<'sim:smsStatus'>): Promise<SmsMessage & { final: boolean }> {
      const r = await resolve(input)
      const message = await (await client(r)).smsDetails(input.smsMsgId)
      return { ...message, final: !!message.status && !SMS_OPEN_STATES.has(message.status) }
    },

    async outboxList(): Promise<Output<'outbox:list'>> {
      return { items: (await listOutbox(db)).map(toOutboxItem) }
    },

    /**
     * Sends queued changes in the order they were queued, of one account (carrier-reach.ts) when given. It stops at the
     * first one the carrier cannot be reached for (still offline); an SMS whose outcome is unknown is never sent again.
     */
    async outboxReplay(ctx: CallContext, automatic = false, account?: string): Promise<Output<'outbox:replay'>> {
      const counts = { done: 0, failed: 0, unknown: 0, pending: 0, held: 0 }
      const queued = (await listOutbox(db)).filter((d) => d.state === 'pending' && (account === undefined || accountOf(d) === account))
      const { sent: ids, held } = automatic ? automaticPlan(queued) : { sent: queued.map((d) => d._id), held: 0 }
      counts.held = held
      let offline = false
      for (const id of ids) {
        if (offline) {
          counts.pending++
          continue
        }
        const state = await outboxTurn(() => deliver(id, ctx))
        if (state === null) continue
        if (state === 'pending') {
          offline = true
          counts.pending++
        } else counts[state]++
      }
      await emitOutbox()
      return counts
    },

    /** Accounts (carrier-reach.ts) with a queued change that an automatic replay would send. */
    async outboxWaiting(): Promise<string[]> {
      const queued = (await listOutbox(db)).filter((d) => d.state === 'pending')
      const sent = new Set(automaticPlan(queued).sent)
      return [...new Set(queued.filter((d) => sent.has(d._id)).map(accountOf))]
    },

    async outboxDiscard(id: string, ctx: CallContext): Promise<Output<'outbox:discard'>> {
      const discarded = await outboxTurn(async () => {
        const item = await getOrNull<OutboxDoc>(db, id)
        if (!item || item.kind !== 'outbox') return false
        const entry = auditDoc({ actor: ctx.actor, action: `${item.action}.discarded`, target: `${item.carrier}:${item.iccid} (${item.target})`, outcome: 'ok', before: item.params })
        await settle(item, { _id: item._id, _rev: item._rev, _deleted: true }, item.state === 'pending' ? 'discarded' : null, null, [entry])
        return true
      })
      await emitOutbox()
      return { discarded }
    },

    async verify(extension: ControlCenterExtension, id: string): Promise<{ ok: true; detail: string }> {
      const doc = await profiles.get(extension, id)
      const result = await (await clients.forProfile(doc)).verify()
      return { ok: true, detail: `${result.restBaseUrl}${result.soapCredentials ? ` · SOAP ${result.soapBaseUrl}` : ''}` }
    },

    close(): void {
      for (const t of followers) clearTimeout(t)
      followers.clear()
    },
  }
}

export type SimService = ReturnType<typeof createSimService>
