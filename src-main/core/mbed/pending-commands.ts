/**
 * Commands the bridge sent to mbed and their answers (docs/wire/mbed.md §1.3, §1.6): the records the UI lists, the
 * commands awaiting their async response (by async id), and the matching of `async-responses` items to them.
 *
 * - An answer is published as `…/evt/asyncResponse/fmt/json` {id, status, ct, max-age, payload, ep, path} (+ error
 *   when mbed sent one) under the command's device type and endpoint (§2: Watson added ep/path, which raw mbed items
 *   lack).
 * - An answer that outruns its 202 (legacy form: two connections) waits `earlyAnswerMs` for it, on disk
 *   (early-answers.ts: mbed has forgotten it, so a kill must not lose it). One that matches nothing, or that a previous
 *   run left there, is counted, and published only when its legacy id names ep and path ("n#ep@domain/path").
 * - A command without an answer for its TTL (2 h 5 min; queue-mode endpoints 3 days + 5 min, §1.3's expiries) is
 *   marked expired; beyond `maxPending` awaiting commands the oldest is marked expired.
 */
import { eventTopic, isValidTopicPart } from '../platform/topics'
import type { Logger } from '../log/logger'
import type { ErrorInfo } from '../../../src-shared/contract'
import { AppError } from '../common/errors'
import { LIVE_PAYLOAD_MAX, type MbedCommandView } from '../../../src-shared/models/mbed'
import type { CommandMethod } from './commands'
import type { EarlyAnswers } from './early-answers'
import type { MbedAsyncResponse } from './envelope'
import type { LimitedWarn } from './log-limit'
import type { OutKind } from './publish-queue'

export interface CommandRecord {
  id: string
  source: 'mqtt' | 'console'
  method: CommandMethod
  ep: string
  path: string
  deviceType: string
  /** The topic's command name and the topic, for bridgeError events (MQTT commands only). */
  commandName: string | null
  topic: string | null
  asyncId: string | null
  state: MbedCommandView['state']
  createdAt: number
  answeredAt: number | null
  status: number | null
  error: string | null
  reason: ErrorInfo | null
  response: MbedCommandView['response']
  queueMode: boolean
}

export interface PendingCommandsOptions {
  pendingTtlMs: number
  queueModeTtlMs: number
  maxPending: number
  earlyAnswerMs: number
  /** Where early answers wait (opened by `open`). */
  early: EarlyAnswers
  commandHistory: number
  counters: { asyncResponses: number; unmatchedAsyncResponses: number; pendingCommands: number }
  publish: (topic: string, payload: string, kind: OutKind) => void
  typeOf: (ep: string) => string
  unroutable: (ep: string, what: string) => void
  /** A command changed state (the bridge emits 'mbed:command'). */
  changed: (view: MbedCommandView) => void
  warn: LimitedWarn
  log: Logger
}

const LEGACY_ASYNC_ID = /^\d+#([^@]+)@[^/]*(\/.*)$/

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

export function commandView(r: CommandRecord): MbedCommandView {
  return {
    id: r.id,
    source: r.source,
    method: r.method,
    ep: r.ep,
    path: r.path,
    deviceType: r.deviceType,
    asyncId: r.asyncId,
    state: r.state,
    createdAt: iso(r.createdAt),
    answeredAt: r.answeredAt === null ? null : iso(r.answeredAt),
    status: r.status,
    error: r.error,
    reason: r.reason,
    response: r.response,
  }
}

/** The asyncResponse event body: mbed's item plus the command's ep and path (§2). */
export function asyncResponseJson(a: MbedAsyncResponse, ep: string, path: string): string {
  const out: Record<string, unknown> = { id: a.id, status: a.status }
  if (a.ct !== undefined) out.ct = a.ct
  if (a.maxAge !== undefined) out['max-age'] = a.maxAge
  if (a.payload !== undefined) out.payload = a.payload
  out.ep = ep
  out.path = path
  if (a.error !== undefined) out.error = a.error
  return JSON.stringify(out)
}

