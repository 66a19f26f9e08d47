/**
 * The email extension's shapes as they cross the bridge. This file depends on zod and ./addresses only, so it can
 * move as it is to src-shared/models/mail.ts when the channels are added to the contract. Secrets go in, never out:
 * the settings view says only whether each secret is set.
 */
import { z } from 'zod'
import { MAX_ADDRESS_LENGTH, MAX_NAME_LENGTH, addressProblem, displayNameProblem, hasControl, textProblem, type AddressProblem, type NameProblem } from './mail-addresses'
import { isDnsLabel, isIPv4 } from './hosts'
import { caBundleProblem } from './transport-rules'
import { errorInfoSchema } from './errors'

/** An invitation's document id is this prefix and its id (core/team/invitations.store.ts). */
export const INVITATION_PREFIX = 'invitation:'

export const MAIL_MODES = ['sendgridApiKey', 'smtp', 'sendgridUsername'] as const
export const mailModeSchema = z.enum(MAIL_MODES)
export type MailMode = z.infer<typeof mailModeSchema>

/** 'tls' = TLS from the first byte (usually 465); 'starttls' = plain greeting, then STARTTLS, required (usually 587). */
export const SMTP_SECURITY = ['tls', 'starttls', 'none'] as const
export const smtpSecuritySchema = z.enum(SMTP_SECURITY)
export type SmtpSecurity = z.infer<typeof smtpSecuritySchema>

export const INVITATION_ROLES = ['administrator', 'operator', 'viewer'] as const
export const invitationRoleSchema = z.enum(INVITATION_ROLES)
export type InvitationRole = z.infer<typeof invitationRoleSchema>

export const MAIL_LANGUAGES = ['en', 'fr'] as const
export const mailLanguageSchema = z.enum(MAIL_LANGUAGES)
export type MailLanguage = z.infer<typeof mailLanguageSchema>

/** 'joined': the invitee joined the team server with the invitation's code (their user there says so). */
/**
 * 'unknown': a send was under way when its process ended (killed, crashed, power lost): the mail may or may not have
 * left. It is never sent again by itself; the operator resends it or dismisses the doubt (takes it as sent).
 */
export const INVITATION_STATES = ['pending', 'sent', 'failed', 'unknown', 'joined', 'revoked'] as const
export const invitationStateSchema = z.enum(INVITATION_STATES)
export type InvitationState = z.infer<typeof invitationStateSchema>

export const DEFAULT_SENDGRID_URL = 'https://api.sendgrid.com'
/** "SendGrid with username" is SMTP to the host of the service credentials, on the submission port with STARTTLS. */
export const SENDGRID_SMTP_PORT = 587

/**
 * Hard cap of every mail text field, far above each field's own limit: the field's check names a typo precisely,
 * this refuses a flood before any check reads it.
 */
const MAX_FIELD_INPUT = 4096

const LINE_BREAK_MESSAGE = 'must not contain line breaks'
const ADDRESS_MESSAGES: Record<AddressProblem, string> = {
  lineBreak: LINE_BREAK_MESSAGE,
  control: 'must not contain control characters',
  empty: 'is required',
  tooLong: `must be at most ${MAX_ADDRESS_LENGTH} characters`,
  format: 'must be an email address such as name@example.com (no display name, no spaces)',
}
const NAME_MESSAGES: Record<NameProblem, string> = {
  lineBreak: LINE_BREAK_MESSAGE,
  control: 'must not contain control characters',
  empty: 'is required',
  tooLong: `must be at most ${MAX_NAME_LENGTH} characters`,
  addressLike: 'must not contain <, >, @, " or \\ (a name must not look like an address)',
}

/**
 * Custom issues carry the key of their translated message in `params.messageKey` (`params.urgent` for a line break), so that the core can report a line
 * break as a header-injection attempt rather than as a generic invalid input. `params.problem` names what is wrong, so
 * that a form can say "at most 120 characters" rather than "one line of plain text" for a value that is only too long.
 */
const mailKey = (problem: string, otherwise: string): { messageKey: string; urgent: boolean; problem: string } =>
  problem === 'lineBreak' ? { messageKey: 'mail.headerInjection', urgent: true, problem } : { messageKey: otherwise, urgent: false, problem }

export const emailAddressSchema = z
  .string()
  .max(MAX_FIELD_INPUT)
  .superRefine((value, ctx) => {
    const problem = addressProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: ADDRESS_MESSAGES[problem], params: mailKey(problem, 'mail.invalidAddress') })
  })

/** A person's or sender's display name; surrounding spaces are dropped after the checks. */
export const displayNameSchema = z
  .string()
  .max(MAX_FIELD_INPUT)
  .superRefine((value, ctx) => {
    const problem = displayNameProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: NAME_MESSAGES[problem], params: mailKey(problem, 'mail.invalidName') })
  })
  .transform((v) => v.trim())

