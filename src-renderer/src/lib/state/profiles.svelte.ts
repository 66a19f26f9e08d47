import type { z } from 'zod'
import type { EventPayload, Output, Result } from '../../../../src-shared/contract'
import {
  CONTROL_CENTER_EXTENSIONS,
  isControlCenterProfile,
  profileDocId,
  type ControlCenterProfile,
  type MbedProfile,
  type OrangeProfile,
  type PlatformProfile,
  type Profile,
  type profileSaveSchema,
} from '../../../../src-shared/models/profiles'
import { accountNames } from '../account-names'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

export type ProfileSave = z.input<typeof profileSaveSchema>
/** What saving one kind of profile sends. */
export type SaveOf<P extends Profile> = Extract<ProfileSave, { extension: P['extension'] }>
export type ProfileVerify = Output<'profiles:verify'>
export type LinkState = EventPayload<'platform:state'>

interface ProfilesOptions<P extends Profile, V> {
  extensions: readonly P['extension'][]
  is: (profile: Profile) => profile is P
  /** "Verify connection": one authenticated call with the profile's credentials. */
  verify: (profile: P) => Promise<Result<V>>
}

/**
 * Profiles of one or more extensions (settings, and which secrets are set — the core cannot send a secret back, so
 * nothing here can leak one), sorted by name. Another window or the CLI through serve mode may change them: the list
 * follows `profiles:changed` for its extensions.
 */
export class ProfilesState<P extends Profile, V = ProfileVerify> extends EventStore<readonly P[]> {
  readonly #options: ProfilesOptions<P, V>

  constructor(options: ProfilesOptions<P, V>) {
    super(api, { refreshOn: [{ event: 'profiles:changed', when: (e) => options.extensions.some((x) => x === e.extension) }], live: 'always' })
    this.#options = options
  }

  get items(): readonly P[] {
    return this.value ?? []
  }

  of(extension: P['extension']): P[] {
    return this.items.filter((p) => p.extension === extension)
  }

  /** The profile used when none is named: the default, else the only one (as the core resolves it). */
  get defaultProfile(): P | null {
    return this.items.find((p) => p.isDefault) ?? (this.items.length === 1 ? (this.items[0] ?? null) : null)
  }

  /**
   * Per profile as last read: the secrets its document names that the keychain no longer holds (removed outside
   * Fieldline, in the system's keychain manager). Keyed by the profile read, so an older read never speaks for a newer.
   */
  readonly #missing = new WeakMap<P, readonly string[]>()

  /** The secrets of `profile` that its document names and the keychain no longer holds: they must be entered again. */
  missingSecrets(profile: P): readonly string[] {
    return this.#missing.get(profile) ?? []
  }

