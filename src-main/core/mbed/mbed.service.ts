/**
 * The mbed extension as the app uses it: one bridge at a time, built from a saved mbed profile (access key in the
 * vault) and the platform profile it names (the bridge's own MQTT link and session, session.ts). Each method answers one of the
 * proposed request channels in events.ts (`mbedChannels`), so app.ts only maps channel names to methods; events
 * leave through `emit` (wire 'mbed:command' through `throttled` if commands may come in bursts; the other events
 * are already paced by the bridge).
 *
 * One bridge at a time, because the UI shows one bridge state and because a notification channel belongs to one
 * access key (docs/wire/mbed.md §1.5): two bridges on the same key would take the channel from each other.
 */
import type { z } from 'zod'
import { mbedSettingsSchema, platformSettingsSchema, type MbedSettings } from '../../../src-shared/models/profiles'
import type { CallContext } from '../common/call-context'
import { AppError, toErrorInfo } from '../common/errors'
import { serialiser } from '../common/serial'
import type { EventBus } from '../common/events'
import type { Logger } from '../log/logger'
import type { PlatformLink } from '../platform/link'
import type { ProfilesService } from '../profiles/profiles.service'
import type { ProfileDoc } from '../store/profiles.store'
import { appendAudit } from '../store/audit.store'
import type { Db } from '../store/documents'
import { createMbedBridge, listEndpointsWithResources, type DeviceEventTap, type MbedBridge, type MbedBridgeEvent, type SendCommandInput } from './bridge'
import { createMbedClient, type MbedClient, type VerifyResult } from './connector.client'
import type { ErrorInfo } from '../../../src-shared/contract'
import { zeroCounters, type mbedChannels, type MbedBridgeStatus, type MbedCommandView, type MbedSubscriptionView } from '../../../src-shared/models/mbed'
import { importEndpoints, type EndpointImportReport } from './import'
import { profileQueueDir } from './queue-dir'
import { createBridgeLink, endSession, keepReplacedSession, replaceSession } from './session'
import { journalledCommands } from './command-journal'
import type { MbedBridgeConfig } from './config'
import { listMbedQueues, removeMbedQueue, type MbedQueueInfo, type QueueContext } from './queues'

type Out<C extends keyof typeof mbedChannels> = z.output<(typeof mbedChannels)[C]['output']>

export interface MbedServiceDeps {
  db: Db
  bus: EventBus
  profiles: ProfilesService
  /** The data directory: each profile's bridge keeps its queue under `<dataDir>/mbed/queues/` (queue-dir.ts). */
  dataDir: string
  /** Where the bridge's UI events go (the bus, once the contract has them). */
  emit?: (event: MbedBridgeEvent) => void
  logger?: Logger
}

interface Active {
  profileId: string
  settings: MbedSettings
  client: MbedClient
  /** The bridge's own link (session.ts), closed after the bridge stops. */
  link: PlatformLink
  /** The platform profile the link was built from (its document id), and the settings read from it. */
  platformDocId: string
  mqtt: MbedBridgeConfig['mqtt']
  bridge: MbedBridge
  off: () => void
}

function profileId(doc: ProfileDoc): string {
  return doc._id.split(':').slice(2).join(':')
}

/** Who acts when a caller names no one: the dispatcher's own default. */
const CONSOLE: CallContext = { actor: 'operator' }

/** A console command's payload (base64) is kept in its audit entry up to this length; longer ones by length only. */
const AUDITED_PAYLOAD = 4096