export class PendingCommands {
  private readonly records = new Map<string, CommandRecord>()
  private readonly pending = new Map<string, CommandRecord>()
  private readonly early: EarlyAnswers

  constructor(private readonly o: PendingCommandsOptions) {
    this.early = o.early
  }

  /**
   * At start, once the publish queue is open: opens the early answers' journal. What a previous run left there can no
   * longer be claimed (its commands lived in that process): published by its legacy id, or counted and logged.
   */
  open(): void {
    const { left, settleLeft } = this.early.open()
    if (left.length > 0) this.o.log.info({ count: left.length }, 'mbed bridge: async responses the last run held for their command are handled as unmatched')
    for (const e of left) this.unmatched(e.answer)
    settleLeft()
  }

  get pendingCount(): number {
    return this.pending.size
  }

  /** Keeps a new command for the UI (the most recent `commandHistory`; pending ones stay reachable anyway). */
  remember(record: CommandRecord): void {
    this.records.set(record.id, record)
    if (this.records.size > this.o.commandHistory) {
      const oldest = this.records.keys().next().value
      if (oldest !== undefined) this.records.delete(oldest)
    }
  }

  changed(record: CommandRecord): void {
    this.o.counters.pendingCommands = this.pending.size
    this.o.changed(commandView(record))
  }

  /** The command now waits for the answer with this id. */
  await(asyncId: string, record: CommandRecord): void {
    if (this.pending.size >= this.o.maxPending) {
      const [oldestId, oldest] = this.pending.entries().next().value ?? []
      if (oldestId !== undefined && oldest) {
        this.pending.delete(oldestId)
        this.expire(oldest, AppError.withRef('TIMEOUT', `more than ${this.o.maxPending} commands were awaiting an answer`, { key: 'mbed.commandOverflow', params: { count: this.o.maxPending } }))
      }
    }
    this.pending.set(asyncId, record)
    this.o.counters.pendingCommands = this.pending.size
  }

  /** An answer kept because no command claimed it yet, handed to whoever turns out to own it (a subscription). */
  takeEarly(asyncId: string): MbedAsyncResponse | undefined {
    const e = this.early.get(asyncId)
    if (!e) return undefined
    this.early.settle(asyncId)
    return e.answer
  }

  forget(asyncId: string): void {
    this.pending.delete(asyncId)
  }

  /**
   * mbed gave the command its async id (a 202): it waits for the answer, unless the answer came first. `chosen` says
   * the id was the bridge's own and is already awaited (Pelion).
   */
  accepted(record: CommandRecord, asyncId: string, chosen: boolean): void {
    record.asyncId = asyncId
    record.state = 'pending'
    const beaten = this.early.get(asyncId)
    if (beaten) {
      this.pending.delete(asyncId)
      this.answer(record, beaten.answer)
      // Only now: the answer is in the publish queue on disk.
      this.early.settle(asyncId)
      return
    }
    if (!chosen) this.await(asyncId, record)
    this.changed(record)
  }

