/**
 * Orange SIMs for devices and scripts: read (cached for offline "as of"), status changes and location requests as
 * tickets the workspace keeps and follows, queued changes in the shared outbox, and tickets looked up by number.
 */
import type { DeviceKey, Output, ParsedInput } from '../../../../src-shared/contract'
import type { OrangeRequestableStatus, OrangeTestMode, OrangeTicket, OrangeTicketOperation } from '../../../../src-shared/models/orange'
import { ORANGE_SERIAL_PATTERN, orangeRequestableStatusSchema, orangeTestModeSchema } from '../../../../src-shared/models/orange'
import type { OrangeSimStatus, Sim, SimStatus } from '../../../../src-shared/models/sim'
import type { CallContext } from '../../common/call-context'
import { AppError, isAppError, toErrorInfo } from '../../common/errors'
import type { EventBus } from '../../common/events'
import type { Logger } from '../../log/logger'
import type { ProfilesService } from '../../profiles/profiles.service'
import { appendAudit, auditDoc } from '../../store/audit.store'
import { getDeviceDoc } from '../../store/devices.store'
import { assertBulkOk, type Db } from '../../store/documents'
import { newOutboxDoc, pendingOutboxCount, queuedChange, type OutboxDoc } from '../../store/outbox.store'
import { getTicket, listTickets, newTicketDoc, ticketDocId, toOrangeTicket, type TicketDoc } from '../../store/tickets.store'
import type { CarrierClients } from '../carrier-clients'
import { normaliseOrangeStatus, orangeStatusValue } from '../sim-model'
import { SIM_READ_DEADLINE_MS, withReadDeadline } from '../read-deadline'
import { createOrangeAccounts, type OrangeAccount, type OrangeEnvironment } from './accounts'
import { cacheOrangeSim, cachedOrangeSim } from './sim-cache'
import { DEFAULT_POLLING, createTicketFollower, ticketTarget, updateFromReport, updateFromStatus, type PollingOptions } from './ticket-follower'

export interface OrangeDeps {
  db: Db
  bus: EventBus
  profiles: ProfilesService
  clients: CarrierClients
  /** FIELDLINE_ORANGE_* credentials, for the CLI without a saved profile. */
  environment?: OrangeEnvironment
  polling?: PollingOptions
  logger?: Logger
  /** How long a read of one SIM may take in all: SIM_READ_DEADLINE_MS (read-deadline.ts) unless given. */
  readDeadlineMs?: number
}

interface Target {
  serialNumber: string
  device: DeviceKey | null
  label: string
}

interface Resolved extends Target {
  account: OrangeAccount
}

const MAX_TICKETS = 200

/** A queued change's normalised status back in Orange's words; anything else was not queued by this service. */
function orangeRequestable(status: string): OrangeRequestableStatus {
  const value = orangeRequestableStatusSchema.safeParse(orangeStatusValue(status as SimStatus))
  if (!value.success) throw AppError.withRef('VALIDATION', `Orange cannot be asked for status ${status.slice(0, 40)}`, { key: 'sim.statusNotSettable', params: { status: status.slice(0, 40) } })
  return value.data
}

function targetLabel(serialNumber: string, device: DeviceKey | null): string {
  return ticketTarget({ serialNumber, device })
}

