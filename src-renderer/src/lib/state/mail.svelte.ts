import type { Input, Output, Result } from '../../../../src-shared/contract'
import type { MailSettingsView, MailVerifyResult, SendResult } from '../../../../src-shared/models/mail'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

export type MailSave = Input<'mail:saveSettings'>
export type MailTest = Input<'mail:sendTest'>
export type CredentialsPreview = Output<'mail:parseCredentials'>

/**
 * The email extension's settings as the core shows them: every setting, and for each secret only whether it is
 * set. Secrets typed in the form travel to the core once and never come back, so nothing here can leak one.
 */
class MailState extends EventStore<MailSettingsView> {
  constructor() {
    // The CLI (through serve mode) or another window may change the settings: main is the source of truth.
    super(api, { refreshOn: [{ event: 'mail:changed' }], live: 'always' })
  }

  get view(): MailSettingsView | null {
    return this.value
  }

  /** Whether a mode is chosen to send: invitations and test emails need one. */
  get configured(): boolean {
    return this.value?.active !== null && this.value?.active !== undefined
  }

  protected fetch(): Promise<Result<MailSettingsView>> {
    return api.invoke('mail:getSettings', {})
  }

  async save(input: MailSave): Promise<Result<MailSettingsView>> {
    const result = await api.invoke('mail:saveSettings', input)
    // The answer is the new state: show it now rather than after the event's round trip.
    if (result.ok) this.accept(result.value)
    return result
  }

  async clear(): Promise<Result<unknown>> {
    const result = await api.invoke('mail:clearSettings', {})
    if (result.ok) void this.load()
    return result
  }

  verify(): Promise<Result<MailVerifyResult>> {
    return api.invoke('mail:verify', {})
  }

  sendTest(input: MailTest): Promise<Result<SendResult>> {
    return api.invoke('mail:sendTest', input)
  }

  /** The core reads pasted credentials (the password stays there); the answer says where any problem is. */
  parseCredentials(text: string): Promise<Result<CredentialsPreview>> {
    return api.invoke('mail:parseCredentials', { text })
  }
}

export const mail = new MailState()