  /** An `async-responses` item. */
  handle(a: MbedAsyncResponse): void {
    this.o.counters.asyncResponses++
    const record = this.pending.get(a.id)
    if (record) {
      this.pending.delete(a.id)
      this.answer(record, a)
      return
    }
    // Unknown yet: a legacy answer can outrun the 202 that tells us its id (two connections). Wait a little.
    if (this.early.size >= this.o.maxPending) {
      const [oldest] = this.early.entries().next().value ?? []
      const held = oldest === undefined ? undefined : this.early.get(oldest)
      if (oldest !== undefined && held) {
        this.unmatched(held.answer)
        this.early.settle(oldest)
      }
    }
    try {
      this.early.hold(a, Date.now())
    } catch (e) {
      // Not on disk, it must not wait in memory only: handled at once, as if its 202 never came.
      this.o.warn('earlyJournal', { err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: an early async response could not be written to disk; handled as unmatched')
      this.unmatched(a)
    }
  }

  answer(record: CommandRecord, a: MbedAsyncResponse): void {
    record.state = 'answered'
    record.answeredAt = Date.now()
    record.status = a.status
    record.error = a.error ?? null
    record.response = {
      ...(a.ct !== undefined ? { ct: a.ct } : {}),
      ...(a.payload !== undefined ? { payload: a.payload.slice(0, LIVE_PAYLOAD_MAX) } : {}),
      ...(a.maxAge !== undefined ? { maxAge: a.maxAge } : {}),
    }
    if (isValidTopicPart('deviceId', record.ep)) {
      this.o.publish(eventTopic(record.deviceType, record.ep, 'asyncResponse', 'json'), asyncResponseJson(a, record.ep, record.path), 'asyncResponse')
    } else {
      this.o.unroutable(record.ep, 'asyncResponse')
    }
    this.changed(record)
  }

  /** Early answers whose command never showed up, and commands past their TTL (called once a second). */
  sweep(now: number): void {
    for (const [id, e] of [...this.early.entries()]) {
      if (now - e.at < this.o.earlyAnswerMs) break
      this.unmatched(e.answer)
      this.early.settle(id)
    }
    for (const [id, r] of this.pending) {
      const ttl = r.queueMode ? this.o.queueModeTtlMs : this.o.pendingTtlMs
      if (now - r.createdAt < ttl) continue
      this.pending.delete(id)
      this.expire(r, AppError.withRef('TIMEOUT', `no async response within ${Math.round(ttl / 60_000)} min`, { key: 'mbed.commandNoAnswer', params: { minutes: Math.round(ttl / 60_000) } }))
    }
    this.o.counters.pendingCommands = this.pending.size
  }

  /**
   * At stop, once the channel is closed and before the publish queue drains: no 202 can claim an early answer any
   * more, so each is handled as unmatched now rather than at the next start.
   */
  releaseEarly(): void {
    for (const [id, e] of [...this.early.entries()]) {
      this.unmatched(e.answer)
      this.early.settle(id)
    }
  }

  /** At stop: every awaiting command is marked expired; the early answers' journal is closed (what it holds stays). */
  stop(): void {
    for (const [id, r] of this.pending) {
      this.pending.delete(id)
      this.expire(r, AppError.withRef('TIMEOUT', 'the bridge stopped before the answer arrived', { key: 'mbed.commandBridgeStopped' }))
    }
    this.early.close()
  }

  /** The most recent commands, newest first, pending ones included. */
  list(): MbedCommandView[] {
    const all = new Map<string, CommandRecord>()
    for (const r of this.records.values()) all.set(r.id, r)
    for (const r of this.pending.values()) all.set(r.id, r)
    return [...all.values()]
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, Math.max(this.o.commandHistory, 1))
      .map(commandView)
  }

  /** Commands awaiting their async response, oldest first. */
  awaiting(): MbedCommandView[] {
    return [...this.pending.values()].map(commandView)
  }

  private expire(record: CommandRecord, why: AppError): void {
    record.state = 'expired'
    record.reason = why.toInfo()
    this.o.log.info({ ep: record.ep, path: record.path, asyncId: record.asyncId, why: why.message }, 'mbed bridge: a command got no async response')
    this.changed(record)
  }

  private unmatched(a: MbedAsyncResponse): void {
    this.o.counters.unmatchedAsyncResponses++
    const m = LEGACY_ASYNC_ID.exec(a.id)
    if (m && m[1] !== undefined && m[2] !== undefined) {
      // The legacy id names endpoint and path ("n#ep@domain/path", §1.3): enough to publish it where it belongs.
      const ep = m[1]
      if (isValidTopicPart('deviceId', ep)) {
        this.o.publish(eventTopic(this.o.typeOf(ep), ep, 'asyncResponse', 'json'), asyncResponseJson(a, ep, m[2]), 'asyncResponse')
        return
      }
    }
    this.o.warn('unmatched', { id: a.id.slice(0, 120), status: a.status }, 'mbed bridge: an async response matched no command of this bridge; not published')
  }
}
