/**
 * The two messages Fieldline sends: the invitation to join a team and the short test message. Text and HTML parts,
 * English and French. Every value that comes from an operator or a setting goes through escapeHtml in the HTML part;
 * the text part is plain text and needs no escaping. Subjects are checked for line breaks where they are used.
 */
import { escapeHtml } from '../../../src-shared/models/mail-addresses'
import type { InvitationRole, MailLanguage, MailMode } from '../../../src-shared/models/mail'

export interface RenderedMail {
  subject: string
  text: string
  html: string
  language: MailLanguage
}

export interface InvitationContent {
  language: MailLanguage
  name: string
  email: string
  role: InvitationRole
  organisation: string
  invitedBy: string
  /** The invitation id, quoted so that the person and the administrator speak of the same invitation. */
  reference: string
}

export interface AlertContent {
  language: MailLanguage
  rule: string
  /** How many fired; `lines` may hold fewer (the first ones). */
  count: number
  /** One per alert: what it is about (a SIM, a device, an account) and what was found. */
  lines: { about: string; value: string }[]
}

export interface TestContent {
  language: MailLanguage
  mode: MailMode
  /** host:port for SMTP modes. */
  server: string
  sentAt: Date
}

/** French puts a narrow no-break space before ':' and ';'; a plain no-break space is what every mail client shows. */
const NBSP = '\u00a0'

interface Strings {
  invitationSubject: (v: { invitedBy: string; organisation: string }) => string
  greeting: (name: string) => string
  invited: (v: { invitedBy: string; organisation: string; role: string }) => string
  roleName: Record<InvitationRole, string>
  roleDescription: Record<InvitationRole, string>
  howToJoin: (invitedBy: string) => string
  sentTo: (email: string) => string
  reference: (id: string) => string
  ignore: string
  signature: string
  testSubject: string
  testBody: (v: { via: string; when: string }) => string
  testOutcome: string
  via: (mode: MailMode, server: string) => string
  alertSubject: (rule: string) => string
  alertIntro: (v: { rule: string; count: number }) => string
  alertMore: (count: number) => string
}

const STRINGS: Record<MailLanguage, Strings> = {
  en: {
    invitationSubject: ({ invitedBy, organisation }) => `${invitedBy} invited you to join ${organisation} on Fieldline`,
    greeting: (name) => `Hello ${name},`,
    invited: ({ invitedBy, organisation, role }) => `${invitedBy} invited you to join ${organisation} on Fieldline as ${role}.`,
    roleName: { administrator: 'an administrator', operator: 'an operator', viewer: 'a viewer' },
    roleDescription: {
      administrator: 'Administrators manage the extensions, the email settings and the team.',
      operator: 'Operators work with devices, SIM cards and device-management packages.',
      viewer: 'Viewers see devices and their data but change nothing.',
    },
    howToJoin: (invitedBy) => `To join, install Fieldline and ask ${invitedBy} for the address of the team workspace.`,
    sentTo: (email) => `This invitation was sent to ${email}.`,
    reference: (id) => `Invitation reference: ${id}`,
    ignore: 'If you did not expect this invitation, you can ignore this email.',
    signature: 'Fieldline',
    testSubject: 'Fieldline test email',
    testBody: ({ via, when }) => `This is a test message from Fieldline, sent through ${via} on ${when}.`,
    testOutcome: 'If you can read it, email is set up correctly: invitations will be sent the same way.',
    via: (mode, server) => (mode === 'sendgridApiKey' ? 'SendGrid (API key)' : mode === 'sendgridUsername' ? `SendGrid (SMTP, ${server})` : `SMTP (${server})`),
    alertSubject: (rule) => `Fieldline alert: ${rule}`,
    alertIntro: ({ rule, count }) => (count === 1 ? `The alert rule “${rule}” fired once:` : `The alert rule “${rule}” fired ${count} times:`),
    alertMore: (count) => `… and ${count} more, in Fieldline’s inbox.`,
  },
  fr: {
    invitationSubject: ({ invitedBy, organisation }) => `${invitedBy} vous invite à rejoindre ${organisation} sur Fieldline`,
    greeting: (name) => `Bonjour ${name},`,
    invited: ({ invitedBy, organisation, role }) => `${invitedBy} vous invite à rejoindre ${organisation} sur Fieldline avec le rôle ${role}.`,
    roleName: { administrator: '« administrateur »', operator: '« opérateur »', viewer: '« observateur »' },
    roleDescription: {
      administrator: 'Les administrateurs gèrent les extensions, les réglages d’e-mail et l’équipe.',
      operator: 'Les opérateurs travaillent sur les appareils, les cartes SIM et les paquets de gestion des appareils.',
      viewer: 'Les observateurs consultent les appareils et leurs données sans rien modifier.',
    },
    howToJoin: (invitedBy) => `Pour la rejoindre, installez Fieldline et demandez à ${invitedBy} l’adresse de l’espace de travail de l’équipe.`,
    sentTo: (email) => `Cette invitation a été envoyée à ${email}.`,
    reference: (id) => `Référence de l’invitation${NBSP}: ${id}`,
    ignore: 'Si vous n’attendiez pas cette invitation, vous pouvez ignorer cet e-mail.',
    signature: 'Fieldline',
    testSubject: 'E-mail de test Fieldline',
    testBody: ({ via, when }) => `Ceci est un message de test de Fieldline, envoyé par ${via} le ${when}.`,
    testOutcome: `Si vous le lisez, l’e-mail est bien configuré${NBSP}: les invitations partiront de la même façon.`,
    via: (mode, server) => (mode === 'sendgridApiKey' ? 'SendGrid (clé d’API)' : mode === 'sendgridUsername' ? `SendGrid (SMTP, ${server})` : `SMTP (${server})`),
    alertSubject: (rule) => `Alerte Fieldline${NBSP}: ${rule}`,
    alertIntro: ({ rule, count }) =>
      count === 1 ? `La règle d’alerte «${NBSP}${rule}${NBSP}» s’est déclenchée une fois${NBSP}:` : `La règle d’alerte «${NBSP}${rule}${NBSP}» s’est déclenchée ${count}${NBSP}fois${NBSP}:`,
    alertMore: (count) => `… et ${count} de plus, dans la boîte de réception de Fieldline.`,
  },
}