/** One line of free text that ends up in a subject or a body (an organisation name). */
export const oneLineTextSchema = (max: number) =>
  z
    .string()
    .max(Math.max(max, MAX_FIELD_INPUT))
    .superRefine((value, ctx) => {
      const problem = textProblem(value, max)
      if (problem)
        ctx.addIssue({ code: 'custom', message: problem === 'tooLong' ? `must be at most ${max} characters` : NAME_MESSAGES[problem], params: { ...mailKey(problem, 'mail.invalidText'), max } })
    })
    .transform((v) => v.trim())

/** A host name (single labels allowed: an intranet relay or localhost), an IPv4 address or a bare IPv6 address. */
export function isSmtpHost(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false
  if (isIPv4(value)) return true
  if (value.includes(':')) return /^[0-9A-Fa-f:.]+$/.test(value) && value.split(':').length <= 9
  return value.split('.').every(isDnsLabel)
}

export const smtpHostSchema = z
  .string()
  .max(MAX_FIELD_INPUT)
  .trim()
  .refine(isSmtpHost, { message: 'must be a host name or an IP address, without scheme, port or path', params: { messageKey: 'mail.invalidHost' } })

export const portSchema = z.number().int().min(1).max(65535)

/** Extra trusted certificates in PEM; the core checks each one parses. Verification itself is never optional. */
export const caPemSchema = z
  .string()
  .max(256 * 1024)
  .refine((v) => caBundleProblem(v) === null, { message: 'must be one or more PEM certificates', params: { messageKey: 'errors.invalidCa' } })

/** Secrets are write-only: a value sets or replaces, null clears, absent keeps. */
const secretValueSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((v) => !hasControl(v), { message: 'must not contain line breaks or control characters', params: { messageKey: 'mail.secretControl' } })
  .nullable()

export const sendgridApiKeySettingsSchema = z
  .object({
    adminName: displayNameSchema,
    /** The sender of every message: a verified Sender Identity at SendGrid. */
    adminEmail: emailAddressSchema,
    /** https://api.sendgrid.com, https://api.eu.sendgrid.com, or plain http:// to a loopback test peer. */
    baseUrl: z.string().trim().min(1).max(300).default(DEFAULT_SENDGRID_URL),
  })
  .strict()
export type SendGridApiKeySettings = z.output<typeof sendgridApiKeySettingsSchema>

export const smtpSettingsSchema = z
  .object({
    host: smtpHostSchema,
    port: portSchema,
    security: smtpSecuritySchema,
    /** Absent for a relay that does not ask for authentication. */
    username: oneLineTextSchema(256).optional(),
    senderName: displayNameSchema,
    senderAddress: emailAddressSchema,
    ca: caPemSchema.optional(),
  })
  .strict()
export type SmtpSettings = z.output<typeof smtpSettingsSchema>

export const sendgridUsernameSettingsSchema = z
  .object({
    /** From the service credentials (`credentials.hostname`), usually smtp.sendgrid.net. */
    hostname: smtpHostSchema,
    username: oneLineTextSchema(256),
    senderName: displayNameSchema,
    senderAddress: emailAddressSchema,
    /** The service instance's `name` and `label`, kept to tell the operator which credentials these are. */
    name: oneLineTextSchema(200).optional(),
    label: oneLineTextSchema(200).optional(),
  })
  .strict()
export type SendGridUsernameSettings = z.output<typeof sendgridUsernameSettingsSchema>

const organisationSchema = oneLineTextSchema(120)
/** Largest pasted credentials JSON: a service binding is a few hundred characters. */
export const MAX_CREDENTIALS_JSON = 64 * 1024

const saveCommon = {
  /** The organisation named in invitations; absent keeps the saved one. */
  organisation: organisationSchema.optional(),
  /** Make this mode the active one (default true): exactly one mode sends at a time. */
  activate: z.boolean().default(true),
}

export const mailSaveSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('sendgridApiKey'), ...saveCommon, settings: sendgridApiKeySettingsSchema, secrets: z.object({ apiKey: secretValueSchema.optional() }).strict().default({}) }).strict(),
  z.object({ mode: z.literal('smtp'), ...saveCommon, settings: smtpSettingsSchema, secrets: z.object({ password: secretValueSchema.optional() }).strict().default({}) }).strict(),
  z
    .object({
      mode: z.literal('sendgridUsername'),
      ...saveCommon,
      /** Typed in: hostname and username here, the password in `secrets`. */
      settings: z
        .object({
          senderName: displayNameSchema,
          senderAddress: emailAddressSchema,
          hostname: smtpHostSchema.optional(),
          username: oneLineTextSchema(256).optional(),
        })
        .strict(),
      /** Pasted in: the service credentials JSON; its hostname, username and password win, and the text is not kept. */
      credentialsJson: z.string().max(MAX_CREDENTIALS_JSON).optional(),
      secrets: z.object({ password: secretValueSchema.optional() }).strict().default({}),
    })
    .strict(),
])
export type MailSaveInput = z.output<typeof mailSaveSchema>
export type MailSaveRawInput = z.input<typeof mailSaveSchema>

