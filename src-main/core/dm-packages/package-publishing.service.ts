/**
 * Kept packages and the platform's REST API (docs/wire/dm-packages.md §4 "REST"): what the platform holds, whether it
 * holds a kept package as it is, uploading one (POST when absent; PUT, only when the operator chose to replace, when
 * the platform holds another package under the same bundle id) and removing one from the platform. Every change
 * that reaches the platform is audited, refused or not, with the profile it went through.
 */
import type { Output, ParsedInput } from '../../../src-shared/contract'
import type { DmPackage, PlatformPackageState } from '../../../src-shared/models/packages'
import { platformRestUrl } from '../../../src-shared/models/platform-rest'
import { platformSettingsSchema } from '../../../src-shared/models/profiles'
import type { CallContext } from '../common/call-context'
import { AppError, toErrorInfo } from '../common/errors'
import type { EventBus } from '../common/events'
import type { Logger } from '../log/logger'
import { createPlatformRestClient, type PlatformRestClient, type RemoteBundle } from '../platform/platform-rest.client'
import type { ProfilesService } from '../profiles/profiles.service'
import { appendAudit } from '../store/audit.store'
import type { Db } from '../store/documents'
import { getPackageDoc, listPackageDocs } from '../store/packages.store'
import type { ProfileDoc } from '../store/profiles.store'
import { validatePackage } from './validator'

export interface PackagePublishingDeps {
  db: Db
  bus: EventBus
  profiles: ProfilesService
  logger?: Logger
  /** The REST client for a profile's base and credentials; tests may shorten its timeouts. */
  makeClient?: typeof createPlatformRestClient
}

/** JSON with every object's keys sorted, so two packages compare by content, not by the order their keys came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * Whether the platform's package is the kept one. The platform's copy is read by the same validator as a file, so
 * the forms it normalises (a `required` left out, fields the platform may keep beside the §4 ones [?: not documented])
 * do not count as a difference; a copy the validator refuses differs.
 */
function sameAsKept(kept: DmPackage, remote: RemoteBundle): boolean {
  const read = validatePackage(JSON.stringify(remote))
  return read.value !== undefined && read.valid && canonical(read.value) === canonical(kept)
}

function profileRef(doc: ProfileDoc): { id: string; name: string } {
  return { id: doc._id.split(':').slice(2).join(':'), name: doc.name }
}

/**
 * A platform given by variables instead of a saved profile (the CLI's FIELDLINE_MQTT_CLIENT_ID, _USERNAME, _PASSWORD
 * and FIELDLINE_PLATFORM_REST_URL, for scripts): the same settings a profile holds, the secret never stored.
 */
export interface PlatformEnvironment {
  clientId: string
  restUrl: string
  apiKey: string
  token: string
  /** A private CA (PEM), as a profile's CA field: the variables' FIELDLINE_MQTT_CA_FILE. */
  ca?: string[]
}

/** A saved profile's id (undefined: the default profile), or a platform from variables. */
export type PlatformSource = string | undefined | { environment: PlatformEnvironment }

/** The id a platform from variables is reported under (no profile has it: profile ids are slugs of names). */
const ENVIRONMENT_ID = 'env'

/** Which platform a call went to: as the answer names it, and as the audit trail's `via` does. */
interface PlatformTarget {
  ref: { id: string; name: string }
  via: string
}