export function createMbedService({ db, bus, profiles, dataDir, emit, logger }: MbedServiceDeps) {
  let active: Active | null = null
  /** Device-event listeners (the historian), carried over to whichever bridge runs. */
  const taps = new Set<DeviceEventTap>()
  const relay: DeviceEventTap = (topic, payload) => {
    for (const tap of taps) tap(topic, payload)
  }
  /** Serialises start/stop: a double click must not build two bridges. */
  const serial = serialiser()
  const since = new Date().toISOString()

  async function profile(id?: string): Promise<{ doc: ProfileDoc; settings: MbedSettings; accessKey: string }> {
    const doc = await profiles.resolve('mbed', id)
    const settings = mbedSettingsSchema.parse(doc.settings)
    const accessKey = await profiles.secret(doc, 'accessKey')
    if (!accessKey) throw AppError.withRef('VALIDATION', 'The mbed profile has no access key', { key: 'profiles.accessKeyRequired' })
    return { doc, settings, accessKey }
  }

  function clientFor(settings: MbedSettings, accessKey: string): MbedClient {
    return createMbedClient({ baseUrl: settings.apiUrl, accessKey, flavour: settings.flavour, ...(logger ? { logger } : {}) })
  }

  /** A client for a one-off call: the running bridge's when it is for that profile, else a temporary one. */
  async function withClient<T>(id: string | undefined, work: (client: MbedClient, settings: MbedSettings) => Promise<T>): Promise<T> {
    const p = await profile(id)
    if (active && active.profileId === profileId(p.doc)) return work(active.client, active.settings)
    const client = clientFor(p.settings, p.accessKey)
    try {
      return await work(client, p.settings)
    } finally {
      await client.close()
    }
  }

  function idleStatus(): MbedBridgeStatus {
    return {
      state: 'stopped',
      reason: null,
      failedSide: null,
      since,
      restartAt: null,
      channel: { kind: 'longpoll', state: 'idle', retryAt: null },
      link: { state: 'idle', insecure: false, retryAt: null },
      kept: 0,
    }
  }

  /** Starting and stopping the bridge change what reaches the platform: both are in the audit trail. */
  /** Writes an operator's mbed action to the audit trail (targets are `mbed/<profile>` or `mbed:<ep><path>`). */
  async function audited(
    ctx: CallContext,
    entry: { action: string; target: string; outcome: 'ok' | 'failed'; before?: Record<string, unknown>; after?: Record<string, unknown>; error?: ErrorInfo | null | undefined },
  ): Promise<void> {
    const { error, after, ...rest } = entry
    await appendAudit(db, { actor: ctx.actor, ...rest, ...(after ? { after } : {}), ...(error ? { error } : {}) })
    bus.emit('audit:changed', {})
  }

  async function queueContext(current?: string | null): Promise<QueueContext> {
    const saved = await profiles.list('mbed')
    return { profiles: saved.map((p) => ({ id: p.id, name: p.name })), current: current ?? null }
  }

  /** The MQTT settings of a bridge on the platform profile `platformDoc` (its password from the vault). */
  async function mqttOf(platformDoc: ProfileDoc): Promise<MbedBridgeConfig['mqtt']> {
    const platform = platformSettingsSchema.parse(platformDoc.settings)
    const password = await profiles.secret(platformDoc, 'password')
    return {
      url: platform.url,
      clientId: platform.clientId,
      ...(platform.username ? { username: platform.username } : {}),
      ...(password ? { password } : {}),
      ...(platform.ca.trim() ? { ca: [platform.ca] } : {}),
    }
  }

  function requireActive(): Active {
    if (!active) throw AppError.withRef('VALIDATION', 'Start the mbed bridge first', { key: 'mbed.notRunning' })
    return active
  }

  /** A change the operator asked mbed for, with its audit entry whatever the outcome. */
  async function operatorChange(
    { action, ...target }: { action: string; ep: string; path: string },
    ctx: CallContext,
    change: (bridge: MbedBridge) => Promise<MbedSubscriptionView>,
  ): Promise<MbedSubscriptionView> {
    const { bridge } = requireActive()
    const where = `mbed:${target.ep}${target.path}`
    let result: MbedSubscriptionView
    try {
      result = await change(bridge)
    } catch (e) {
      await audited(ctx, { action, target: where, outcome: 'failed', error: toErrorInfo(e) })
      throw e
    }
    // A refusal is a failed outcome; a subscription still pending (mbed busy, asked again later) is not, and its
    // reason is kept in the detail.
    await audited(ctx, { action, target: where, outcome: result.state === 'refused' ? 'failed' : 'ok', after: { state: result.state }, error: result.reason })
    return result
  }

  /**
   * Stops the running bridge (audited) and starts the one of `p` on its platform profile's settings as they are now.
   * `replaced`: the session ending that runs beside the start (session.ts), for a caller that waits for it.
   */
  async function startOn(p: Awaited<ReturnType<typeof profile>>, ctx: CallContext): Promise<{ status: MbedBridgeStatus; replaced: Promise<void> }> {
    const id = profileId(p.doc)
    const replaced = active ? { profileId: active.profileId, mqtt: active.mqtt } : undefined
    const undelivered = await stopActive()
    if (replaced !== undefined) await audited(ctx, { action: 'mbed.bridge.stop', target: `mbed/${replaced.profileId}`, outcome: 'ok', after: { undelivered } })
    const platformDoc = await profiles.resolve('platform', p.settings.platformProfile || undefined)
    const mqtt = await mqttOf(platformDoc)
    const queueDir = profileQueueDir(dataDir, id)
    // Its own link and session (session.ts): the broker keeps the commands published while the bridge is away.
    const link = createBridgeLink(mqtt, queueDir, logger ? { logger } : {})
    // The settings it ran on before end its old session when the broker changed (their credentials are that broker's).
    const sessionReplaced = replaceSession(mqtt, queueDir, logger, { previous: replaced?.profileId === id ? replaced.mqtt : null })
    const client = clientFor(p.settings, p.accessKey)
    const bridge = createMbedBridge({
      client,
      link,
      queueDir,
      channel: p.settings.channel,
      defaultDeviceType: p.settings.defaultDeviceType,
      queueSize: p.settings.queueSize,
      presubscriptions: p.settings.presubscriptions,
      ...(logger ? { logger } : {}),
    })
    const offEvents = bridge.on((e) => emit?.(e))
    const offTaps = bridge.onDeviceEvent(relay)
    const off = (): void => {
      offEvents()
      offTaps()
    }
    active = { profileId: id, settings: p.settings, client, link, platformDocId: platformDoc._id, mqtt, bridge, off }
    try {
      await bridge.start()
    } catch (e) {
      // Keep the failed bridge so its state and reason stay visible; the next start replaces it.
      logger?.warn({ profile: id, err: e instanceof Error ? e.message : String(e) }, 'mbed: the bridge did not start')
    }
    const status = bridge.status()
    await audited(ctx, { action: 'mbed.bridge.start', target: `mbed/${id}`, outcome: status.state === 'failed' ? 'failed' : 'ok', after: { state: status.state }, error: status.reason })
    // As it is now: the state may have moved on (and been pushed as 'mbed:state') while the entry was written.
    return { status: bridge.status(), replaced: sessionReplaced }
  }

  async function stopActive(): Promise<number> {
    const a = active
    if (!a) return 0
    active = null
    const report = await a.bridge.stop()
    a.off()
    await Promise.all([a.link.close(), a.client.close()])
    return report.undelivered
  }

  return {
    status(): Out<'mbed:status'> {
      return active ? { status: active.bridge.status(), counters: active.bridge.counters() } : { status: idleStatus(), counters: zeroCounters() }
    },

    /** Starts the bridge of the named (or default) mbed profile; a bridge of another profile is stopped first. */
    start(input: { profileId?: string | undefined }, ctx: CallContext = CONSOLE): Promise<MbedBridgeStatus> {
      return serial(async () => {
        const p = await profile(input.profileId)
        const id = profileId(p.doc)
        if (active && active.profileId === id && active.bridge.state !== 'failed' && active.bridge.state !== 'stopped') return active.bridge.status()
        return (await startOn(p, ctx)).status
      })
    },

    stop(ctx: CallContext = CONSOLE): Promise<Out<'mbed:stop'>> {
      return serial(async () => {
        const stopped = active?.profileId
        const undelivered = await stopActive()
        if (stopped !== undefined) await audited(ctx, { action: 'mbed.bridge.stop', target: `mbed/${stopped}`, outcome: 'ok', after: { undelivered } })
        return { status: idleStatus(), undelivered }
      })
    },

    /** The mbed queues of the data directory; `current`: the queue of the environment's configuration (the CLI's). */
    async queues(current?: string | null): Promise<MbedQueueInfo[]> {
      return listMbedQueues(dataDir, await queueContext(current))
    },

    /** Deletes a queue no longer configured that no bridge holds, with the messages, early answers and journalled commands it still holds (queues.ts); audited. */
    removeQueue(name: string, ctx: CallContext = CONSOLE, current?: string | null): Promise<MbedQueueInfo> {
      return serial(async () => {
        const removed = removeMbedQueue(dataDir, name, await queueContext(current))
        const { owner, waiting, early, commands, commandsOldestAt, dropped, bytes, oldestAt } = removed
        await audited(ctx, { action: 'mbed.queue.remove', target: `mbed/queues/${name}`, outcome: 'ok', before: { owner, waiting, early, commands, commandsOldestAt, dropped, bytes, oldestAt } })
        return removed
      })
    },

    /** "Verify connection": one cheap authenticated call (§1.7). */
    verify(input: { profileId?: string | undefined }): Promise<VerifyResult> {
      return withClient(input.profileId, (client) => client.verify())
    },

    /** For the profiles:verify channel: the same call, as one line. */
    async verifyProfile(id: string): Promise<{ ok: true; detail: string }> {
      const r = await withClient(id, (client) => client.verify())
      const detail =
        r.detail.kind === 'limits'
          ? `${r.apiUrl}: access key accepted${r.detail.endpointCount !== undefined ? ` (${r.detail.endpointCount} endpoints` : ''}${r.detail.endpointQuota !== undefined ? ` of ${r.detail.endpointQuota})` : r.detail.endpointCount !== undefined ? ')' : ''}`
          : `${r.apiUrl}: access key accepted${r.detail.name ? ` (${r.detail.name})` : ''}`
      return { ok: true, detail }
    },

    async endpoints(input: { profileId?: string | undefined; type?: string | undefined }): Promise<Out<'mbed:endpoints'>> {
      const items = await withClient(input.profileId, async (client, settings) =>
        active && active.client === client
          ? active.bridge.listEndpoints(input.type ? { type: input.type } : {})
          : listEndpointsWithResources(client, settings.defaultDeviceType, input.type ? { type: input.type } : {}),
      )
      return { items: items.map((e) => ({ ...e, resourcesError: e.resourcesError ? e.resourcesError.toInfo() : null })) }
    },

    /** Imports the profile's endpoints (all, or those named) as workspace devices, with one audit entry per batch. */
    async import(input: { profileId?: string | undefined; names?: string[] | undefined }, ctx: CallContext): Promise<EndpointImportReport> {
      return withClient(input.profileId, async (client, settings) => {
        const all = await client.listEndpoints()
        const wanted = input.names ? new Set(input.names) : null
        const chosen = wanted ? all.filter((e) => wanted.has(e.name)) : all
        return importEndpoints(db, chosen, { defaultDeviceType: settings.defaultDeviceType, actor: ctx.actor, source: client.apiUrl, bus })
      })
    },

    /**
     * A command sent from the console acts on a device: it is audited, sent or not (the payload itself when it is
     * short, its length always).
     */
    async sendCommand(input: SendCommandInput, ctx: CallContext = CONSOLE): Promise<MbedCommandView> {
      const payload = input.payload ?? ''
      const entry = {
        actor: ctx.actor,
        action: 'mbed.command.send',
        target: `${input.deviceId}/${input.resourceId}`,
        after: { method: input.method, payloadLength: payload.length, ...(payload.length <= AUDITED_PAYLOAD ? { payload } : {}) },
      }
      const { bridge } = requireActive()
      let view: MbedCommandView
      try {
        view = await bridge.sendCommand(input)
      } catch (e) {
        await appendAudit(db, { ...entry, outcome: 'failed', error: toErrorInfo(e) }).catch(() => undefined)
        bus.emit('audit:changed', {})
        throw e
      }
      await appendAudit(db, {
        ...entry,
        outcome: view.state === 'failed' ? 'failed' : 'ok',
        after: { ...entry.after, commandId: view.id, state: view.state },
        ...(view.reason ? { error: view.reason } : view.error ? { detail: view.error } : {}),
      })
      bus.emit('audit:changed', {})
      // The device may have answered while the entry was written: the answer is the command as it is now, not as it
      // was sent (an older view arriving after the 'mbed:command' event would turn an answered command back to pending).
      return bridge.commands().find((c) => c.id === view.id) ?? view
    },

    /** The commands for devices journalled in the named profile's queue (command-journal.ts), which deleting it leaves unsent. */
    async journalled(input: { profileId: string }): Promise<Out<'mbed:journalled'>> {
      const doc = await profiles.get('mbed', input.profileId)
      return { commands: journalledCommands(profileQueueDir(dataDir, profileId(doc))).count }
    },

    subscriptions(input: { ep?: string | undefined }): Out<'mbed:subscriptions'> {
      if (!active) return { mode: 'default', rules: [], presubscriptions: { state: 'none', reason: null }, endpoints: [], total: 0 }
      return active.bridge.subscriptions(input.ep)
    },

    /** The operator subscribes a resource; audited with mbed's answer (a refusal is a failed outcome, with its reason). */
    subscribe(input: { ep: string; path: string }, ctx: CallContext): Promise<Out<'mbed:subscribe'>> {
      return operatorChange({ action: 'mbed.subscription.subscribe', ep: input.ep, path: input.path }, ctx, (bridge) => bridge.subscribe(input.ep, input.path))
    },

    /** The operator unsubscribes a resource; audited likewise. */
    unsubscribe(input: { ep: string; path: string }, ctx: CallContext): Promise<Out<'mbed:unsubscribe'>> {
      return operatorChange({ action: 'mbed.subscription.unsubscribe', ep: input.ep, path: input.path }, ctx, (bridge) => bridge.unsubscribe(input.ep, input.path))
    },

    commands(): Out<'mbed:commands'> {
      if (!active) return { items: [], pending: 0 }
      return { items: active.bridge.commands(), pending: active.bridge.counters().pendingCommands }
    },

    /** Device events of whichever bridge runs, synchronously as it queues them for the broker (the historian's mbed source). */
    onDeviceEvent(tap: DeviceEventTap): () => void {
      taps.add(tap)
      return () => {
        taps.delete(tap)
      }
    },

    /** The platform profile the bridge of the named (or default) mbed profile publishes to; null without an mbed profile. */
    async platformProfileOf(mbedProfileId?: string): Promise<string | null> {
      const all = await profiles.list('mbed')
      if (all.length === 0) return null
      const doc = await profiles.resolve('mbed', mbedProfileId)
      const platformDoc = await profiles.resolve('platform', mbedSettingsSchema.parse(doc.settings).platformProfile || undefined)
      return profileId(platformDoc)
    },

    /**
     * A platform profile was saved or removed. A running bridge on it restarts on the saved settings when its broker
     * settings changed, which ends its old MQTT session at once (session.ts; the returned promise waits for that), so
     * that the broker stops queueing commands for a client id nobody will use again; one on a removed profile closes
     * its link and fails saying to start it again (bridge-state.ts). The bridges of the other mbed profiles on it keep
     * their replaced session to end at the next start of a bridge on its broker. Never throws: what it could not do is
     * logged.
     */
    async platformChanged(doc: ProfileDoc, ctx: CallContext = CONSOLE): Promise<void> {
      // An object, not the promise itself: the session ending runs after the serial section, never holding it.
      const { restarted } = await serial(async (): Promise<{ restarted: Promise<void> | null }> => {
        if (!(await profiles.list('platform')).some((p) => p.id === profileId(doc))) {
          if (active && active.platformDocId === doc._id) void active.link.close()
          return { restarted: null }
        }
        let restarted: Promise<void> | null = null
        for (const m of await profiles.list('mbed')) {
          try {
            const settings = mbedSettingsSchema.parse((await profiles.get('mbed', m.id)).settings)
            const platformDoc = await profiles.resolve('platform', settings.platformProfile || undefined)
            if (platformDoc._id !== doc._id) continue
            const mqtt = await mqttOf(platformDoc)
            if (active?.profileId !== m.id) keepReplacedSession(mqtt, profileQueueDir(dataDir, m.id), logger)
            else if (JSON.stringify(active.mqtt) !== JSON.stringify(mqtt)) restarted = (await startOn(await profile(m.id), ctx)).replaced
          } catch (e) {
            logger?.warn({ profile: m.id, err: e instanceof Error ? e.message : String(e) }, "mbed: could not follow the change of a bridge's platform profile")
          }
        }
        return { restarted }
      })
      await restarted
    },

    /**
     * An mbed profile was saved or removed. A removed one's bridge stops, and its MQTT session is ended at the broker
     * (session.ts), so the broker stops queueing commands for a bridge that will not come back; its queue and command
     * journal stay on disk (`bridge mbed queues` lists them, `queues remove` deletes them), so restoring the profile
     * from the trash loses nothing the bridge had acknowledged.
     */
    mbedProfileChanged(doc: ProfileDoc, ctx: CallContext = CONSOLE): Promise<void> {
      return serial(async () => {
        const id = profileId(doc)
        if ((await profiles.list('mbed')).some((p) => p.id === id)) return
        if (active?.profileId === id) {
          const undelivered = await stopActive()
          await audited(ctx, { action: 'mbed.bridge.stop', target: `mbed/${id}`, outcome: 'ok', after: { undelivered } })
        }
        const queueDir = profileQueueDir(dataDir, id)
        const commands = journalledCommands(queueDir).count
        if (commands > 0) {
          logger?.warn(
            { profile: id, queueDir, commands },
            "mbed: the deleted profile's bridge leaves commands for devices in its journal, not sent; restore the profile to send them, or remove the queue",
          )
        }
        let mqtt: MbedBridgeConfig['mqtt'] | null = null
        try {
          mqtt = await mqttOf(await profiles.resolve('platform', mbedSettingsSchema.parse(doc.settings).platformProfile || undefined))
        } catch (e) {
          // The platform profile is gone too: the session is kept to end at the next start on its broker.
          logger?.warn({ profile: id, err: e instanceof Error ? e.message : String(e) }, "mbed: no platform profile to end the deleted profile's MQTT session with")
        }
        await endSession(mqtt, queueDir, logger)
      })
    },

    /** At shutdown: stops the bridge gracefully, then closes its link (the broker keeps its session). */
    close(): Promise<void> {
      return serial(async () => {
        await stopActive()
      })
    },
  }
}

export type MbedService = ReturnType<typeof createMbedService>
