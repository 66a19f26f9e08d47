/**
 * Commands to mbed devices (docs/wire/mbed.md §2), from MQTT and from the console's "Send command".
 *
 * - MQTT: subscribed with `commandSubscription` for the bridged types ('auto': the default type plus each endpoint
 *   type as it becomes known), or for every type ('+'), or a fixed list.
 * - A command is checked (commands.ts: method exactly PUT/POST, deviceId = the topic's id, resourceId without leading
 *   '/', strict base64 payload, size); the topic's type must be the endpoint's when the bridge knows the endpoint (a
 *   command for type X must not reach a device of type Y that happens to share the id). Invalid → nothing is sent to
 *   mbed; an event `…/evt/bridgeError/fmt/json` {reason, message, …} on the command's type and id, and a log entry.
 * - Valid → PUT/POST /v2/endpoints/<ep>/<path> (Pelion: device-requests with our async id). Commands to one endpoint
 *   are sent in the order they arrived. If mbed refuses one or cannot be reached, a bridgeError
 *   {reason: 'requestFailed', code, status} is published for it.
 * - A Connector that answers a command directly (200/201/204) yields an asyncResponse whose id is the bridge's
 *   command id.
 * - Nothing the broker was told is delivered goes missing (command-journal.ts): an MQTT command is written to the
 *   journal before the link acknowledges it, and one taken while the bridge cannot send it (starting, failed) waits
 *   there, then goes to mbed once the bridge runs (`resume`), in the order it came. A command a disk refuses, or one
 *   that comes while the bridge is stopped, is not acknowledged (the handler throws, `refuseOnError`): the broker
 *   delivers it again. One the last run may have sent (killed while mbed had it) is reported as a bridgeError
 *   {reason: 'unknownOutcome'}, never sent twice.
 * - On a link with a persistent session (the bridge's own, session.ts) the subscriptions stay at the broker when the
 *   bridge stops or fails, so that it keeps the commands published meanwhile for the next start; a command for a
 *   device type an earlier run subscribed and this one has not learnt yet comes unmatched, and is taken all the same.
 *   On a clean session the bridge unsubscribes instead: the broker would keep nothing anyway.
 */
import { randomUUID } from 'node:crypto'
import type { MbedCommandView } from '../../../src-shared/models/mbed'
import { AppError } from '../common/errors'
import type { Logger } from '../log/logger'
import type { PlatformLink, Unsubscribe } from '../platform/link'
import type { CommandJournal, JournalCommand } from './command-journal'
import { commandSubscription, eventTopic, isValidTopicPart, parseTopic } from '../platform/topics'
import { checkCommand, type CommandCheck, type CommandMethod, type CommandRefusal, type ValidCommand } from './commands'
import type { MbedClient } from './connector.client'
import type { EndpointTypes } from './endpoint-types'
import type { LimitedWarn } from './log-limit'
import { commandView, type CommandRecord, type PendingCommands } from './pending-commands'
import type { OutKind } from './publish-queue'

export interface SendCommandInput {
  method: CommandMethod
  deviceId: string
  resourceId: string
  /** base64; optional for POST. */
  payload?: string
}

export type CommandTypes = 'auto' | '+' | readonly string[]

export interface CommandIntakeOptions {
  client: Pick<MbedClient, 'flavour' | 'resourceRequest'>
  link: Pick<PlatformLink, 'subscribe' | 'onUnmatched' | 'persistent'>
  /** Where MQTT commands wait from their acknowledgement until mbed has them (opened and closed by the bridge). */
  journal: CommandJournal
  /** The journal's disk refused a write: the bridge fails on the disk's side and tries again later. */
  writeFailed: (error: unknown) => void
  types: EndpointTypes
  pending: PendingCommands
  commandTypes: CommandTypes
  commandContentType: string
  maxCommandBytes: number
  counters: { commands: number; commandErrors: number }
  publish: (topic: string, payload: string, kind: OutKind) => void
  /** Whether commands are taken now (the bridge is running or degraded). */
  accepting: () => boolean
  warn: LimitedWarn
  log: Logger
}

