/**
 * Historical data storage as the app uses it: one forwarder at a time, built from a historian profile and the
 * profiles it names (the platform profile for the broker, the destination profiles with their secrets from the vault);
 * the device history read back from a Cloudant/CouchDB destination; the buckets its retention no longer keeps.
 * Each method answers one channel of models/historian.ts. Every operator change is audited, with its outcome.
 */
import type { z } from 'zod'
import type { CallContext } from '../common/call-context'
import type { ErrorInfo } from '../../../src-shared/contract'
import { AppError, toErrorInfo } from '../common/errors'
import { serialiser } from '../common/serial'
import { throttled, type EventBus } from '../common/events'
import type { Logger } from '../log/logger'
import { parseClientId } from '../platform/broker-url'
import type { ProfilesService } from '../profiles/profiles.service'
import { appendAudit } from '../store/audit.store'
import type { Db } from '../store/documents'
import type { ProfileDoc } from '../store/profiles.store'
import { couchSettingsSchema, historianSettingsSchema, kafkaSettingsSchema, type historianChannels, type HistorianStatus } from '../../../src-shared/models/historian'
import { platformSettingsSchema, type HistorianProfile } from '../../../src-shared/models/profiles'
import { checkConfig, defaultInstanceId, type DestinationConfig, type ForwarderConfig } from './config'
import { createForwarder, type DeviceEventSource, type Forwarder, type ForwarderTuning } from './forwarder'
import { historyOfDestination } from './history'
import { deleteExpired, listBuckets, type RetentionScope } from './retention'
import { buildKafkaSink, couchClientFor } from './sinks'
import { restingStatus } from './status-file'

type CouchDestination = Extract<DestinationConfig, { kind: 'couchdb' }>

type Out<C extends keyof typeof historianChannels> = z.output<(typeof historianChannels)[C]['output']>
type In<C extends keyof typeof historianChannels> = z.output<(typeof historianChannels)[C]['input']>

/** What the historian needs of the mbed extension: its device events, and the broker its bridge publishes to. */
export interface MbedEvents extends DeviceEventSource {
  platformProfileOf(): Promise<string | null>
}

export interface HistorianServiceDeps {
  db: Db
  bus: EventBus
  profiles: ProfilesService
  mbed: MbedEvents
  dataDir: string
  logger?: Logger
  now?: () => number
  /** Tests shorten the back-offs and the drain. */
  tuning?: ForwarderTuning
}

const profileIdOf = (doc: ProfileDoc): string => doc._id.split(':').slice(2).join(':')

export function idleStatus(since: string): HistorianStatus {
  return {
    state: 'stopped',
    reason: null,
    profileId: null,
    since,
    mqtt: { state: 'off', filter: null, reason: null },
    mbed: 'off',
    received: 0,
    unmatched: 0,
    intakeFailures: 0,
    unreadableTopics: 0,
    lastUnreadableTopic: null,
    destinations: [],
  }
}

/** A forwarder is named, in Activity, by where it writes: its destinations' names as the operator saved them. */
function destinationNames(config: ForwarderConfig): string {
  return config.destinations.map((d) => d.name).join(', ')
}

