/**
 * Workspace documents of the email extension.
 *
 * - `mail:settings` (kind 'mailSettings'): the one email configuration. Each mode keeps its own settings, so switching
 *   modes and back loses nothing; `active` says which one sends. Secrets are in the vault under
 *   `mail:settings/<field>`; `secretFields` only says which are set. Like profiles, the document replicates to the
 *   team while each machine keeps its own keychain.
 */
import { getOrNull, type BaseDoc, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import { secretAccount } from '../vault/secret-store'
import type { MailMode, SmtpSecurity } from '../../../src-shared/models/mail'

export const MAIL_SETTINGS_ID = 'mail:settings'

/** The vault field of each mode's secret. */
export const MODE_SECRET = { sendgridApiKey: 'sendgridApiKey', smtp: 'smtpPassword', sendgridUsername: 'sendgridPassword' } as const satisfies Record<MailMode, string>
export type MailSecretField = (typeof MODE_SECRET)[MailMode]

export function mailSecretAccount(field: MailSecretField): string {
  return secretAccount(MAIL_SETTINGS_ID, field)
}

export interface StoredSendGridApiKey {
  adminName: string
  adminEmail: string
  baseUrl: string
}

export interface StoredSmtp {
  host: string
  port: number
  security: SmtpSecurity
  username?: string
  senderName: string
  senderAddress: string
  ca?: string
}

export interface StoredSendGridUsername {
  hostname: string
  username: string
  senderName: string
  senderAddress: string
  name?: string
  label?: string
}

export interface MailSettingsDoc extends BaseDoc {
  kind: 'mailSettings'
  active: MailMode | null
  organisation: string | null
  sendgridApiKey: StoredSendGridApiKey | null
  smtp: StoredSmtp | null
  sendgridUsername: StoredSendGridUsername | null
  secretFields: MailSecretField[]
  createdAt: string
  updatedAt: string
}

export function emptySettingsDoc(now: string): MailSettingsDoc {
  return {
    _id: MAIL_SETTINGS_ID,
    kind: 'mailSettings',
    schemaVersion: CURRENT_SCHEMA.mailSettings,
    active: null,
    organisation: null,
    sendgridApiKey: null,
    smtp: null,
    sendgridUsername: null,
    secretFields: [],
    createdAt: now,
    updatedAt: now,
  }
}

export function readMailSettings(db: Db): Promise<(MailSettingsDoc & { _rev: string }) | null> {
  return getOrNull<MailSettingsDoc>(db, MAIL_SETTINGS_ID)
}
