import type { ErrorInfo, Input, Output } from '../../../../src-shared/contract'
import type { MailSettingsView, MailVerifyResult, SendResult } from '../../../../src-shared/models/mail'
import { api } from '../api'
import { toBridgeError } from '../errors'

export type MailSave = Input<'mail:saveSettings'>
export type MailTest = Input<'mail:sendTest'>
export type CredentialsPreview = Output<'mail:parseCredentials'>
export type MailVerifyOutcome = { ok: true; result: MailVerifyResult } | { ok: false; error: ErrorInfo }

/**
 * The email extension's settings as the core shows them: every setting, and for each secret only whether it is
 * set. Secrets typed in the form travel to the core once and never come back, so nothing here can leak one.
 */
class MailState {
  view = $state.raw<MailSettingsView | null>(null)
  loaded = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  #seq = 0

  constructor() {
    // The CLI (through serve mode) or another window may change the settings: main is the source of truth.
    api.on('mail:changed', () => void this.load())
    api.onReconnect(() => void this.load())
  }

  /** Whether a mode is chosen to send: invitations and test emails need one. */
  get configured(): boolean {
    return this.view?.active !== null && this.view?.active !== undefined
  }

  async load(): Promise<void> {
    const seq = ++this.#seq
    const result = await api.invoke('mail:getSettings', {})
    if (seq !== this.#seq) return
    if (!result.ok) {
      this.error = result.error
      return
    }
    this.view = result.value
    this.error = null
    this.loaded = true
  }

  /** Returns the saved view, or the error (the form shows it next to the field it is about). */
  async save(input: MailSave): Promise<MailSettingsView | ErrorInfo> {
    try {
      const view = await api.call('mail:saveSettings', input)
      // The answer is the new state: show it now rather than after the event's round trip.
      this.#seq++
      this.view = view
      this.error = null
      this.loaded = true
      return view
    } catch (e) {
      return toBridgeError(e)
    }
  }

  async clear(): Promise<ErrorInfo | null> {
    try {
      await api.call('mail:clearSettings', {})
      void this.load()
      return null
    } catch (e) {
      return toBridgeError(e)
    }
  }

  async verify(): Promise<MailVerifyOutcome> {
    const result = await api.invoke('mail:verify', {})
    return result.ok ? { ok: true, result: result.value } : { ok: false, error: result.error }
  }

  async sendTest(input: MailTest): Promise<SendResult | ErrorInfo> {
    try {
      return await api.call('mail:sendTest', input)
    } catch (e) {
      return toBridgeError(e)
    }
  }

  /** The core reads pasted credentials (the password stays there); the answer says where any problem is. */
  async parseCredentials(text: string): Promise<CredentialsPreview | ErrorInfo> {
    try {
      return await api.call('mail:parseCredentials', { text })
    } catch (e) {
      return toBridgeError(e)
    }
  }
}

export const mail = new MailState()
