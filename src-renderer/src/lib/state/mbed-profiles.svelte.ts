import type { z } from 'zod'
import type { ErrorInfo, Output } from '../../../../src-shared/contract'
import type { MbedProfile, profileSaveSchema } from '../../../../src-shared/models/profiles'
import { api } from '../api'
import { toBridgeError } from '../errors'

export type MbedProfileSave = Extract<z.input<typeof profileSaveSchema>, { extension: 'mbed' }>
export type MbedVerifyResult = { ok: true; value: Output<'mbed:verify'> } | { ok: false; error: ErrorInfo }

/**
 * The ARM mbed Connector profiles (settings, and whether the access key is set — never the key). The Extensions card
 * edits them; the mbed view picks the one its bridge runs on.
 */
class MbedProfilesState {
  items = $state.raw<MbedProfile[]>([])
  loaded = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  #seq = 0

  constructor() {
    api.on('profiles:changed', ({ extension }) => {
      if (extension === 'mbed') void this.load()
    })
    api.onReconnect(() => void this.load())
  }

  /** The profile used when none is named: the default, else the only one (as the core resolves it). */
  get defaultProfile(): MbedProfile | null {
    return this.items.find((p) => p.isDefault) ?? (this.items.length === 1 ? (this.items[0] ?? null) : null)
  }

  async load(): Promise<void> {
    const seq = ++this.#seq
    const result = await api.invoke('profiles:list', { extension: 'mbed' })
    if (seq !== this.#seq) return
    if (!result.ok) {
      this.error = result.error
      return
    }
    this.items = result.value.items.filter((p): p is MbedProfile => p.extension === 'mbed').sort((a, b) => a.name.localeCompare(b.name))
    this.error = null
    this.loaded = true
  }

  /** Returns the saved profile, or the error (the form shows it next to the field it is about). */
  async save(input: MbedProfileSave): Promise<MbedProfile | ErrorInfo> {
    try {
      const profile = await api.call('profiles:save', input)
      void this.load()
      return profile as MbedProfile
    } catch (e) {
      return toBridgeError(e)
    }
  }

  async remove(id: string): Promise<ErrorInfo | null> {
    try {
      await api.call('profiles:remove', { extension: 'mbed', id })
      void this.load()
      return null
    } catch (e) {
      return toBridgeError(e)
    }
  }

  /**
   * "Verify connection". The same authenticated call as profiles:verify, through mbed:verify because its answer is
   * structured (host kind, endpoint counts, key name) and so can be put in the operator's language; profiles:verify
   * gives one English line.
   */
  async verify(id: string): Promise<MbedVerifyResult> {
    const result = await api.invoke('mbed:verify', { profileId: id })
    return result.ok ? { ok: true, value: result.value } : { ok: false, error: result.error }
  }
}

export const mbedProfiles = new MbedProfilesState()
