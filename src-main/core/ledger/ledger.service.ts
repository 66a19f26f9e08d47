/**
 * The ledger room's channels: targets and routes (audited), the preview (resolve → encode → dry run), manual submits
 * and retries (audited, through the queue), monitoring reads, the live block feed, and the forwarder that takes device
 * events from the platform link.
 *
 * Device events come from the platform link's application subscription `iot-2/type/+/id/+/evt/+/fmt/+`
 * (docs/wire/platform-mqtt.md §3). The mbed bridge publishes its notifications through the same link
 * (`evt/notify`, docs/wire/mbed.md §2), and the broker hands an application its own publications on a matching
 * subscription, so one intake serves both sources with the same idempotency.
 */
import { randomUUID } from 'node:crypto'
import type { ErrorInfo, Output } from '../../../src-shared/contract'
import type { ForwardItem, LedgerFailure, Preview, Route, RouteSave } from '../../../src-shared/models/ledger'
import { routeSaveSchema } from '../../../src-shared/models/ledger'
import type { CallContext } from '../common/call-context'
import { AppError, isAppError } from '../common/errors'
import { throttled, type EventBus } from '../common/events'
import { parseOrThrow } from '../common/validation'
import type { Logger } from '../log/logger'
import type { PlatformLinks } from '../platform/platform-links'
import type { Unsubscribe } from '../platform/link'
import { parseTopic } from '../platform/topics'
import type { ProfilesService } from '../profiles/profiles.service'
import { auditDoc } from '../store/audit.store'
import { assertBulkOk, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import type { SecretStore } from '../vault/secret-store'
import { checkAbi } from './abi'
import { createForwardQueue, type Counts } from './forward-queue'
import { failureError, type Call, type LedgerAdapter } from './ledger-adapter'
import { FORWARDER_ID, getForwarder, newItemDoc, scanItems, toItem, type ForwarderDoc, type ItemDoc, type RouteDoc, type TargetDoc } from './ledger.store'
import { NonceLanes } from './nonce-lanes'
import { checkRoute, createRoutes, toRoute } from './routes'
import { createTargets } from './targets'

export const EVENT_SUBSCRIPTION = 'iot-2/type/+/id/+/evt/+/fmt/+'
const TARGET_RECHECK_MS = 1_000
const EVENT_KEY = /^[\x21-\x7e]{1,200}$/
/** The row transforms bring viem (addresses): loaded by the first route used, not by every process that opens the core. */
const transforms = () => import('./route-transforms')

export interface LedgerDeps {
  db: Db
  vault: SecretStore
  bus: EventBus
  profiles: ProfilesService
  links: PlatformLinks
  logger: Logger
  /** Queue timings (tests shorten them) and batch size (the benchmark compares 1 with the default). */
  queue?: { retry?: { minMs: number; maxMs: number }; confirmEveryMs?: number; batch?: number }
  /** Block polling of HTTP nodes. */
  pollingMs?: number
}

function parseSample(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw AppError.withRef('VALIDATION', `The sample event is not JSON: ${e instanceof Error ? e.message : String(e)}`, { key: 'ledger.sampleNotJson' })
  }
}

