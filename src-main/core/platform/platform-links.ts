import type { ErrorInfo } from '../../../src-shared/contract'
import type { PlatformSettings } from '../../../src-shared/models/profiles'
import { AppError } from '../common/errors'
import type { EventBus } from '../common/events'
import type { Logger } from '../log/logger'
import type { ProfileDoc } from '../store/profiles.store'
import { createPlatformLink, type PlatformLink } from './link'

/** How long "Verify connection" waits for the broker before it reports what it saw. */
const VERIFY_TIMEOUT_MS = 15_000

/** Reads a profile's secret from the vault (the profiles service does); the link needs the password alone. */
export interface ProfileSecrets {
  secret(doc: ProfileDoc, field: string): Promise<string | null>
}

export interface PlatformLinksDeps {
  profiles: ProfileSecrets
  bus: EventBus
  logger?: Logger
}

/**
 * One MQTT link per platform profile, shared by everything that talks to the platform (the mbed bridge,
 * device-management actions): the broker allows one connection per client id, so two links with the same id
 * would keep closing each other.
 */
export function createPlatformLinks({ profiles, bus, logger }: PlatformLinksDeps) {
  const links = new Map<string, { rev: string | undefined; link: PlatformLink }>()

  async function build(doc: ProfileDoc, overrides: { connectTimeoutMs?: number } = {}): Promise<PlatformLink> {
    const settings = doc.settings as PlatformSettings
    const password = await profiles.secret(doc, 'password')
    return createPlatformLink({
      url: settings.url,
      clientId: settings.clientId,
      ...(settings.username ? { username: settings.username } : {}),
      ...(password ? { password } : {}),
      ...(settings.ca.trim() ? { ca: [settings.ca] } : {}),
      ...(logger ? { logger } : {}),
      ...overrides,
    })
  }

  function profileId(doc: ProfileDoc): string {
    return doc._id.split(':').slice(2).join(':')
  }

  return {
    /** The profile's link, connecting in the background; its state changes are pushed as `platform:state`. */
    async linkFor(doc: ProfileDoc): Promise<PlatformLink> {
      const cached = links.get(doc._id)
      if (cached && cached.rev === doc._rev) return cached.link
      if (cached) await cached.link.close()
      const link = await build(doc)
      link.on('state', (e) => {
        const reason: ErrorInfo | null = e.reason ? e.reason.toInfo() : null
        bus.emit('platform:state', { profileId: profileId(doc), state: e.state, reason, security: link.security })
      })
      links.set(doc._id, { rev: doc._rev, link })
      void link.connect().catch(() => undefined)
      return link
    },

    /** Connects once with a separate link and reports the outcome; it never touches the shared link. */
    async verify(doc: ProfileDoc): Promise<string> {
      const settings = doc.settings as PlatformSettings
      // A verification must not kick the shared link off the broker: same client id, same broker.
      const shared = links.get(doc._id)
      if (shared && shared.link.state === 'connected') return `${settings.url} (connected)`
      const link = await build(doc, { connectTimeoutMs: VERIFY_TIMEOUT_MS })
      let timer: NodeJS.Timeout | undefined
      try {
        await Promise.race([
          link.connect(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  link.lastError ??
                    AppError.withRef('TIMEOUT', `The broker at ${settings.url} did not accept a connection within ${VERIFY_TIMEOUT_MS / 1000} s`, {
                      key: 'platform.connectTimeout',
                      params: { broker: settings.url, reason: 'timeout' },
                    }),
                ),
              VERIFY_TIMEOUT_MS,
            )
          }),
        ])
        return `${settings.url}${link.insecure ? ' (unencrypted)' : ''}`
      } finally {
        clearTimeout(timer)
        await link.close()
      }
    },

    /** Every open link's state, for a view that was not listening when the states changed. */
    states() {
      return [...links.entries()].map(([id, { link }]) => ({
        profileId: id.split(':').slice(2).join(':'),
        state: link.state,
        reason: link.lastError?.toInfo() ?? null,
        security: link.security,
      }))
    },

    invalidate(doc: ProfileDoc): void {
      const cached = links.get(doc._id)
      links.delete(doc._id)
      if (cached) void cached.link.close()
    },

    async close(): Promise<void> {
      await Promise.all([...links.values()].map((l) => l.link.close()))
      links.clear()
    },
  }
}

export type PlatformLinks = ReturnType<typeof createPlatformLinks>