/** French quotes in the role name already hold no-break spaces inside them. */
function frenchQuotes(text: string): string {
  return text.replace(/« /g, `«${NBSP}`).replace(/ »/g, `${NBSP}»`)
}

function page(language: MailLanguage, subject: string, paragraphs: string[]): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${p}</p>`).join('\n')
  return [
    '<!DOCTYPE html>',
    `<html lang="${language}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>' + escapeHtml(subject) + '</title></head>',
    '<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:15px;line-height:1.5;color:#1b1f24">',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}

export function renderInvitation(content: InvitationContent): RenderedMail {
  const s = STRINGS[content.language]
  const fix = content.language === 'fr' ? frenchQuotes : (t: string) => t
  const role = fix(s.roleName[content.role])
  const subject = s.invitationSubject({ invitedBy: content.invitedBy, organisation: content.organisation })

  const text = [
    s.greeting(content.name),
    '',
    s.invited({ invitedBy: content.invitedBy, organisation: content.organisation, role }),
    s.roleDescription[content.role],
    '',
    s.howToJoin(content.invitedBy),
    '',
    s.sentTo(content.email),
    s.reference(content.reference),
    s.ignore,
    '',
    `— ${s.signature}`,
    '',
  ].join('\n')

  // Values are escaped one by one and then placed in the (trusted) sentence templates.
  const e = {
    name: escapeHtml(content.name),
    email: escapeHtml(content.email),
    organisation: `<strong>${escapeHtml(content.organisation)}</strong>`,
    invitedBy: escapeHtml(content.invitedBy),
    reference: `<code>${escapeHtml(content.reference)}</code>`,
    role: `<strong>${escapeHtml(role)}</strong>`,
  }
  const html = page(content.language, subject, [
    s.greeting(e.name),
    `${s.invited({ invitedBy: e.invitedBy, organisation: e.organisation, role: e.role })}<br>${escapeHtml(s.roleDescription[content.role])}`,
    s.howToJoin(e.invitedBy),
    `${s.sentTo(e.email)}<br>${s.reference(e.reference)}<br>${escapeHtml(s.ignore)}`,
    `— ${escapeHtml(s.signature)}`,
  ])
  return { subject, text, html, language: content.language }
}

function formatWhen(date: Date, language: MailLanguage): string {
  // UTC and said so: the recipient may be anywhere, and the operator compares it with logs kept in UTC.
  return `${new Intl.DateTimeFormat(language === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(date)} UTC`
}

export function renderTestEmail(content: TestContent): RenderedMail {
  const s = STRINGS[content.language]
  const via = s.via(content.mode, content.server)
  const when = formatWhen(content.sentAt, content.language)
  const subject = s.testSubject
  const text = [s.testBody({ via, when }), '', s.testOutcome, '', `— ${s.signature}`, ''].join('\n')
  const html = page(content.language, subject, [s.testBody({ via: escapeHtml(via), when: escapeHtml(when) }), escapeHtml(s.testOutcome), `— ${escapeHtml(s.signature)}`])
  return { subject, text, html, language: content.language }
}

/** What an alert rule found, to the addresses the rule names, in each recipient's language. */
export function renderAlertEmail(content: AlertContent): RenderedMail {
  const s = STRINGS[content.language]
  const subject = s.alertSubject(content.rule)
  const intro = s.alertIntro({ rule: content.rule, count: content.count })
  const more = content.count > content.lines.length ? [s.alertMore(content.count - content.lines.length)] : []
  const text = [intro, '', ...content.lines.map((l) => `- ${l.about}: ${l.value}`), ...more, '', `— ${s.signature}`, ''].join('\n')
  const list = `<ul style="margin:0;padding-left:20px">${content.lines.map((l) => `<li>${escapeHtml(l.about)}: <strong>${escapeHtml(l.value)}</strong></li>`).join('')}</ul>`
  const html = page(content.language, subject, [escapeHtml(intro), list, ...more.map(escapeHtml), `— ${escapeHtml(s.signature)}`])
  return { subject, text, html, language: content.language }
}
