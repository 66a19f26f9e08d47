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
 */
import { randomUUID } from 'node:crypto'
import type { MbedCommandView } from '../../../src-shared/models/mbed'
import { AppError } from '../common/errors'
import type { Logger } from '../log/logger'
import type { PlatformLink, Unsubscribe } from '../platform/link'
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
  link: Pick<PlatformLink, 'subscribe'>
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

  constructor(private readonly o: CommandIntakeOptions) {}

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
    const unsubscribe = this.o.link.subscribe(filter, (topic, payload) => this.onMessage(topic, payload))
    this.subscriptions.set(filter, unsubscribe)
    unsubscribe.ready.catch((e: unknown) => {
      this.o.log.warn({ filter, err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: the broker refused the command subscription; commands for this type will not arrive')
    })
  }

  private bridgeError(type: string, id: string, fields: { reason: CommandRefusal | 'typeMismatch' | 'requestFailed'; message: string } & Record<string, unknown>): void {
    if (!isValidTopicPart('typeId', type) || !isValidTopicPart('deviceId', id)) return
    this.o.publish(eventTopic(type, id, 'bridgeError', 'json'), JSON.stringify({ ...fields, at: new Date().toISOString() }), 'bridgeError')
  }

  private refuse(topic: string, type: string, id: string, name: string, reason: CommandRefusal | 'typeMismatch', message: string, field?: string): void {
    this.o.counters.commandErrors++
    this.o.warn('command', { topic, reason, field, message }, 'mbed bridge: command refused, not forwarded to mbed')
    this.bridgeError(type, id, { reason, message, command: name, topic, ...(field ? { field } : {}) })
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (!this.o.accepting()) return
    const t = parseTopic(topic)
    if (!t || t.kind !== 'command') return
    // 'auto' subscribes per bridged type; anything else reaching here is not a command for an mbed device.
    if (this.o.commandTypes === 'auto' && !this.bridgedTypes.has(t.type)) return
    const check: CommandCheck = checkCommand(payload, t.id, this.o.maxCommandBytes)
    if (!check.ok) {
      this.refuse(topic, t.type, t.id, t.name, check.reason, check.message, check.field)
      return
    }
    const known = this.o.types.knownType(check.command.deviceId)
    if (known !== undefined && known !== t.type) {
      this.refuse(topic, t.type, t.id, t.name, 'typeMismatch', `Endpoint ${check.command.deviceId} is of device type "${known}", not "${t.type}"`)
      return
    }
    this.forward(check.command, { source: 'mqtt', deviceType: t.type, commandName: t.name, topic })
  }

  private forward(command: ValidCommand, origin: { source: 'mqtt' | 'console'; deviceType: string; commandName: string | null; topic: string | null }): CommandRecord {
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
    const next = previous.then(() => this.send(record, command))
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