export function createLedgerService(deps: LedgerDeps) {
  const { db, bus, logger } = deps
  const changed = (what: 'targets' | 'routes') => () => {
    // Cached adapters hold the old settings and key; cached routes the old rows.
    if (what === 'targets') {
      for (const a of adapters.values()) void a.adapter.then((x) => x.close()).catch(() => undefined)
      adapters.clear()
    }
    routeCache.clear()
    enabledRoutes = undefined
    bus.emit('ledger:changed', { what })
    bus.emit('audit:changed', {})
  }
  const targets = createTargets({ db, vault: deps.vault, changed: changed('targets') })
  const routes = createRoutes({ db, changed: changed('routes') })
  const adapters = new Map<string, { rev: string; adapter: Promise<LedgerAdapter>; checkedAt: number }>()
  const routeCache = new Map<string, RouteDoc | null>()
  /** Enabled routes by `<type>/<event>`, read once per change rather than once per event. */
  let enabledRoutes: Promise<Map<string, Route[]>> | undefined
  const queuePush = throttled(bus, 'ledger:queueChanged')
  const watchers = new Map<string, () => void>()
  /** `granted`: the broker acknowledged the subscription (SUBACK); events published before that are not delivered to it. */
  type Forwarder = { profileId: string | null; unsubscribe: Unsubscribe | null; granted: boolean; lastError: ErrorInfo | null }
  let forwarder: Forwarder | null = null

  const lanes = new NonceLanes((lane) => queue.written(lane))
  const queue = createForwardQueue({
    db,
    lanes,
    logger,
    ...deps.queue,
    resolve: (item) => resolveItem(item),
    target: async (item) => (await routeDoc(item.routeId))?.targetId ?? null,
    adapter: (targetId) => adapterFor(targetId),
    onChange: (counts, waiting) => queuePush.push({ counts, waiting }),
  })

  async function build(doc: TargetDoc): Promise<LedgerAdapter> {
    if (doc.settings.kind === 'evm') {
      // viem is the heaviest library the core uses: loaded by the first EVM target used, like Fabric's below.
      const [{ createEvmAdapter }, { privateKeyToAccount }] = await Promise.all([import('./evm.adapter'), import('viem/accounts')])
      const key = await targets.secret(doc, 'signerKey')
      return createEvmAdapter({ settings: doc.settings, account: key ? privateKeyToAccount(key as `0x${string}`) : null, ...(deps.pollingMs ? { pollingMs: deps.pollingMs } : {}) })
    }
    // The Fabric gateway and gRPC are loaded by the first Fabric target used, not by every process that opens the core.
    const { createFabricAdapter } = await import('./fabric.adapter')
    return createFabricAdapter({ settings: doc.settings, privateKey: await targets.secret(doc, 'privateKey') })
  }

  async function adapterFor(targetId: string): Promise<LedgerAdapter> {
    const cached = adapters.get(targetId)
    // Changes made here clear the cache at once; one replicated from a teammate is seen within a second (the forward
    // queue asks for every item, so the target is not read from the workspace each time).
    if (cached && Date.now() - cached.checkedAt < TARGET_RECHECK_MS) return cached.adapter
    const doc = await targets.get(targetId)
    if (cached && cached.rev === doc._rev) {
      cached.checkedAt = Date.now()
      return cached.adapter
    }
    const adapter = build(doc)
    adapters.set(targetId, { rev: doc._rev, adapter, checkedAt: Date.now() })
    adapter.catch(() => adapters.delete(targetId))
    return adapter
  }

  async function itemDoc(itemId: string): Promise<ItemDoc> {
    const doc = (await db.get(itemId).catch(() => null)) as ItemDoc | null
    if (!doc || doc.kind !== 'ledgerItem') throw AppError.withRef('NOT_FOUND', `There is no queued event ${itemId}`, { key: 'ledger.itemNotFound' })
    return doc
  }

  async function routeDoc(id: string): Promise<RouteDoc | null> {
    if (!routeCache.has(id)) routeCache.set(id, await routes.get(id).catch(() => null))
    return routeCache.get(id) ?? null
  }

  /** A route's rows against one event: the call, or every row's outcome with the first refusal. */
  async function resolveCall(route: RouteSave, adapter: LedgerAdapter, payload: unknown, receivedAt: Date) {
    const types = adapter.kind === 'evm' ? await adapter.parameterTypes(route.function) : new Map<string, string>()
    const { resolveRows } = await transforms()
    const outcomes = resolveRows(route.rows, types, { payload, receivedAt })
    const failed = outcomes.find((o) => !o.ok)
    const call: Call = { fn: route.function, style: route.argumentStyle, args: outcomes.map((o) => ({ parameter: o.parameter, value: o.ok ? o.value : undefined })) }
    return { outcomes, call, failure: failed && !failed.ok ? failed.error : null }
  }

  async function resolveItem(item: ItemDoc): Promise<{ call: Call; targetId: string } | { failure: LedgerFailure }> {
    const route = await routeDoc(item.routeId)
    if (!route) return { failure: { code: 'ROUTE', name: 'RouteRemoved', message: `route ${item.routeId} no longer exists` } }
    const adapter = await adapterFor(route.targetId)
    const { call, failure } = await resolveCall(route, adapter, JSON.parse(item.payload) as unknown, new Date(item.receivedAt))
    return failure ? { failure } : { call, targetId: route.targetId }
  }

  async function eventKeyOf(route: RouteSave, payload: unknown): Promise<string> {
    if (route.eventIdPath) {
      const { readPath } = await transforms()
      const v = readPath(payload, route.eventIdPath)
      const key = typeof v === 'string' || typeof v === 'number' ? String(v) : ''
      if (EVENT_KEY.test(key)) return key
    }
    // The event carries no id of its own: this message is one event, and gets one id now, written with it.
    return `rx-${randomUUID()}`
  }

  async function intake(topic: string, payload: Buffer): Promise<void> {
    const parsed = parseTopic(topic)
    if (!parsed || parsed.kind !== 'event') return
    enabledRoutes ??= routes.list().then((all) => {
      const map = new Map<string, Route[]>()
      for (const r of all.filter((x) => x.enabled)) map.set(`${r.deviceType}/${r.eventId}`, [...(map.get(`${r.deviceType}/${r.eventId}`) ?? []), r])
      return map
    })
    const matching = (await enabledRoutes).get(`${parsed.type}/${parsed.name}`) ?? []
    if (matching.length === 0) return
    const text = payload.toString('utf8')
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      logger.warn({ topic }, 'ledger forwarder: an event that is not JSON was skipped')
      return
    }
    const receivedAt = new Date().toISOString()
    for (const route of matching) {
      await queue.enqueue(
        newItemDoc({
          routeId: route.id,
          eventKey: await eventKeyOf(route, json),
          source: { typeId: parsed.type, deviceId: parsed.id, eventId: parsed.name },
          payload: text,
          receivedAt,
          manual: false,
        }),
      )
    }
  }

  function status(): Output<'ledger:status'> {
    return {
      running: forwarder !== null,
      platformProfile: forwarder?.profileId ?? null,
      subscribed: forwarder?.granted === true,
      counts: queue.counts(),
      waiting: queue.waiting(),
      lastError: forwarder?.lastError ?? null,
    }
  }

  async function writeForwarder(running: boolean, platformProfile: string | null, ctx: CallContext): Promise<void> {
    const existing = await getForwarder(db)
    const now = new Date().toISOString()
    const doc: ForwarderDoc = { _id: FORWARDER_ID, ...(existing ? { _rev: existing._rev } : {}), kind: 'ledgerForwarder', schemaVersion: CURRENT_SCHEMA.ledgerForwarder, running, platformProfile }
    assertBulkOk(
      await db.bulkDocs([
        doc,
        auditDoc({ at: now, actor: ctx.actor, action: running ? 'ledger.forwarder.start' : 'ledger.forwarder.stop', target: 'ledger/forwarder', outcome: 'ok', after: { platformProfile } }),
      ] as ForwarderDoc[]),
    )
    bus.emit('audit:changed', {})
  }

  async function startForwarder(profileId: string | undefined): Promise<void> {
    await queue.load()
    queue.start()
    if (forwarder) return
    const f: Forwarder = { profileId: profileId ?? null, unsubscribe: null, granted: false, lastError: null }
    forwarder = f
    try {
      const platform = await deps.profiles.resolve('platform', profileId)
      const link = await deps.links.linkFor(platform)
      f.profileId = platform._id.split(':').slice(2).join(':')
      const unsubscribe = link.subscribe(EVENT_SUBSCRIPTION, (topic, payload) => intake(topic, payload))
      f.unsubscribe = unsubscribe
      // "Subscribed" is said once the broker has granted it, not when it was asked for: a device event published in
      // between (the broker slow to answer, or not reached yet) is not delivered to this subscription.
      unsubscribe.ready.then(
        () => {
          if (forwarder !== f) return
          f.granted = true
          bus.emit('ledger:forwarder', status())
        },
        (e: unknown) => {
          if (forwarder !== f) return
          f.lastError = isAppError(e) ? e.toInfo() : { code: 'INTERNAL', message: 'the broker refused the subscription' }
          bus.emit('ledger:forwarder', status())
        },
      )
    } catch (e) {
      f.lastError = isAppError(e) ? e.toInfo() : { code: 'INTERNAL', message: 'the platform link could not be opened' }
    }
    bus.emit('ledger:forwarder', status())
  }

  async function stopForwarder(): Promise<void> {
    const f = forwarder
    forwarder = null
    if (f?.unsubscribe) await f.unsubscribe().catch(() => undefined)
    bus.emit('ledger:forwarder', status())
  }

  async function preview(route: RouteSave, sample: string, dryRun: boolean): Promise<Preview> {
    const adapter = await adapterFor(route.targetId)
    const payload = parseSample(sample)
    const { outcomes, call, failure } = await resolveCall(route, adapter, payload, new Date())
    const { showArg } = await transforms()
    const args = outcomes.map((o) => ({ parameter: o.parameter, type: o.type, value: o.ok ? showArg(o.value) : null, error: o.ok ? null : o.error }))
    if (failure) return { args, encoded: null, dryRun: null }
    const encoded = await adapter.encode(call).catch((e: unknown) => {
      throw isAppError(e) ? e : AppError.withRef('VALIDATION', `The arguments cannot be encoded: ${e instanceof Error ? e.message.slice(0, 300) : String(e)}`, { key: 'ledger.encodeFailed' })
    })
    return { args, encoded, dryRun: dryRun ? await adapter.dryRun(call) : null }
  }

  return {
    targets: () => targets.list().then((items) => ({ items })),
    saveTarget: (input: Parameters<typeof targets.save>[0], ctx: CallContext) => targets.save(input, ctx),
    async removeTarget(id: string, ctx: CallContext) {
      const inUse = (await routes.list()).some((r) => r.targetId === id)
      return targets.remove(id, ctx, inUse)
    },
    async verifyTarget(id: string) {
      const { head, failure } = await (await adapterFor(id)).head()
      // Nothing listening is not a silence: the card says so in the words its queue uses (cold trial: "did not answer").
      if (failure?.name === 'Refused') throw AppError.withRef('NETWORK', `The ledger node of "${id}" refused the connection`, { key: 'ledger.ui.refused', params: { id } })
      if (!head.healthy) throw AppError.withRef('NETWORK', `The ledger node of "${id}" did not answer`, { key: 'ledger.unreachable', params: { id } })
      return head
    },
    validateAbi(text: string) {
      const check = checkAbi(text)
      return { valid: check.valid, diagnostics: check.diagnostics, description: check.valid ? check.description : null }
    },
    describe: async (id: string) => (await adapterFor(id)).describe(),
    routes: () => routes.list().then((items) => ({ items })),
    async saveRoute(input: RouteSave, ctx: CallContext) {
      const target = await targets.get(input.targetId)
      return routes.save(input, ctx, async () => checkRoute(input, target, target.settings.kind === 'evm' ? await adapterFor(input.targetId) : null))
    },
    removeRoute: (id: string, ctx: CallContext) => routes.remove(id, ctx),

    async preview(input: { route: string | RouteSave; sample: string; dryRun: boolean }) {
      const route = typeof input.route === 'string' ? toRoute(await routes.get(input.route)) : parseOrThrow(routeSaveSchema, input.route)
      return preview(route, input.sample, input.dryRun)
    },

    async submit(input: { routeId: string; sample: string; eventKey?: string | undefined }, ctx: CallContext): Promise<ForwardItem> {
      const route = await routes.get(input.routeId)
      const payload = parseSample(input.sample)
      const adapter = await adapterFor(route.targetId)
      const { failure } = await resolveCall(route, adapter, payload, new Date())
      if (failure) throw failureError(failure)
      await queue.load()
      const receivedAt = new Date().toISOString()
      const eventKey = input.eventKey ?? `manual-${randomUUID()}`
      const item = newItemDoc({
        routeId: toRoute(route).id,
        eventKey,
        source: { typeId: route.deviceType, deviceId: 'manual', eventId: route.eventId },
        payload: input.sample,
        receivedAt,
        manual: true,
      })
      const { item: stored, created } = await queue.enqueue(item, [
        auditDoc({ at: receivedAt, actor: ctx.actor, action: 'ledger.submit', target: `ledger-route/${toRoute(route).id}`, subject: route.name, outcome: 'ok', after: { eventKey } }),
      ])
      if (!created) throw AppError.withRef('CONFLICT', `Event ${eventKey} was already queued for this route`, { key: 'ledger.alreadyQueued', params: { eventKey } })
      bus.emit('audit:changed', {})
      queue.start()
      return stored
    },

    async queueList(input: { state?: ForwardItem['state'] | undefined; limit: number }) {
      await queue.load()
      const items: ForwardItem[] = []
      await scanItems(db, (doc) => {
        if (!input.state || doc.state === input.state) items.push(toItem(doc))
      })
      items.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
      return { items: items.slice(0, input.limit), counts: queue.counts() }
    },

    async item(itemId: string): Promise<ForwardItem> {
      return toItem(await itemDoc(itemId))
    },

    async retry(itemId: string, ctx: CallContext) {
      await queue.load()
      const doc = await itemDoc(itemId)
      if (doc.state !== 'failed') throw AppError.withRef('CONFLICT', `Only a failed event can be sent again (this one is ${doc.state})`, { key: 'ledger.notFailed', params: { state: doc.state } })
      const item = await queue.requeue(itemId, (before) =>
        auditDoc({ actor: ctx.actor, action: 'ledger.retry', target: itemId, outcome: 'ok', before: { state: before.state, lastError: before.lastError } }),
      )
      bus.emit('audit:changed', {})
      queue.start()
      return item
    },

    head: async (id: string) => (await (await adapterFor(id)).head()).head,
    blocks: async (id: string, from: string | undefined, count: number) => ({ items: await (await adapterFor(id)).blocks(from === undefined ? undefined : BigInt(from), count) }),
    tx: async (id: string, txId: string) => (await adapterFor(id)).tx(txId),
    asset: async (id: string, assetId: string, from: string | undefined) => (await adapterFor(id)).asset(assetId, from === undefined ? undefined : BigInt(from)),

    /** The queue is read from the workspace first: a CLI or a window that never started the forwarder counts it too. */
    async status(): Promise<Output<'ledger:status'>> {
      await queue.load()
      return status()
    },
    async start(platformProfile: string | undefined, ctx: CallContext) {
      await writeForwarder(true, platformProfile ?? null, ctx)
      await startForwarder(platformProfile)
      return status()
    },
    async stop(ctx: CallContext) {
      await writeForwarder(false, forwarder?.profileId ?? null, ctx)
      await stopForwarder()
      return status()
    },

    async watch(id: string, on: boolean) {
      watchers.get(id)?.()
      watchers.delete(id)
      if (on) {
        const adapter = await adapterFor(id)
        watchers.set(
          id,
          adapter.watchBlocks(
            (block) => bus.emit('ledger:block', { targetId: id, block }),
            (e) => logger.warn({ target: id, err: e instanceof Error ? e.message : String(e) }, 'ledger: block feed error'),
          ),
        )
      }
      return { watching: on }
    },

    /** Resumes what was running before a restart: the forwarder if it was on, the queue's open items in any case. */
    async resume(): Promise<void> {
      await queue.load()
      const saved = await getForwarder(db)
      if (saved?.running) await startForwarder(saved.platformProfile ?? undefined)
      else if (queue.counts().pending > 0 || queue.counts().submitted > 0) queue.start()
    },

    /** The headless forwarder (`fieldline ledger run`): on without changing the saved switch. */
    async run(platformProfile: string | undefined) {
      await startForwarder(platformProfile)
      return status()
    },

    counts: (): Counts => queue.counts(),

    async close(): Promise<void> {
      for (const stop of watchers.values()) stop()
      watchers.clear()
      await stopForwarder()
      await queue.stop()
      queuePush.flush()
      await Promise.all([...adapters.values()].map((a) => a.adapter.then((x) => x.close()).catch(() => undefined)))
      adapters.clear()
    },
  }
}

export type LedgerService = ReturnType<typeof createLedgerService>
