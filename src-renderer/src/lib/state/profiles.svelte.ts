import type { z } from 'zod'
import type { ErrorInfo, Output } from '../../../../src-shared/contract'
import type { ControlCenterExtension, ControlCenterProfile as Profile, controlCenterProfileSaveSchema } from '../../../../src-shared/models/profiles'
import { CONTROL_CENTER_EXTENSIONS, isControlCenterProfile } from '../../../../src-shared/models/profiles'
import { api } from '../api'
import { toBridgeError } from '../errors'

export type ProfileSave = z.input<typeof controlCenterProfileSaveSchema>
export type VerifyResult = { ok: true; detail: Output<'profiles:verify'>['detail'] } | { ok: false; error: ErrorInfo }

/**
 * The carrier profiles shown in the Extensions gallery, per extension. Only settings and which secrets are set
 * ever reach the renderer: the core cannot send a secret back, so nothing here can leak one.
 */
class ProfilesState {
  byExtension = $state.raw<Record<ControlCenterExtension, Profile[]>>({ jasper: [], atnt: [] })
  loaded = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  #seq = 0

  constructor() {
    // Another window (or the CLI through serve mode) may change profiles: main is the source of truth.
    api.on('profiles:changed', () => void this.load())
    api.onReconnect(() => void this.load())
  }

  async load(): Promise<void> {
    const seq = ++this.#seq
    const result = await api.invoke('profiles:list', {})
    if (seq !== this.#seq) return
    if (!result.ok) {
      this.error = result.error
      return
    }
    const grouped: Record<ControlCenterExtension, Profile[]> = { jasper: [], atnt: [] }
    for (const profile of result.value.items.filter(isControlCenterProfile)) grouped[profile.extension].push(profile)
    for (const extension of CONTROL_CENTER_EXTENSIONS) grouped[extension].sort((a, b) => a.name.localeCompare(b.name))
    this.byExtension = grouped
    this.error = null
    this.loaded = true
  }

  /** Returns the saved profile, or the error (the form shows it next to the fields). */
  async save(input: ProfileSave): Promise<Profile | ErrorInfo> {
    try {
      const profile = await api.call('profiles:save', input)
      void this.load()
      return profile as Profile
    } catch (e) {
      return toBridgeError(e)
    }
  }

  async remove(extension: ControlCenterExtension, id: string): Promise<ErrorInfo | null> {
    try {
      await api.call('profiles:remove', { extension, id })
      void this.load()
      return null
    } catch (e) {
      return toBridgeError(e)
    }
  }

  async verify(extension: ControlCenterExtension, id: string): Promise<VerifyResult> {
    const result = await api.invoke('profiles:verify', { extension, id })
    return result.ok ? { ok: true, detail: result.value.detail } : { ok: false, error: result.error }
  }
}

export const profiles = new ProfilesState()