export const mailSettingsViewSchema = z.object({
  active: mailModeSchema.nullable(),
  organisation: z.string().nullable(),
  sendgridApiKey: z.object({ adminName: z.string(), adminEmail: z.string(), baseUrl: z.string(), apiKeySet: z.boolean() }).nullable(),
  smtp: z
    .object({
      host: z.string(),
      port: z.number().int(),
      security: smtpSecuritySchema,
      username: z.string().optional(),
      senderName: z.string(),
      senderAddress: z.string(),
      ca: z.string().optional(),
      passwordSet: z.boolean(),
    })
    .nullable(),
  sendgridUsername: z
    .object({
      hostname: z.string(),
      username: z.string(),
      senderName: z.string(),
      senderAddress: z.string(),
      name: z.string().optional(),
      label: z.string().optional(),
      passwordSet: z.boolean(),
    })
    .nullable(),
  updatedAt: z.string().nullable(),
})
export type MailSettingsView = z.infer<typeof mailSettingsViewSchema>

export const mailVerifyInputSchema = z.object({ mode: mailModeSchema.optional() }).strict()

export const mailVerifyOutputSchema = z.object({
  mode: mailModeSchema,
  /** host:port for SMTP, the API host for SendGrid. */
  server: z.string(),
  /** SendGrid only: true when the service delivered the verification message instead of validating it (no sandbox). */
  delivered: z.boolean(),
})
export type MailVerifyResult = z.infer<typeof mailVerifyOutputSchema>

export const sendTestInputSchema = z.object({ to: emailAddressSchema, language: mailLanguageSchema.default('en') }).strict()
export type SendTestInput = z.output<typeof sendTestInputSchema>

export const sendResultSchema = z.object({
  mode: mailModeSchema,
  /** SMTP Message-ID or SendGrid X-Message-Id, when the server gave one. */
  messageId: z.string().nullable(),
})
export type SendResult = z.infer<typeof sendResultSchema>

export const teamUserNameSchema = z
  .string()
  .max(60)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'must be lower-case letters, digits, . _ or -, starting with a letter or a digit' })

export const inviteInputSchema = z
  .object({
    name: displayNameSchema,
    email: emailAddressSchema,
    role: invitationRoleSchema,
    language: mailLanguageSchema.default('en'),
    /** Who the email says invited them; the sender name of the active mode when absent. */
    invitedBy: displayNameSchema.optional(),
    /**
     * The invitee's CouchDB user name on the team server, for an invitation that carries a code; from the email address
     * when absent. Lower-case letters, digits, '.', '_' and '-' (CouchDB refuses a name starting with '_').
     */
    user: teamUserNameSchema.optional(),
  })
  .strict()
export type InviteInput = z.output<typeof inviteInputSchema>

export const invitationIdSchema = z
  .string()
  .max(16)
  .regex(/^[a-f0-9]{16}$/, { message: 'must be an invitation id' })

/** Why a send failed, as the bridge error it was: the code, the English text, and the translatable reference. */
export const mailFailureSchema = z.object({
  code: z.string(),
  message: z.string(),
  ref: z.object({ key: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])).optional() }).optional(),
})
export type MailFailure = z.infer<typeof mailFailureSchema>

export const invitationAccountSchema = z.object({ url: z.string(), database: z.string(), user: z.string() })
export type InvitationAccount = z.infer<typeof invitationAccountSchema>

export const invitationSchema = z.object({
  id: invitationIdSchema,
  name: z.string(),
  email: z.string(),
  role: invitationRoleSchema,
  language: mailLanguageSchema,
  organisation: z.string(),
  invitedBy: z.string(),
  state: invitationStateSchema,
  /** The mode that carried the last attempt. */
  via: mailModeSchema.nullable(),
  attempts: z.number().int(),
  messageId: z.string().nullable(),
  lastError: mailFailureSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  sentAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  /** When the invitee joined the team server with the code, as their user there says (null: not joined, or not said). */
  joinedAt: z.string().nullable(),
  /** State 'unknown': when the send that was cut off started (null in every other state). */
  unknownSince: z.string().nullable(),
  /**
   * The CouchDB user made for the invitee on the team server, whose one-time password the email's code carries; null
   * when the invitation went without a code (no team sync, or an account that may not create users).
   */
  account: invitationAccountSchema.nullable(),
})
export type Invitation = z.infer<typeof invitationSchema>

/** Whether an invitation sent now carries a code to join the team server, and why not. */
export const inviteCheckSchema = z.object({
  codes: z.boolean(),
  reason: errorInfoSchema.nullable(),
  /** The team server and database the code would name (null: team sync is not set up). */
  server: z.object({ url: z.string(), database: z.string() }).nullable(),
})
export type InviteCheck = z.infer<typeof inviteCheckSchema>

export const invitationListInputSchema = z.object({ state: invitationStateSchema.optional() }).strict()

export const credentialsParseInputSchema = z.object({ text: z.string().max(MAX_CREDENTIALS_JSON) }).strict()