export class CommandIntake {
  private readonly subscriptions = new Map<string, Unsubscribe>()
  private readonly bridgedTypes = new Set<string>()
  /** Per endpoint, the promise of its last command: the next one is sent after it. */
  private readonly tails = new Map<string, Promise<void>>()
  /** MQTT commands taken (in the journal) that wait for the bridge to run, oldest first. */
  private waiting: JournalCommand[] = []
  private offUnmatched: (() => void) | null = null

  constructor(private readonly o: CommandIntakeOptions) {}

  /**
   * At start, with the journal open: what the last run left. Commands never sent wait for `resume`; those that may
   * have reached mbed are reported and leave the journal.
   */
  adoptLeft(left: { unsent: JournalCommand[]; unknown: JournalCommand[] }): void {
    this.waiting = [...left.unsent, ...this.waiting]
    for (const c of left.unknown) {
      const t = parseTopic(c.topic)
      this.o.counters.commandErrors++
      this.o.log.warn({ topic: c.topic, takenAt: new Date(c.at).toISOString() }, 'mbed bridge: a command the last run was sending when it ended may or may not have reached mbed; it is not sent again')
      if (t && t.kind === 'command') {
        this.bridgeError(t.type, t.id, {
          reason: 'unknownOutcome',
          message: 'The bridge stopped while it was sending this command to mbed: it may or may not have reached the device, and is not sent again',
          command: t.name,
          topic: c.topic,
        })
      }
      this.o.journal.done(c.id)
    }
    if (this.o.link.persistent && !this.offUnmatched) {
      this.offUnmatched = this.o.link.onUnmatched((topic, payload) => this.onUnmatched(topic, payload), { refuseOnError: true })
    }
  }

  /** The bridge runs (again): the commands that waited go to mbed, in the order they came. */
  resume(): void {
    const now = this.waiting
    this.waiting = []
    for (let i = 0; i < now.length; i++) {
      if (!this.process(now[i] as JournalCommand)) {
        // The disk refused the journal's line: these wait for the bridge's next start, in order.
        this.waiting = [...now.slice(i), ...this.waiting]
        return
      }
    }
  }

  /**
   * The bridge failed: commands stop going to mbed. On a persistent session they are still taken and wait in the
   * journal; on a clean one the bridge unsubscribes (the broker keeps nothing for it anyway).
   */
  pause(): void {
    if (!this.o.link.persistent) void this.unsubscribeAll()
  }

  /** At stop (the journal is closing): commands left waiting stay in the journal for the next start. */
  async stop(): Promise<void> {
    this.waiting = []
    this.offUnmatched?.()
    this.offUnmatched = null
    // Commands on their way to mbed finish first: the journal then records them as done, not as of unknown outcome.
    await Promise.allSettled([...this.tails.values()])
    // A persistent session keeps the subscriptions, and the broker the commands published until the next start.
    if (!this.o.link.persistent) await this.unsubscribeAll()
  }

  /** Subscribes the command topics the configuration names (at start). */
  subscribeConfigured(knownTypes: Iterable<string>): void {
    const { commandTypes } = this.o
    if (commandTypes === 'auto') {
      this.subscribeType(this.o.types.defaultType)
      for (const type of knownTypes) this.subscribeType(type)
    } else if (commandTypes === '+') {
      for (const filter of commandSubscription('+')) this.subscribeFilter(filter)
    } else {
      for (const type of commandTypes) this.subscribeType(type)
    }
  }

  /** A device type became known: in 'auto' mode its commands are subscribed too. */
  typeLearnt(type: string): void {
    if (this.o.commandTypes === 'auto') this.subscribeType(type)
  }

  async unsubscribeAll(): Promise<void> {
    const all = [...this.subscriptions.values()]
    this.subscriptions.clear()
    this.bridgedTypes.clear()
    await Promise.all(all.map((u) => u().catch(() => undefined)))
  }

