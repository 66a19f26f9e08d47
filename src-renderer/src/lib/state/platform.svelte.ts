import type { z } from 'zod'
import type { ErrorInfo, EventPayload } from '../../../../src-shared/contract'
import type { PlatformProfile, profileSaveSchema } from '../../../../src-shared/models/profiles'
import { api } from '../api'
import { toBridgeError } from '../errors'
import type { VerifyResult } from './profiles.svelte'

export type PlatformProfileSave = Extract<z.input<typeof profileSaveSchema>, { extension: 'platform' }>
export type LinkState = EventPayload<'platform:state'>

/**
 * The IoT platform's MQTT broker profiles (settings, and whether the password is set — never the password), and
 * the live state of each profile's link as the core pushes it. The core opens a link only when something needs
 * the broker; the states of links already open are read with the profiles, later changes arrive as events.
 */
class PlatformState {
  items = $state.raw<PlatformProfile[]>([])
  loaded = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  /** Per profile id: the link's last reported state. */
  links = $state.raw<Record<string, LinkState>>({})
  #seq = 0

  constructor() {
    api.on('profiles:changed', ({ extension }) => {
      if (extension === 'platform') void this.load()
    })
    api.on('platform:state', (event) => {
      this.links = { ...this.links, [event.profileId]: event }
    })
    api.onReconnect(() => void this.load())
  }

  /** The profile used when none is named: the default, else the only one (as the core resolves it). */
  get defaultProfile(): PlatformProfile | null {
    return this.items.find((p) => p.isDefault) ?? (this.items.length === 1 ? (this.items[0] ?? null) : null)
  }

  async load(): Promise<void> {
    const seq = ++this.#seq
    const [result, status] = await Promise.all([api.invoke('profiles:list', { extension: 'platform' }), api.invoke('platform:status', {})])
    if (seq !== this.#seq) return
    if (status.ok) this.links = Object.fromEntries(status.value.items.map((s) => [s.profileId, s]))
    if (!result.ok) {
      this.error = result.error
      return
    }
    this.items = result.value.items.filter((p): p is PlatformProfile => p.extension === 'platform').sort((a, b) => a.name.localeCompare(b.name))
    this.error = null
    this.loaded = true
  }

  /** Returns the saved profile, or the error (the form shows it next to the field it is about). */
  async save(input: PlatformProfileSave): Promise<PlatformProfile | ErrorInfo> {
    try {
      const profile = await api.call('profiles:save', input)
      void this.load()
      // A saved profile gets a new link (the core closes the old one): the old link's state no longer applies.
      this.#forget(profile.id)
      return profile as PlatformProfile
    } catch (e) {
      return toBridgeError(e)
    }
  }

  async remove(id: string): Promise<ErrorInfo | null> {
    try {
      await api.call('profiles:remove', { extension: 'platform', id })
      void this.load()
      this.#forget(id)
      return null
    } catch (e) {
      return toBridgeError(e)
    }
  }

  async verify(id: string): Promise<VerifyResult> {
    const result = await api.invoke('profiles:verify', { extension: 'platform', id })
    return result.ok ? { ok: true, detail: result.value.detail } : { ok: false, error: result.error }
  }

  #forget(id: string): void {
    const { [id]: _gone, ...rest } = this.links
    this.links = rest
  }
}

export const platform = new PlatformState()