export function createHistorianService(deps: HistorianServiceDeps) {
  const { db, bus, profiles, logger } = deps
  const now = deps.now ?? Date.now
  const since = new Date(now()).toISOString()
  const events = throttled(bus, 'historian:status')
  let active: { profileId: string; forwarder: Forwarder; config: ForwarderConfig } | null = null
  /**
   * The forwarder as it was last left (stopped, or failed), with what its destinations keep queued on disk for the
   * next start; read once from its status file when none ran since the app started (undefined until then).
   */
  let resting: HistorianStatus | null | undefined
  const serial = serialiser()

  async function audited(ctx: CallContext, entry: { action: string; target: string; subject?: string; outcome: 'ok' | 'failed'; before?: unknown; after?: unknown; error?: ErrorInfo }): Promise<void> {
    await appendAudit(db, { actor: ctx.actor, ...entry })
    bus.emit('audit:changed', {})
  }

  async function destinationConfig(ref: string): Promise<DestinationConfig> {
    const [kind, id] = ref.split('/') as ['couchdb' | 'kafka', string]
    const doc = await profiles.get(kind, id)
    if (kind === 'couchdb') {
      const [apiKey, password] = await Promise.all([profiles.secret(doc, 'apiKey'), profiles.secret(doc, 'password')])
      return { ref, name: doc.name, kind, settings: couchSettingsSchema.parse(doc.settings), secrets: { ...(apiKey ? { apiKey } : {}), ...(password ? { password } : {}) } }
    }
    const [password, clientKey] = await Promise.all([profiles.secret(doc, 'password'), profiles.secret(doc, 'clientKey')])
    return { ref, name: doc.name, kind, settings: kafkaSettingsSchema.parse(doc.settings), secrets: { ...(password ? { password } : {}), ...(clientKey ? { clientKey } : {}) } }
  }

  /** A forwarder's configuration from the named (or default) historian profile; the CLI's `--profile` uses it too. */
  async function resolveConfig(profileId?: string): Promise<ForwarderConfig> {
    const doc = await profiles.resolve('historian', profileId)
    const s = historianSettingsSchema.parse(doc.settings)
    const platformDoc = await profiles.resolve('platform', s.platformProfile || undefined)
    const platform = platformSettingsSchema.parse(platformDoc.settings)
    if (s.mbed && s.mqtt && (await deps.mbed.platformProfileOf()) === profileIdOf(platformDoc)) {
      throw AppError.withRef('VALIDATION', 'The mbed bridge publishes its events to the broker this forwarder subscribes to: they would be stored twice. Keep one source.', {
        key: 'historian.duplicateSources',
      })
    }
    const password = await profiles.secret(platformDoc, 'password')
    const refs = [...new Set(s.rules.flatMap((r) => r.destinations))]
    const destinations = await Promise.all(refs.map(destinationConfig))
    return checkConfig({
      id: profileIdOf(doc),
      org: parseClientId(platform.clientId).org,
      mqtt: s.mqtt
        ? {
            url: platform.url,
            clientId: platform.clientId,
            ...(platform.username ? { username: platform.username } : {}),
            ...(password ? { password } : {}),
            ...(platform.ca.trim() ? { ca: [platform.ca] } : {}),
            protocolVersion: s.mqttVersion,
            shareGroup: s.shareGroup,
            instanceId: s.instanceId || defaultInstanceId(),
            sessionExpirySeconds: s.sessionExpirySeconds,
          }
        : null,
      mbed: s.mbed,
      rules: s.rules,
      destinations,
    })
  }

  /**
   * The organisation whose buckets a CouchDB destination holds: the one of the (default first) historian profile that
   * forwards to it, else the default platform profile's.
   */
  async function orgFor(couchId: string): Promise<string> {
    const ref = `couchdb/${couchId}`
    const historians = (await profiles.list('historian'))
      .filter((p): p is HistorianProfile => p.extension === 'historian')
      .filter((p) => p.settings.rules.some((r) => (r.destinations as readonly string[]).includes(ref)))
      .sort((a, b) => Number(b.isDefault) - Number(a.isDefault))
    const platformDoc = await profiles.resolve('platform', historians[0]?.settings.platformProfile || undefined)
    return parseClientId(platformSettingsSchema.parse(platformDoc.settings).clientId).org
  }

  async function couchScope(couchId: string | undefined): Promise<{ config: CouchDestination; scope: RetentionScope }> {
    const doc = await profiles.resolve('couchdb', couchId)
    const id = profileIdOf(doc)
    const config = (await destinationConfig(`couchdb/${id}`)) as Extract<DestinationConfig, { kind: 'couchdb' }>
    const s = config.settings
    return { config, scope: { org: await orgFor(id), namePart: s.dbName, interval: s.bucketInterval, zone: s.timeZone, retentionBuckets: s.retentionBuckets } }
  }

  /** A CouchDB destination's bucket databases and those its retention no longer keeps (a saved one, or the CLI's from variables). */
  async function bucketsOf(config: CouchDestination, scope: RetentionScope): Promise<Out<'historian:buckets'>> {
    const client = couchClientFor(config, logger)
    try {
      return await listBuckets(client, scope, now())
    } finally {
      await client.close()
    }
  }

  /** Deletes the confirmed names among the expired buckets, audited (the app's Buckets dialog, or `historian buckets --delete-expired --yes`). */
  async function deleteBucketsOf(config: CouchDestination, scope: RetentionScope, databases: readonly string[], ctx: CallContext): Promise<Out<'historian:deleteBuckets'>> {
    const client = couchClientFor(config, logger)
    const entry = { action: 'historian.buckets.delete', target: config.ref, subject: config.name, before: { confirmed: databases } }
    try {
      const result = await deleteExpired(client, scope, databases, now())
      await audited(ctx, { ...entry, outcome: result.refused.length === 0 ? 'ok' : 'failed', after: { deleted: result.deleted, refused: result.refused.map((r) => r.name) } })
      return result
    } catch (e) {
      await audited(ctx, { ...entry, outcome: 'failed', error: toErrorInfo(e) })
      throw e
    } finally {
      await client.close()
    }
  }

  /** The destination's name as the operator saved it, for Activity. */
  function destinationSubject(ref: string): { subject?: string } {
    const name = active?.config.destinations.find((d) => d.ref === ref)?.name
    return name ? { subject: name } : {}
  }

  function requireActive(): Forwarder {
    if (!active) throw AppError.withRef('VALIDATION', 'Start the historian first', { key: 'historian.notRunning' })
    return active.forwarder
  }

  async function stopActive(): Promise<number> {
    const a = active
    if (!a) return 0
    active = null
    const summary = await a.forwarder.stop()
    resting = a.forwarder.status()
    events.flush()
    return summary.destinations.reduce((n, d) => n + d.queued, 0)
  }

  return {
    resolveConfig,

    status(): Out<'historian:status'> {
      if (active) return active.forwarder.status()
      if (resting === undefined) resting = restingStatus(deps.dataDir)
      return resting ?? idleStatus(since)
    },

    start(input: In<'historian:start'>, ctx: CallContext): Promise<Out<'historian:start'>> {
      return serial(async () => {
        const target = `historian/${input.profileId ?? 'default'}`
        let config: ForwarderConfig
        try {
          config = await resolveConfig(input.profileId)
          if (active && active.profileId === config.id && active.forwarder.status().state === 'running') return active.forwarder.status()
          await stopActive()
          const forwarder = createForwarder({
            config,
            dataDir: deps.dataDir,
            mbed: deps.mbed,
            now,
            ...(logger ? { logger } : {}),
            ...(deps.tuning ? { tuning: deps.tuning } : {}),
            onStatus: (s) => events.push(s),
          })
          active = { profileId: config.id, forwarder, config }
          await forwarder.start()
        } catch (e) {
          active = null
          await audited(ctx, { action: 'historian.forwarder.start', target, outcome: 'failed', error: toErrorInfo(e) })
          throw e
        }
        const status = active.forwarder.status()
        await audited(ctx, {
          action: 'historian.forwarder.start',
          target: `historian/${config.id}`,
          subject: destinationNames(config),
          outcome: 'ok',
          after: { destinations: config.destinations.map((d) => d.ref), source: status.mqtt.filter },
        })
        return status
      })
    },

    stop(ctx: CallContext): Promise<Out<'historian:stop'>> {
      return serial(async () => {
        const target = `historian/${active?.profileId ?? 'none'}`
        const subject = active ? destinationNames(active.config) : undefined
        const queued = await stopActive()
        await audited(ctx, { action: 'historian.forwarder.stop', target, ...(subject ? { subject } : {}), outcome: 'ok', after: { queued } })
        return { status: resting ?? idleStatus(new Date(now()).toISOString()), queued }
      })
    },

    async pause(input: In<'historian:pause'>, ctx: CallContext): Promise<Out<'historian:pause'>> {
      const result = requireActive().pause(input.destination)
      await audited(ctx, { action: 'historian.destination.pause', target: input.destination, ...destinationSubject(input.destination), outcome: 'ok', after: { state: result.state } })
      return result
    },

    async resume(input: In<'historian:resume'>, ctx: CallContext): Promise<Out<'historian:resume'>> {
      const forwarder = requireActive()
      const ref = input.destination
      const running = active?.config.destinations.find((d) => d.ref === ref)
      // A destination stopped on refused credentials is resumed after the operator corrected its profile: the retry
      // must use the profile and the secrets as saved now, not those the forwarder started with.
      const fresh = running ? await destinationConfig(ref) : undefined
      const result = forwarder.resume(ref, fresh)
      if (active && fresh) active.config = { ...active.config, destinations: active.config.destinations.map((d) => (d.ref === ref ? fresh : d)) }
      await audited(ctx, { action: 'historian.destination.resume', target: ref, ...destinationSubject(ref), outcome: 'ok', after: { state: result.state } })
      return result
    },

    async history(input: In<'historian:history'>): Promise<Out<'historian:history'>> {
      const { config, scope } = await couchScope(input.destination)
      const query = { typeId: input.typeId, deviceId: input.deviceId, fromMs: Date.parse(input.from), toMs: Date.parse(input.to), limit: input.limit, cursor: input.cursor }
      return historyOfDestination(config, scope.org, deps.dataDir, query, logger, now)
    },

    async buckets(input: In<'historian:buckets'>): Promise<Out<'historian:buckets'>> {
      const { config, scope } = await couchScope(input.destination)
      return bucketsOf(config, scope)
    },

    async deleteBuckets(input: In<'historian:deleteBuckets'>, ctx: CallContext): Promise<Out<'historian:deleteBuckets'>> {
      const { config, scope } = await couchScope(input.destination)
      return deleteBucketsOf(config, scope, input.databases, ctx)
    },

    bucketsOf,
    deleteBucketsOf,

    /** "Verify connection" of a destination (one cheap authenticated exchange) or a historian profile (its configuration). */
    async verify(extension: 'couchdb' | 'kafka' | 'historian', id: string): Promise<{ ok: true; detail: string }> {
      if (extension === 'historian') {
        const config = await resolveConfig(id)
        return { ok: true, detail: `${config.destinations.length} destination(s), ${config.rules.length} rule(s)${config.mqtt ? `, ${config.mqtt.url}` : ''}${config.mbed ? ', mbed bridge' : ''}` }
      }
      const config = await destinationConfig(`${extension}/${id}`)
      if (config.kind === 'couchdb') {
        const client = couchClientFor(config, logger)
        try {
          return { ok: true, detail: await client.verify() }
        } finally {
          await client.close()
        }
      }
      const kafka = buildKafkaSink(config, logger)
      try {
        return { ok: true, detail: await kafka.verify() }
      } finally {
        await kafka.close()
      }
    },

    /** At shutdown: the forwarder drains (bounded) and its queues close. */
    close(): Promise<void> {
      return serial(async () => {
        await stopActive()
      })
    },
  }
}

export type HistorianService = ReturnType<typeof createHistorianService>