export function createPackagePublishing({ db, bus, profiles, logger, makeClient = createPlatformRestClient }: PackagePublishingDeps) {
  /**
   * The REST client for a saved profile, or for a platform given by variables; refused before anything is sent when
   * there is no address or no credentials. Both forms find the address by the same rule (platformRestUrl).
   */
  async function open(source: PlatformSource): Promise<{ target: PlatformTarget; client: PlatformRestClient }> {
    if (typeof source === 'object') {
      const { clientId, restUrl, apiKey, token, ca } = source.environment
      const baseUrl = platformRestUrl({ clientId, restUrl })
      if (!baseUrl) {
        throw AppError.withRef('VALIDATION', 'Set FIELDLINE_PLATFORM_REST_URL, or FIELDLINE_MQTT_CLIENT_ID (a:<org>:<appId>) to derive the REST API URL from its org', {
          key: 'dmPlatform.envNoRestUrl',
        })
      }
      if (!apiKey || !token) {
        throw AppError.withRef('VALIDATION', "Set FIELDLINE_MQTT_USERNAME (the API key) and FIELDLINE_MQTT_PASSWORD (the auth token) to reach the platform's REST API", {
          key: 'dmPlatform.envNoCredentials',
        })
      }
      const client = makeClient({ baseUrl, apiKey, token, ...(ca ? { ca } : {}) }, logger ? { logger } : {})
      // Named by its host, the one thing that tells the operator (and the audit trail) which platform it was.
      return { target: { ref: { id: ENVIRONMENT_ID, name: client.host }, via: `${client.host} (environment)` }, client }
    }
    const doc = await profiles.resolve('platform', source || undefined)
    const settings = platformSettingsSchema.parse(doc.settings)
    const baseUrl = platformRestUrl(settings)
    if (!baseUrl) {
      throw AppError.withRef('VALIDATION', `Profile ${doc.name} has no REST API address and none can be derived from its client id`, { key: 'dmPlatform.noRestUrl', params: { profile: doc.name } })
    }
    const token = await profiles.secret(doc, 'password')
    if (settings.username === '' || !token) {
      throw AppError.withRef('VALIDATION', `Profile ${doc.name} needs its user name (the API key) and password (the auth token) to reach the platform's REST API`, {
        key: 'dmPlatform.noCredentials',
        params: { profile: doc.name },
      })
    }
    const client = makeClient({ baseUrl, apiKey: settings.username, token, ...(settings.ca.trim() ? { ca: [settings.ca] } : {}) }, logger ? { logger } : {})
    return { target: { ref: profileRef(doc), via: doc.name }, client }
  }

  async function withClient<T>(source: PlatformSource, run: (client: PlatformRestClient, target: PlatformTarget) => Promise<T>): Promise<T> {
    const { target, client } = await open(source)
    try {
      return await run(client, target)
    } finally {
      await client.close()
    }
  }

  async function mustKeep(bundleId: string): Promise<DmPackage> {
    const doc = await getPackageDoc(db, bundleId)
    if (!doc) throw AppError.withRef('NOT_FOUND', `There is no package ${bundleId}`, { key: 'dm.notFound', params: { bundleId } })
    return doc.value
  }

  async function audit(ctx: CallContext, action: string, bundleId: string, target: PlatformTarget, outcome: { after?: unknown; error?: unknown; before?: unknown }): Promise<void> {
    await appendAudit(db, {
      actor: ctx.actor,
      action,
      target: bundleId,
      via: target.via,
      outcome: outcome.error === undefined ? 'ok' : 'failed',
      ...(outcome.before !== undefined ? { before: outcome.before } : {}),
      ...(outcome.after !== undefined ? { after: outcome.after } : {}),
      ...(outcome.error !== undefined ? { error: toErrorInfo(outcome.error) } : {}),
    })
    bus.emit('audit:changed', {})
  }

  return {
    async platformList(source: PlatformSource): Promise<Output<'packages:platformList'>> {
      const kept = new Map((await listPackageDocs(db)).map((d) => [d.bundleId, d.value]))
      return withClient(source, async (client, target) => {
        const items = (await client.listBundles()).map((b) => {
          const local = kept.get(b.bundleId)
          const read = validatePackage(JSON.stringify(b)).value
          return {
            bundleId: b.bundleId,
            version: read?.version ?? null,
            displayName: read?.displayName ?? {},
            state: local === undefined ? ('notKept' as const) : sameAsKept(local, b) ? ('same' as const) : ('differs' as const),
          }
        })
        return { profile: target.ref, items: items.sort((a, b) => a.bundleId.localeCompare(b.bundleId)) }
      })
    },

    async status(bundleId: string, profileId: string | undefined): Promise<Output<'packages:platformStatus'>> {
      const kept = await mustKeep(bundleId)
      return withClient(profileId, async (client, target) => {
        const remote = await client.getBundle(bundleId)
        const state: PlatformPackageState = remote === null ? 'absent' : sameAsKept(kept, remote) ? 'same' : 'differs'
        return { profile: target.ref, state }
      })
    },

    /**
     * POST when the platform holds no such package; nothing when it holds this very one; PUT when it holds another one
     * and the operator chose to replace it (refused with CONFLICT otherwise, so the window can ask).
     */
    async upload(input: ParsedInput<'packages:upload'>, ctx: CallContext, source: PlatformSource = input.platformProfile): Promise<Output<'packages:upload'>> {
      const kept = await mustKeep(input.bundleId)
      return withClient(source, async (client, target) => {
        const profile = target.ref
        const remote = await client.getBundle(input.bundleId)
        if (remote !== null && sameAsKept(kept, remote)) return { profile, outcome: 'unchanged' as const }
        if (remote !== null && !input.replace) {
          throw AppError.withRef('CONFLICT', `The platform (${profile.name}) holds another package ${input.bundleId}; confirm to replace it`, {
            key: 'dmPlatform.differs',
            params: { bundleId: input.bundleId, profile: profile.name },
          })
        }
        const action = remote === null ? 'package.publish' : 'package.republish'
        const before = remote === null ? undefined : { version: typeof remote.version === 'string' ? remote.version : null }
        try {
          if (remote === null) await client.createBundle(kept)
          else await client.updateBundle(kept)
        } catch (e) {
          await audit(ctx, action, input.bundleId, target, { error: e, before, after: { version: kept.version ?? null } })
          throw e
        }
        await audit(ctx, action, input.bundleId, target, { before, after: { version: kept.version ?? null, actions: Object.keys(kept.actions) } })
        return { profile, outcome: remote === null ? ('created' as const) : ('replaced' as const) }
      })
    },

    /** Removes the package from the platform; the library keeps it. */
    async unpublish(input: ParsedInput<'packages:unpublish'>, ctx: CallContext, source: PlatformSource = input.platformProfile): Promise<Output<'packages:unpublish'>> {
      return withClient(source, async (client, target) => {
        try {
          await client.deleteBundle(input.bundleId)
        } catch (e) {
          await audit(ctx, 'package.unpublish', input.bundleId, target, { error: e })
          throw e
        }
        await audit(ctx, 'package.unpublish', input.bundleId, target, { after: { removedFrom: target.ref.id } })
        return { profile: target.ref, removed: true as const }
      })
    },
  }
}

export type PackagePublishing = ReturnType<typeof createPackagePublishing>
