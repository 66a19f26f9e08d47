/**
 * What the mail service needs from a transport, whichever of the three modes carries the message.
 */
import type { MailMode } from '../../../src-shared/models/mail'
import type { MailAddress, OutgoingMail } from './mail-validation'

export interface Mailer {
  readonly mode: MailMode
  /** host:port for SMTP, the API host for SendGrid: for messages and logs. */
  readonly server: string
  readonly from: MailAddress
  /**
   * Checks the configuration end to end without delivering anything: SMTP connects, negotiates TLS and
   * authenticates; SendGrid sends a sandbox-mode request. `delivered` is true only if the service ignored the
   * sandbox flag and delivered the check message.
   */
  verify(): Promise<{ delivered: boolean }>
  send(mail: OutgoingMail): Promise<{ messageId: string | null }>
  close(): Promise<void>
}