  /** The console's "Send command": the same checks and path as an MQTT command; resolves once mbed took it. */
  async sendFromConsole(input: SendCommandInput, maxBytes: number): Promise<MbedCommandView> {
    const check = checkCommand(JSON.stringify(input), null, maxBytes)
    if (!check.ok) {
      throw AppError.withRef('VALIDATION', check.message, { key: `mbed.command.${check.reason}`, params: { field: check.field ?? '' } })
    }
    const record = this.forward(check.command, { source: 'console', deviceType: this.o.types.typeOf(check.command.deviceId), commandName: null, topic: null })
    await (this.tails.get(record.ep) ?? Promise.resolve())
    return commandView(record)
  }

  private subscribeType(type: string): void {
    if (this.bridgedTypes.has(type)) return
    this.bridgedTypes.add(type)
    for (const filter of commandSubscription([type])) this.subscribeFilter(filter)
  }

  private subscribeFilter(filter: string): void {
    if (this.subscriptions.has(filter)) return
    const unsubscribe = this.o.link.subscribe(filter, (topic, payload) => this.onMessage(topic, payload), { refuseOnError: true })
    this.subscriptions.set(filter, unsubscribe)
    unsubscribe.ready.catch((e: unknown) => {
      this.o.log.warn({ filter, err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: the broker refused the command subscription; commands for this type will not arrive')
    })
  }

  private bridgeError(type: string, id: string, fields: { reason: CommandRefusal | 'typeMismatch' | 'requestFailed' | 'unknownOutcome'; message: string } & Record<string, unknown>): void {
    if (!isValidTopicPart('typeId', type) || !isValidTopicPart('deviceId', id)) return
    this.o.publish(eventTopic(type, id, 'bridgeError', 'json'), JSON.stringify({ ...fields, at: new Date().toISOString() }), 'bridgeError')
  }

  private refuse(topic: string, type: string, id: string, name: string, reason: CommandRefusal | 'typeMismatch', message: string, field?: string): void {
    this.o.counters.commandErrors++
    this.o.warn('command', { topic, reason, field, message }, 'mbed bridge: command refused, not forwarded to mbed')
    this.bridgeError(type, id, { reason, message, command: name, topic, ...(field ? { field } : {}) })
  }

  /**
   * A command from the broker. It is written to the journal before this returns (the link acknowledges it right
   * after); what cannot be kept throws, so that the link leaves it unacknowledged and the broker delivers it again.
   */
  private onMessage(topic: string, payload: Buffer): void {
    const t = parseTopic(topic)
    if (!t || t.kind !== 'command') return
    // 'auto' subscribes per bridged type; anything else reaching here is not a command for an mbed device.
    if (this.o.commandTypes === 'auto' && !this.bridgedTypes.has(t.type)) return
    if (!this.o.journal.isOpen) {
      if (!this.o.link.persistent) return
      throw new Error('the mbed bridge is stopped: the broker keeps the command for its next start')
    }
    let command: JournalCommand
    try {
      command = this.o.journal.take(topic, payload)
    } catch (e) {
      this.o.writeFailed(e)
      throw e
    }
    if (this.o.accepting() && this.waiting.length === 0) this.process(command)
    else this.waiting.push(command)
  }

  /** A command of a filter an earlier run subscribed (persistent session): its type is bridged again, and it is taken. */
  private onUnmatched(topic: string, payload: Buffer): void {
    const t = parseTopic(topic)
    if (!t || t.kind !== 'command') return
    if (this.o.commandTypes === 'auto') this.typeLearnt(t.type)
    this.onMessage(topic, payload)
  }

  /**
   * Checks a journalled command and sends it; false when the journal could not record that it is being sent (it is
   * then not sent: the caller keeps it waiting).
   */
  private process(c: JournalCommand): boolean {
    const { journal } = this.o
    const t = parseTopic(c.topic)
    if (!t || t.kind !== 'command') {
      journal.done(c.id)
      return true
    }
    const check: CommandCheck = checkCommand(c.payload, t.id, this.o.maxCommandBytes)
    if (!check.ok) {
      this.refuse(c.topic, t.type, t.id, t.name, check.reason, check.message, check.field)
      journal.done(c.id)
      return true
    }
    const known = this.o.types.knownType(check.command.deviceId)
    if (known !== undefined && known !== t.type) {
      this.refuse(c.topic, t.type, t.id, t.name, 'typeMismatch', `Endpoint ${check.command.deviceId} is of device type "${known}", not "${t.type}"`)
      journal.done(c.id)
      return true
    }
    try {
      journal.sending(c.id)
    } catch (e) {
      this.o.writeFailed(e)
      return false
    }
    this.forward(check.command, { source: 'mqtt', deviceType: t.type, commandName: t.name, topic: c.topic }, c.id)
    return true
  }

  private forward(command: ValidCommand, origin: { source: 'mqtt' | 'console'; deviceType: string; commandName: string | null; topic: string | null }, journalId?: string): CommandRecord {
    const record: CommandRecord = {
      id: randomUUID(),
      source: origin.source,
      method: command.method,
      ep: command.deviceId,
      path: command.path,
      deviceType: origin.deviceType,
      commandName: origin.commandName,
      topic: origin.topic,
      asyncId: null,
      state: 'sending',
      createdAt: Date.now(),
      answeredAt: null,
      status: null,
      error: null,
      reason: null,
      response: null,
      queueMode: this.o.types.isQueueMode(command.deviceId),
    }
    this.o.counters.commands++
    this.o.pending.remember(record)
    this.o.pending.changed(record)
    // One endpoint's commands reach mbed in the order they came (the governor may run several requests at once).
    const previous = this.tails.get(record.ep) ?? Promise.resolve()
    const next = previous
      .then(() => this.send(record, command))
      .finally(() => {
        if (journalId !== undefined) this.o.journal.done(journalId)
      })
    this.tails.set(record.ep, next)
    void next.then(() => {
      if (this.tails.get(record.ep) === next) this.tails.delete(record.ep)
    })
    return record
  }

  private async send(record: CommandRecord, command: ValidCommand): Promise<void> {
    const { client, pending } = this.o
    // Pelion: our async id, registered before sending so an answer that beats the 202 still finds its command.
    const chosen = client.flavour === 'pelion' ? randomUUID() : undefined
    if (chosen) {
      record.asyncId = chosen
      pending.await(chosen, record)
    }
    try {
      const result = await client.resourceRequest({
        ep: command.deviceId,
        path: command.path,
        method: command.method,
        payload: command.payload,
        contentType: this.o.commandContentType,
        ...(chosen ? { asyncId: chosen } : {}),
      })
      if (result.kind === 'async') {
        if (record.state !== 'sending') return
        pending.accepted(record, result.asyncId, chosen !== undefined)
        return
      }
      // The Connector answered at once: report it like an async response, under the bridge's own command id.
      pending.answer(record, { id: record.id, status: result.status, payload: result.payload, ...(result.ct !== undefined ? { ct: result.ct } : {}) })
    } catch (e) {
      if (chosen) pending.forget(chosen)
      const error = e instanceof AppError ? e : AppError.withRef('INTERNAL', 'The command could not be sent', { key: 'mbed.commandNotSent' })
      record.state = 'failed'
      record.reason = error.toInfo()
      const status = error.details?.carrierCode !== undefined ? Number(error.details.carrierCode) : null
      record.status = status !== null && Number.isInteger(status) ? status : null
      this.o.counters.commandErrors++
      this.o.warn('commandFailed', { ep: record.ep, path: record.path, code: error.code, reason: error.message }, 'mbed bridge: mbed did not accept a command')
      this.bridgeError(record.deviceType, record.ep, {
        reason: 'requestFailed',
        message: error.message,
        code: error.code,
        ...(record.status !== null ? { status: record.status } : {}),
        commandId: record.id,
        method: record.method,
        path: record.path,
        ...(record.commandName ? { command: record.commandName } : {}),
        ...(record.topic ? { topic: record.topic } : {}),
      })
      pending.changed(record)
    }
  }
}