export function createOrangeService({ db, bus, profiles, clients, environment, polling = DEFAULT_POLLING, logger, readDeadlineMs = SIM_READ_DEADLINE_MS }: OrangeDeps) {
  const accounts = createOrangeAccounts(profiles, clients, environment)
  const follower = createTicketFollower({ db, bus, accounts, polling, ...(logger ? { logger } : {}) })

  /** The device's Orange SIM, from its extension configuration `{"orange": {"serialnumber", "profile"?}}`. */
  async function resolveDevice(key: DeviceKey): Promise<Resolved & { device: DeviceKey }> {
    const device = await getDeviceDoc(db, key)
    const label = `${key.typeId}/${key.deviceId}`
    if (!device) throw AppError.withRef('NOT_FOUND', `Device ${label} does not exist`, { key: 'errors.deviceNotFound', params: { id: label } })
    const entry = (device.extensionConfig ?? {}).orange as { serialnumber?: unknown; profile?: unknown } | undefined
    if (!entry || typeof entry.serialnumber !== 'string') {
      throw AppError.withRef('NOT_FOUND', `Device ${label} has no Orange SIM in its extension configuration`, { key: 'orange.notConfigured', params: { id: label } })
    }
    if (!ORANGE_SERIAL_PATTERN.test(entry.serialnumber)) {
      throw AppError.withRef('VALIDATION', `Device ${label} names an invalid Orange serial number`, { key: 'orange.invalidSerial', params: { serial: entry.serialnumber.slice(0, 40) } })
    }
    const account = await accounts.profile(typeof entry.profile === 'string' ? entry.profile : undefined)
    const deviceKey = { typeId: key.typeId, deviceId: key.deviceId }
    return { serialNumber: entry.serialnumber, device: deviceKey, label: targetLabel(entry.serialnumber, deviceKey), account }
  }

  /**
   * Gives up after readDeadlineMs (read-deadline.ts): the panel then shows the cached copy with the reason; or when
   * `cancel` aborts (the operator cancelled the read: read-cancels.ts).
   */
  async function readSim(account: OrangeAccount, serialNumber: string, cancel?: AbortSignal): Promise<Sim> {
    const client = await account.client()
    const sim = await withReadDeadline(readDeadlineMs, { service: 'Orange M2M', host: new URL(client.baseUrl).host }, (signal) => client.getSim(serialNumber, { signal }), cancel)
    return cacheOrangeSim(db, bus, sim)
  }

  async function ticketsOf(serialNumber: string): Promise<OrangeTicket[]> {
    return (await listTickets(db))
      .filter((t) => t.serialNumber === serialNumber)
      .sort((a, b) => b.submittedAt.localeCompare(a.submittedAt))
      .map(toOrangeTicket)
  }

  /** Writes a new ticket with the audit entry of its submission, and starts following it. */
  async function record(doc: TicketDoc, audit: ReturnType<typeof auditDoc>): Promise<OrangeTicket> {
    assertBulkOk(await db.bulkDocs([doc, audit]))
    bus.emit('audit:changed', {})
    const ticket = toOrangeTicket(doc)
    bus.emit('orange:ticket', ticket)
    follower.follow(doc)
    return ticket
  }

  function newTicket(account: OrangeAccount, target: Target, operation: OrangeTicketOperation, ticketNumber: number, ctx: CallContext, extra: Partial<TicketDoc> = {}): TicketDoc {
    const now = new Date().toISOString()
    return newTicketDoc({
      operation,
      ticketNumber,
      profileId: account.profileId,
      account: { baseUrl: account.baseUrl, username: account.username },
      serialNumber: target.serialNumber,
      device: target.device,
      requestedStatus: null,
      testMode: null,
      statusBefore: null,
      state: 'WAITING',
      final: false,
      errorCode: null,
      errorMessage: null,
      lines: [],
      unknownLines: [],
      submittedAt: now,
      updatedAt: now,
      nextPollAt: new Date(Date.now() + polling.minMs).toISOString(),
      polls: 0,
      lastError: null,
      location: null,
      actor: ctx.actor,
      finishedAt: null,
      ...extra,
    })
  }

  /** An attempt Orange may have acted on, audited when it fails (a refusal of bad input changes nothing and is not). */
  async function auditFailure(action: string, target: Target, ctx: CallContext, e: unknown, extra: { before?: unknown; after?: unknown }): Promise<void> {
    await appendAudit(db, { actor: ctx.actor, action, target: target.label, outcome: 'failed', ...extra, error: toErrorInfo(e) })
    bus.emit('audit:changed', {})
  }

  /**
   * Reads the SIM first: its status is the "before" of the audit trail, and a change Orange would only refuse later in
   * the ticket (already in that state, cancelled, a change already pending) is refused here at once.
   */
  async function submitStatus(account: OrangeAccount, target: Target, status: OrangeRequestableStatus, testMode: OrangeTestMode | undefined, ctx: CallContext): Promise<OrangeTicket> {
    const current = await readSim(account, target.serialNumber)
    const before = current.statusRaw as OrangeSimStatus | null
    if (before === status) {
      throw AppError.withRef('VALIDATION', `SIM ${target.serialNumber} is already ${status}`, { key: 'orange.sameStatus', params: { serial: target.serialNumber, status } })
    }
    if (before === 'CANCELLED') {
      throw AppError.withRef('VALIDATION', `SIM ${target.serialNumber} is cancelled; its status cannot change`, { key: 'orange.simCancelled', params: { serial: target.serialNumber } })
    }
    const pending = current.orange?.requestedStatus
    if (pending) {
      // A command killed while it waited, run again, lands here: the ticket it made is named, as the workspace follows it.
      const open = (await ticketsOf(target.serialNumber)).find((t) => t.operation === 'status' && !t.final && t.requestedStatus === pending)
      if (open) {
        throw AppError.withRef('CONFLICT', `A change of SIM ${target.serialNumber} to ${pending} is still pending at Orange in ticket ${open.ticketNumber}, which this workspace follows`, {
          key: 'orange.changePendingTicket',
          params: { serial: target.serialNumber, status: pending, ticket: open.ticketNumber },
        })
      }
      throw AppError.withRef('CONFLICT', `A change of SIM ${target.serialNumber} to ${pending} is still pending at Orange`, {
        key: 'orange.changePending',
        params: { serial: target.serialNumber, status: pending },
      })
    }
    const after = { status, ...(testMode ? { testMode } : {}) }
    let ticketNumber: number
    try {
      ;({ ticketNumber } = await (await account.client()).submitStatusChange(target.serialNumber, status, testMode))
    } catch (e) {
      if (isAppError(e) && e.code !== 'VALIDATION' && e.code !== 'NOT_FOUND') await auditFailure('orange.changeStatus', target, ctx, e, { before: { status: before }, after })
      throw e
    }
    const doc = newTicket(account, target, 'status', ticketNumber, ctx, { requestedStatus: status, testMode: testMode ?? null, statusBefore: before })
    return record(doc, auditDoc({ actor: ctx.actor, action: 'orange.changeStatus.submitted', target: target.label, outcome: 'ok', before: { status: before }, after: { ...after, ticketNumber } }))
  }

  async function submitLocation(account: OrangeAccount, target: Target, ctx: CallContext): Promise<OrangeTicket> {
    let ticketNumber: number
    try {
      ;({ ticketNumber } = await (await account.client()).submitLocation(target.serialNumber))
    } catch (e) {
      if (isAppError(e) && e.code !== 'VALIDATION' && e.code !== 'NOT_FOUND') await auditFailure('orange.locate', target, ctx, e, {})
      throw e
    }
    const doc = newTicket(account, target, 'location', ticketNumber, ctx)
    return record(doc, auditDoc({ actor: ctx.actor, action: 'orange.locate.submitted', target: target.label, outcome: 'ok', after: { ticketNumber } }))
  }

  /**
   * A ticket by number: the kept copy (polled now if still open), else Orange's answer, which the workspace then keeps
   * and follows. Orange gives a final result once, so a ticket finished elsewhere cannot be read a second time.
   */
  async function lookup(account: OrangeAccount, operation: OrangeTicketOperation, ticketNumber: number, ctx: CallContext): Promise<OrangeTicket> {
    const id = ticketDocId(operation, account, ticketNumber)
    const kept = await getTicket(db, id)
    if (kept) return kept.final ? toOrangeTicket(kept) : ((await follower.pollNow(id)) ?? toOrangeTicket(kept))
    const client = await account.client()
    const update = operation === 'status' ? updateFromStatus(await client.statusTicket(ticketNumber)) : null
    const report = operation === 'location' ? await client.locationTicket(ticketNumber) : null
    const serialNumber = (update?.lines ?? report?.lines ?? [])[0]?.serialNumber ?? ''
    const fields = update ?? updateFromReport(report!, serialNumber, ticketNumber)
    const target = { serialNumber, device: null, label: targetLabel(serialNumber, null) }
    const doc = newTicket(account, target, operation, ticketNumber, ctx, {
      ...fields,
      polls: 1,
      nextPollAt: fields.final ? null : new Date(Date.now() + polling.minMs).toISOString(),
      finishedAt: fields.final ? new Date().toISOString() : null,
    })
    const audit = auditDoc({ actor: ctx.actor, action: 'orange.ticket.adopted', target: target.label, outcome: 'ok', after: { operation, ticketNumber, state: doc.state } })
    if (doc.final) {
      assertBulkOk(await db.bulkDocs([doc, audit]))
      bus.emit('audit:changed', {})
      bus.emit('orange:ticket', toOrangeTicket(doc))
      return toOrangeTicket(doc)
    }
    return record(doc, audit)
  }

  /** Queued as the outbox's one kind of status change, in the normalised vocabulary every view translates. */
  async function queue(r: Resolved & { device: DeviceKey }, input: { status: OrangeRequestableStatus; testMode?: OrangeTestMode | undefined }, ctx: CallContext): Promise<string> {
    const params: OutboxDoc['params'] = { status: normaliseOrangeStatus(input.status), ...(input.testMode ? { testMode: input.testMode } : {}) }
    const doc = newOutboxDoc(
      { action: 'sim.changeStatus', target: `${r.device.typeId}/${r.device.deviceId}`, carrier: 'orange', iccid: r.serialNumber, params, device: r.device, profileId: r.account.profileId ?? '' },
      new Date().toISOString(),
    )
    const via = r.account.profileName ? { via: r.account.profileName } : {}
    assertBulkOk(await db.bulkDocs(queuedChange(doc, { actor: ctx.actor, action: 'orange.changeStatus.queued', target: r.label, ...via, after: params })))
    bus.emit('audit:changed', {})
    bus.emit('outbox:changed', { pending: await pendingOutboxCount(db) })
    return doc._id
  }

  return {
    accounts,

    /** `cancel`: aborted when the operator cancels the read (read-cancels.ts); what is cached then stays as it was. */
    async get(input: ParsedInput<'orange:get'>, cancel?: AbortSignal): Promise<Output<'orange:get'>> {
      const r = await resolveDevice(input)
      const base = { serialNumber: r.serialNumber, profile: { id: r.account.profileId ?? '', name: r.account.profileName ?? '' } }
      const openTickets = async () => (await ticketsOf(r.serialNumber)).filter((t) => !t.final)
      const cached = await cachedOrangeSim(db, r.serialNumber)
      if (!input.refresh && cached) return { ...base, sim: cached.sim, fetchedAt: cached.fetchedAt, fromCache: true, offline: null, openTickets: await openTickets() }
      try {
        const sim = await readSim(r.account, r.serialNumber, cancel)
        return { ...base, sim, fetchedAt: sim.fetchedAt, fromCache: false, offline: null, openTickets: await openTickets() }
      } catch (e) {
        // A cancelled read says nothing about Orange: the panel keeps what it shows, without an offline reason.
        if (!cached || !isAppError(e) || e.code === 'CANCELLED') throw e
        return { ...base, sim: cached.sim, fetchedAt: cached.fetchedAt, fromCache: true, offline: e.toInfo(), openTickets: await openTickets() }
      }
    },

    async changeStatus(input: ParsedInput<'orange:changeStatus'>, ctx: CallContext): Promise<Output<'orange:changeStatus'>> {
      const r = await resolveDevice(input)
      if (input.queue) return { outcome: 'queued', ticket: null, outboxId: await queue(r, input, ctx) }
      return { outcome: 'submitted', ticket: await submitStatus(r.account, r, input.status, input.testMode, ctx), outboxId: null }
    },

    async locate(input: ParsedInput<'orange:locate'>, ctx: CallContext): Promise<Output<'orange:locate'>> {
      const r = await resolveDevice(input)
      return { outcome: 'submitted', ticket: await submitLocation(r.account, r, ctx), outboxId: null }
    },

    async tickets(input: ParsedInput<'orange:tickets'>): Promise<Output<'orange:tickets'>> {
      const r = await resolveDevice(input)
      return { items: (await ticketsOf(r.serialNumber)).slice(0, Math.min(input.limit, MAX_TICKETS)) }
    },

    async ticket(id: string): Promise<OrangeTicket> {
      const doc = await getTicket(db, id)
      if (!doc) throw AppError.withRef('NOT_FOUND', `No ticket ${id} in this workspace`, { key: 'orange.ticketNotKept', params: { id: id.slice(0, 120) } })
      return toOrangeTicket(doc)
    },

    async lookupTicket(input: ParsedInput<'orange:lookupTicket'>, ctx: CallContext): Promise<OrangeTicket> {
      return lookup(await accounts.profile(input.profile), input.operation, input.ticketNumber, ctx)
    },

    /** The same operations for a serial number and an account the caller chose (the CLI). */
    bySerial: {
      readSim,
      submitStatus: (account: OrangeAccount, serialNumber: string, status: OrangeRequestableStatus, testMode: OrangeTestMode | undefined, ctx: CallContext) =>
        submitStatus(account, { serialNumber, device: null, label: targetLabel(serialNumber, null) }, status, testMode, ctx),
      submitLocation: (account: OrangeAccount, serialNumber: string, ctx: CallContext) => submitLocation(account, { serialNumber, device: null, label: targetLabel(serialNumber, null) }, ctx),
      lookup,
    },

    waitFor: (id: string) => follower.waitFor(id),

    /** Sends a change queued in the outbox (outbox:replay), through the device's configuration as it is now. */
    async replayQueued(item: OutboxDoc, ctx: CallContext): Promise<OrangeTicket> {
      const r = await resolveDevice(item.device)
      const status = orangeRequestable(String(item.params.status))
      const testMode = typeof item.params.testMode === 'string' ? orangeTestModeSchema.parse(item.params.testMode) : undefined
      return submitStatus(r.account, r, status, testMode, ctx)
    },

    async verify(id: string): Promise<{ ok: true; detail: string }> {
      const account = await accounts.profile(id)
      return { ok: true, detail: (await (await account.client()).verify()).detail }
    },

    /** Follows again every ticket left open by an earlier session (called when the core opens). */
    resume: () => follower.resumeAll(),

    async close(): Promise<void> {
      await follower.close()
      await accounts.close()
    },
  }
}

export type OrangeService = ReturnType<typeof createOrangeService>
