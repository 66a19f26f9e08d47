import type { ControlCenterExtension, OrangeSettings } from '../../../src-shared/models/profiles'
import { AppError } from '../common/errors'
import { createGovernorRegistry } from '../http/governor'
import type { Logger } from '../log/logger'
import type { ProfilesService } from '../profiles/profiles.service'
import type { ProfileDoc } from '../store/profiles.store'
import { observeReach, reachAccount, type ReachListener } from './carrier-reach'
import { createControlCenterClient, type ControlCenterClient } from './control-center/control-center.client'
import { createOrangeClient, type OrangeClient } from './orange/orange.client'

export interface CarrierClientsDeps {
  profiles: ProfilesService
  logger?: Logger
  /** Clock for the clients (tests pin it to the peer's). */
  now?: () => Date
  /** Hears each account's calls succeed or find the carrier unreachable (the outbox replays on its return). */
  onReach?: ReachListener
}

type AnyClient = ControlCenterClient | OrangeClient

/**
 * One carrier client per profile (Control Center or Orange), built from its settings and vault secrets, and one rate
 * governor per account (base URL + user name), shared by every client of that account: two profiles for the same
 * user must not together exceed the account's pace.
 */
export function createCarrierClients({ profiles, logger, now, onReach }: CarrierClientsDeps) {
  const governors = createGovernorRegistry()
  const clients = new Map<string, { rev: string | undefined; client: AnyClient }>()

  async function buildOrange(doc: ProfileDoc): Promise<OrangeClient> {
    const settings = doc.settings as OrangeSettings
    const password = await profiles.secret(doc, 'password')
    if (!password) {
      throw AppError.withRef('AUTH_FAILED', `The password of profile "${doc.name}" is not in the keychain; enter it again in Extensions`, { key: 'profiles.secretMissing', params: { name: doc.name } })
    }
    return createOrangeClient({
      baseUrl: settings.baseUrl,
      username: settings.username,
      password,
      governor: governors.forAccount(settings.baseUrl, settings.username, { concurrency: settings.concurrency, perSecond: settings.perSecond }),
      ...(logger ? { http: { logger } } : {}),
      ...(now ? { now } : {}),
    })
  }

  async function cachedClient<C extends AnyClient>(doc: ProfileDoc, build: (doc: ProfileDoc) => Promise<C>): Promise<C> {
    const cached = clients.get(doc._id)
    if (cached && cached.rev === doc._rev) return cached.client as C
    const built = await build(doc)
    const client = onReach ? observeReach(built, reachAccount(doc.extension, doc._id.split(':').slice(2).join(':')), onReach) : built
    clients.set(doc._id, { rev: doc._rev, client })
    if (cached) void cached.client.close()
    return client
  }

  async function build(doc: ProfileDoc): Promise<ControlCenterClient> {
    const settings = doc.settings as { baseUrl: string; username: string; concurrency: number; perSecond: number }
    const apiKey = await profiles.secret(doc, 'apiKey')
    if (!apiKey) {
      throw AppError.withRef('AUTH_FAILED', `The API key of profile "${doc.name}" is not in the keychain; enter it again in Extensions`, { key: 'profiles.secretMissing', params: { name: doc.name } })
    }
    const [password, licenseKey] = await Promise.all([profiles.secret(doc, 'password'), profiles.secret(doc, 'licenseKey')])
    return createControlCenterClient({
      carrier: doc.extension as ControlCenterExtension,
      baseUrl: settings.baseUrl,
      username: settings.username,
      apiKey,
      ...(password && licenseKey ? { password, licenseKey } : {}),
      governor: governors.forAccount(settings.baseUrl, settings.username, { concurrency: settings.concurrency, perSecond: settings.perSecond }),
      ...(logger ? { http: { logger } } : {}),
      ...(now ? { now } : {}),
    })
  }

  return {
    forProfile(doc: ProfileDoc): Promise<ControlCenterClient> {
      return cachedClient(doc, build)
    },

    forOrangeProfile(doc: ProfileDoc): Promise<OrangeClient> {
      return cachedClient(doc, buildOrange)
    },

    /** An Orange client for credentials given outside a profile (FIELDLINE_ORANGE_*), under the account's governor. */
    orangeFor(account: { baseUrl: string; username: string; password: string }): OrangeClient {
      const client = createOrangeClient({ ...account, governor: governors.forAccount(account.baseUrl, account.username), ...(logger ? { http: { logger } } : {}), ...(now ? { now } : {}) })
      // Changes queued for these credentials carry no profile (orange.service.ts).
      return onReach ? observeReach(client, reachAccount('orange', ''), onReach) : client
    },

    /** A saved or removed profile's client holds old settings or secrets: drop it. */
    invalidate(doc: ProfileDoc): void {
      const cached = clients.get(doc._id)
      clients.delete(doc._id)
      if (cached) void cached.client.close()
    },

    async close(): Promise<void> {
      await Promise.all([...clients.values()].map((c) => c.client.close()))
      clients.clear()
    },
  }
}

export type CarrierClients = ReturnType<typeof createCarrierClients>
