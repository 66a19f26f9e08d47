/**
 * The two messages Fieldline sends: the invitation to join a team and the short test message. Text and HTML parts,
 * English and French. Every value that comes from an operator or a setting goes through escapeHtml in the HTML part;
 * the text part is plain text and needs no escaping. Subjects are checked for line breaks where they are used.
 */
import { escapeHtml } from '../../../src-shared/models/mail-addresses'
import type { InvitationRole, MailLanguage, MailMode } from '../../../src-shared/models/mail'
import { formatBytes } from '../../../src-shared/models/byte-format'
import type { SimStatus } from '../../../src-shared/models/sim'
import type { AlertKind } from '../../../src-shared/models/sim-inventory'
import { localWeatherValue } from '../../../src-shared/models/weather-units'

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
  /**
   * The code that joins the team server (it holds a one-time password: it goes into this message and nowhere else),
   * with the server and database it names; null when the invitation carries none.
   */
  join: { code: string; server: string; database: string } | null
}

export interface AlertContent {
  language: MailLanguage
  rule: string
  /** How many fired; `lines` may hold fewer (the first ones). */
  count: number
  /** One per alert: what it is about (a SIM, a device, an account) and what was found, written in words per language. */
  lines: { about: string; finding: Finding }[]
}

/** What an alert found, as the inbox keeps it: bytes, a count, "from→to" statuses, days, failures, an SMS id, "63.2 km/h". */
export interface Finding {
  kind: AlertKind
  value: number | string
  account: string | null
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
  /** The steps with a code: the window's dialog, or the command line. */
  joinSteps: (v: { server: string; database: string }) => { intro: string; install: string; window: string; cli: string; once: string }
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
  /** The words for what an alert found, as the inbox says them (inbox.ui.found in the renderer's catalogues). */
  found: {
    data: (amount: string) => string
    sms: (count: number, shown: string) => string
    status: (from: string, to: string) => string
    noSession: (days: number) => string
    neverSession: string
    syncFailing: (count: number, account: string) => string
    smsFailed: (id: string) => string
  }
  statuses: Record<SimStatus, string>
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
    joinSteps: ({ server, database }) => ({
      intro: `To join the team workspace (${database} on ${server}):`,
      install: '1. Install Fieldline.',
      window: '2. Open Settings → Team sync → “Join with an invitation code” and paste this code:',
      cli: 'Or, on the command line: fieldline sync join CODE',
      once: 'The code works once and only for you: do not forward this email.',
    }),
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
    found: {
      data: (amount) => `${amount} of data this cycle`,
      sms: (_count, shown) => `${shown} SMS this cycle`,
      status: (from, to) => `Status changed from ${from} to ${to}`,
      noSession: (days) => (days === 1 ? 'No data session for 1 day' : `No data session for ${days} days`),
      neverSession: 'No data session ever seen',
      syncFailing: (count, account) => `${count === 1 ? '1 failed sync' : `${count} failed syncs`} in a row for ${account}`,
      smsFailed: (id) => `SMS ${id} was not delivered (Control Center: Failed)`,
    },
    statuses: {
      inventory: 'Inventory',
      testReady: 'Test Ready',
      activationReady: 'Activation Ready',
      activated: 'Activated',
      deactivated: 'Deactivated',
      suspended: 'Suspended',
      retired: 'Retired',
      purged: 'Purged',
      replaced: 'Replaced',
      trial: 'Trial',
      unknown: 'Unknown',
      preActivated: 'Pre-activated',
      activatedForTest: 'Activated for test',
      sleeping: 'Sleeping',
      cancelled: 'Cancelled',
    },
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
    joinSteps: ({ server, database }) => ({
      intro: `Pour rejoindre l’espace de travail de l’équipe (${database} sur ${server})${NBSP}:`,
      install: '1. Installez Fieldline.',
      window: `2. Ouvrez Paramètres → Synchronisation d’équipe → «${NBSP}Rejoindre avec un code d’invitation${NBSP}» et collez ce code${NBSP}:`,
      cli: `Ou, en ligne de commande${NBSP}: fieldline sync join CODE`,
      once: `Ce code ne sert qu’une fois et n’est valable que pour vous${NBSP}: ne transférez pas cet e-mail.`,
    }),
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
    found: {
      data: (amount) => `${amount} de données ce cycle`,
      sms: (_count, shown) => `${shown}${NBSP}SMS ce cycle`,
      status: (from, to) => `Statut passé${NBSP}: ${from} → ${to}`,
      noSession: (days) => (days <= 1 ? `Aucune session de données depuis ${days}${NBSP}jour` : `Aucune session de données depuis ${days}${NBSP}jours`),
      neverSession: 'Aucune session de données jamais vue',
      syncFailing: (count, account) => `${count <= 1 ? `${count}${NBSP}synchronisation échouée` : `${count}${NBSP}synchronisations échouées`} d’affilée pour ${account}`,
      smsFailed: (id) => `Le SMS ${id} n’a pas été remis (Control Center${NBSP}: Failed)`,
    },
    statuses: {
      inventory: 'En stock',
      testReady: 'Prête pour test',
      activationReady: 'Prête à activer',
      activated: 'Activée',
      deactivated: 'Désactivée',
      suspended: 'Suspendue',
      retired: 'Retirée',
      purged: 'Purgée',
      replaced: 'Remplacée',
      trial: 'Essai',
      unknown: 'Inconnu',
      preActivated: 'Pré-activée',
      activatedForTest: 'Activée pour test',
      sleeping: 'En sommeil',
      cancelled: 'Résiliée',
    },
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

