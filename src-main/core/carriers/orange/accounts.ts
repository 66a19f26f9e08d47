/**
 * Which Orange account a call goes through: a saved profile (password in the vault), or, for scripts, the
 * FIELDLINE_ORANGE_* variables the CLI hands to the core. A ticket remembers its account by base URL and user name,
 * so polling resumes through the same account after a restart.
 */
import type { OrangeSettings } from '../../../../src-shared/models/profiles'
import { AppError } from '../../common/errors'
import { normaliseBaseUrl, type ProfilesService } from '../../profiles/profiles.service'
import type { ProfileDoc } from '../../store/profiles.store'
import type { CarrierClients } from '../carrier-clients'
import type { OrangeClient } from './orange.client'

/** Credentials given outside a profile (FIELDLINE_ORANGE_URL, _USERNAME, _PASSWORD). */
export interface OrangeEnvironment {
  baseUrl: string
  username: string
  password: string
}

export interface OrangeAccount {
  /** Null for the environment's account. */
  profileId: string | null
  profileName: string | null
  baseUrl: string
  username: string
  client(): Promise<OrangeClient>
}

export function createOrangeAccounts(profiles: ProfilesService, clients: CarrierClients, environment: OrangeEnvironment | undefined) {
  let envClient: OrangeClient | undefined
  const env = environment ? { ...environment, baseUrl: normaliseBaseUrl(environment.baseUrl) } : undefined

  function fromProfile(doc: ProfileDoc): OrangeAccount {
    const settings = doc.settings as OrangeSettings
    return {
      profileId: doc._id.split(':').slice(2).join(':'),
      profileName: doc.name,
      baseUrl: settings.baseUrl,
      username: settings.username,
      client: () => clients.forOrangeProfile(doc),
    }
  }

  function environmentAccount(): OrangeAccount {
    if (!env) {
      throw AppError.withRef('VALIDATION', 'No Orange account: give --profile, or set FIELDLINE_ORANGE_URL, FIELDLINE_ORANGE_USERNAME and FIELDLINE_ORANGE_PASSWORD', { key: 'orange.noAccount' })
    }
    return {
      profileId: null,
      profileName: null,
      baseUrl: env.baseUrl,
      username: env.username,
      client: async () => (envClient ??= clients.orangeFor(env)),
    }
  }

  return {
    /** The named profile, else the default one (NOT_FOUND saying what to do when there is none). */
    async profile(id?: string): Promise<OrangeAccount> {
      return fromProfile(await profiles.resolve('orange', id))
    },

    environment: environmentAccount,

    /**
     * The account a ticket was submitted through, if this core can still reach it: the same profile still pointing at
     * the same account, or the environment's account when it is that one. Null otherwise.
     */
    async forTicket(ticket: { profileId: string | null; account: { baseUrl: string; username: string } }): Promise<OrangeAccount | null> {
      const same = (a: { baseUrl: string; username: string }) => a.baseUrl === ticket.account.baseUrl && a.username === ticket.account.username
      if (ticket.profileId !== null) {
        try {
          const account = fromProfile(await profiles.get('orange', ticket.profileId))
          if (same(account)) return account
        } catch (e) {
          if (!(e instanceof AppError && e.code === 'NOT_FOUND')) throw e
        }
      }
      if (env && same(env)) return environmentAccount()
      return null
    },

    async close(): Promise<void> {
      await envClient?.close()
      envClient = undefined
    },
  }
}

export type OrangeAccounts = ReturnType<typeof createOrangeAccounts>