  protected async fetch(): Promise<Result<readonly P[]>> {
    const [only] = this.#options.extensions
    const result = await api.invoke('profiles:list', this.#options.extensions.length === 1 && only ? { extension: only } : {})
    if (!result.ok) return result
    const items = result.value.items.filter(this.#options.is).sort((a, b) => a.name.localeCompare(b.name))
    return { ok: true, value: await Promise.all(items.map((p) => this.#asKeychainHasIt(p))) }
  }

  /**
   * The profile with its secrets as the keychain holds them. Its document says which secrets were saved, but the
   * keychain is the system's: an entry deleted there leaves the document saying "set". The vault answers only yes or
   * no (vault:isSet), never a value. A secret the keychain lacks reads as not set, so the card says it is missing and
   * the form asks for it again; unanswered (no keychain reachable), the document's word stands and the refusal shows
   * where the secret is used.
   */
  async #asKeychainHasIt(profile: P): Promise<P> {
    const named = Object.entries(profile.secrets as Record<string, boolean>)
      .filter(([, set]) => set)
      .map(([field]) => field)
    const profileId = profileDocId(profile.extension, profile.id)
    const answers = await Promise.all(named.map((field) => api.invoke('vault:isSet', { profileId, field })))
    const missing = named.filter((_, i) => {
      const answer = answers[i]
      return answer?.ok === true && !answer.value.set
    })
    if (missing.length === 0) return profile
    const seen = { ...profile, secrets: { ...profile.secrets, ...Object.fromEntries(missing.map((field) => [field, false])) } }
    this.#missing.set(seen, missing)
    return seen
  }

  async save(input: SaveOf<P>): Promise<Result<P>> {
    const result = await api.invoke('profiles:save', input)
    if (!result.ok) return result
    void this.load()
    this.saved(result.value.id)
    return this.#options.is(result.value) ? { ok: true, value: result.value } : { ok: false, error: { code: 'INTERNAL', message: `The core saved a ${result.value.extension} profile` } }
  }

  async remove(profile: P): Promise<Result<Output<'profiles:remove'>>> {
    const result = await api.invoke('profiles:remove', { extension: profile.extension, id: profile.id })
    if (result.ok) {
      void this.load()
      this.saved(profile.id)
    }
    return result
  }

  verify(profile: P): Promise<Result<V>> {
    return this.#options.verify(profile)
  }

  /** A profile was saved or removed: what was known about it apart from its settings no longer applies. */
  protected saved(_id: string): void {}
}

/**
 * The platform's MQTT broker profiles, with the live state of each profile's link. The core opens a link only when
 * something needs the broker: the states of links already open are read with the profiles, later changes arrive as
 * events.
 */
class PlatformProfiles extends ProfilesState<PlatformProfile> {
  /** Per profile id: the link's last reported state. */
  links = $state.raw<Record<string, LinkState>>({})

  constructor() {
    super({ extensions: ['platform'], is: (p) => p.extension === 'platform', verify: (p) => api.invoke('profiles:verify', { extension: 'platform', id: p.id }) })
    api.on('platform:state', (event) => {
      this.links = { ...this.links, [event.profileId]: event }
    })
  }

  override async load(): Promise<Result<readonly PlatformProfile[]> | null> {
    const [result, status] = await Promise.all([super.load(), api.invoke('platform:status', {})])
    if (result !== null && status.ok) this.links = Object.fromEntries(status.value.items.map((s) => [s.profileId, s]))
    return result
  }

  /** A saved profile gets a new link (the core closes the old one): the old link's state no longer applies. */
  protected override saved(id: string): void {
    const { [id]: _gone, ...rest } = this.links
    this.links = rest
  }
}

/** The Jasper and AT&T Control Center profiles of the Extensions gallery. */
export const profiles = new ProfilesState<ControlCenterProfile>({
  extensions: CONTROL_CENTER_EXTENSIONS,
  is: isControlCenterProfile,
  verify: (p) => api.invoke('profiles:verify', { extension: p.extension, id: p.id }),
})

/**
 * The Orange M2M profiles. "Verify connection" makes one authenticated call to Orange (profiles:verify); its success
 * is told with the address Orange answered at, in the operator's language (the core's `detail` is one English line),
 * and its failure is the core's refusal as it is (MalimaError code and message, 401, TLS, network, timeout).
 */
export const orangeProfiles = new ProfilesState<OrangeProfile, { baseUrl: string }>({
  extensions: ['orange'],
  is: (p): p is OrangeProfile => p.extension === 'orange',
  verify: async (p) => {
    const result = await api.invoke('profiles:verify', { extension: 'orange', id: p.id })
    return result.ok ? { ok: true, value: { baseUrl: p.settings.baseUrl } } : result
  },
})

/** The Control Center and Orange accounts by their profiles' names (accountNames), for the views that name accounts. */
export function carrierAccountNames(): ReadonlyMap<string, string> {
  return accountNames([...profiles.items, ...orangeProfiles.items])
}

/**
 * The ARM mbed Connector profiles: the Extensions card edits them, the mbed view picks the one its bridge runs on.
 * "Verify connection" goes through mbed:verify, whose answer is structured (host kind, endpoint counts, key name) and
 * so can be put in the operator's language; profiles:verify gives one English line.
 */
export const mbedProfiles = new ProfilesState<MbedProfile, Output<'mbed:verify'>>({
  extensions: ['mbed'],
  is: (p): p is MbedProfile => p.extension === 'mbed',
  verify: (p) => api.invoke('mbed:verify', { profileId: p.id }),
})

export const platform = new PlatformProfiles()