  const steps = content.join ? s.joinSteps({ server: content.join.server, database: content.join.database }) : null
  // The code on a line of its own, so that a double click or a triple click selects it whole.
  const howToJoin = steps && content.join ? [steps.intro, steps.install, steps.window, '', content.join.code, '', steps.cli, steps.once] : [s.howToJoin(content.invitedBy)]
  const text = [
    s.greeting(content.name),
    '',
    s.invited({ invitedBy: content.invitedBy, organisation: content.organisation, role }),
    s.roleDescription[content.role],
    '',
    ...howToJoin,
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
    ...(steps && content.join
      ? [
          `${escapeHtml(steps.intro)}<br>${escapeHtml(steps.install)}<br>${escapeHtml(steps.window)}`,
          `<code style="font-size:13px;word-break:break-all;user-select:all">${escapeHtml(content.join.code)}</code>`,
          `${escapeHtml(steps.cli)}<br>${escapeHtml(steps.once)}`,
        ]
      : [s.howToJoin(e.invitedBy)]),
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

const LOCALES: Record<MailLanguage, string> = { en: 'en-GB', fr: 'fr-FR' }

function statusWord(s: Strings, status: string): string {
  return (s.statuses as Record<string, string>)[status] ?? status
}

/** What an alert found, in the recipient's words and number format ("612 MB of data this cycle", "612 Mo de données ce cycle"). */
function findingText(language: MailLanguage, f: Finding): string {
  const s = STRINGS[language]
  const locale = LOCALES[language]
  const v = f.value
  switch (f.kind) {
    case 'dataAbove':
    case 'dataShare':
      return typeof v === 'number' ? s.found.data(formatBytes(v, locale)) : String(v)
    case 'smsAbove':
      return typeof v === 'number' ? s.found.sms(v, new Intl.NumberFormat(locale).format(v)) : String(v)
    case 'statusChanged': {
      // The core writes the change as "from→to" with the statuses' codes.
      const [from, to] = String(v).split('→')
      return from && to ? s.found.status(statusWord(s, from), statusWord(s, to)) : String(v)
    }
    case 'noSession':
      return typeof v === 'number' ? s.found.noSession(v) : s.found.neverSession
    case 'syncFailing':
      return s.found.syncFailing(typeof v === 'number' ? v : 0, f.account ?? '')
    case 'smsFailed':
      return s.found.smsFailed(String(v))
    case 'weather':
      return localWeatherValue(String(v), locale)
  }
}

/** What an alert rule found, to the addresses the rule names, in each recipient's language. */
export function renderAlertEmail(content: AlertContent): RenderedMail {
  const s = STRINGS[content.language]
  const subject = s.alertSubject(content.rule)
  const intro = s.alertIntro({ rule: content.rule, count: content.count })
  const more = content.count > content.lines.length ? [s.alertMore(content.count - content.lines.length)] : []
  const colon = content.language === 'fr' ? `${NBSP}:` : ':'
  const lines = content.lines.map((l) => ({ about: l.about, found: findingText(content.language, l.finding) }))
  const text = [intro, '', ...lines.map((l) => `- ${l.about}${colon} ${l.found}`), ...more, '', `— ${s.signature}`, ''].join('\n')
  const list = `<ul style="margin:0;padding-left:20px">${lines.map((l) => `<li>${escapeHtml(l.about)}${colon} <strong>${escapeHtml(l.found)}</strong></li>`).join('')}</ul>`
  const html = page(content.language, subject, [escapeHtml(intro), list, ...more.map(escapeHtml), `— ${escapeHtml(s.signature)}`])
  return { subject, text, html, language: content.language }
}
