import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { IntlMessageFormat } from 'intl-messageformat'
import { describe, expect, it } from 'vitest'
import { formatBytes } from '../../src-shared/models/byte-format'
import { SIM_STATUSES } from '../../src-shared/models/sim'
import { renderAlertEmail, renderInvitation, renderTestEmail, type AlertContent, type InvitationContent } from '../../src-main/core/mail/templates'

const base: InvitationContent = {
  language: 'en',
  name: 'Olga Operator',
  email: 'olga@example.org',
  role: 'operator',
  organisation: 'Acme Field Ops',
  invitedBy: 'Ada Admin',
  reference: '0123456789abcdef',
  join: null,
}

describe('invitation email', () => {
  it('with a code: the steps in both languages, the code on a line of its own in the text and whole in the HTML', () => {
    const join = { code: 'FLJ1.eyJ1IjoiaHR0cHM6Ly9jb3VjaC5leGFtcGxlLmNvbSJ9', server: 'https://couch.example.com', database: 'team' }
    const en = renderInvitation({ ...base, join })
    expect(en.text).toContain(`Open Settings → Team sync → “Join with an invitation code” and paste this code:\n\n${join.code}\n\nOr, on the command line: fieldline sync join CODE`)
    expect(en.text).not.toContain('ask Ada Admin for the address')
    expect(en.html).toContain(`>${join.code}</code>`)
    const fr = renderInvitation({ ...base, language: 'fr', join })
    expect(fr.text).toContain('Paramètres → Synchronisation d’équipe → «\u00a0Rejoindre avec un code d’invitation\u00a0» et collez ce code\u00a0:')
    expect(fr.text).toContain(`\n${join.code}\n`)
    expect(fr.text).toContain('Ce code ne sert qu’une fois')
    expect(fr.html).toContain(join.code)
  })

  it('in English: subject, greeting, inviter, organisation, role and reference in both parts', () => {
    const m = renderInvitation(base)
    expect(m.language).toBe('en')
    expect(m.subject).toBe('Ada Admin invited you to join Acme Field Ops on Fieldline')
    expect(m.text).toContain('Hello Olga Operator,')
    expect(m.text).toContain('Ada Admin invited you to join Acme Field Ops on Fieldline as an operator.')
    expect(m.text).toContain('Operators work with devices, SIM cards and device-management packages.')
    expect(m.text).toContain('This invitation was sent to olga@example.org.')
    expect(m.text).toContain('Invitation reference: 0123456789abcdef')
    expect(m.html).toContain('<html lang="en">')
    expect(m.html).toContain('<title>Ada Admin invited you to join Acme Field Ops on Fieldline</title>')
    expect(m.html).toContain('as <strong>an operator</strong>.')
    expect(m.html).toContain('<code>0123456789abcdef</code>')
  })

  it.each([
    ['administrator', 'as an administrator.', 'Administrators manage the extensions, the email settings and the team.'],
    ['viewer', 'as a viewer.', 'Viewers see devices and their data but change nothing.'],
  ] as const)('names the %s role in English', (role, phrase, description) => {
    const m = renderInvitation({ ...base, role })
    expect(m.text).toContain(phrase)
    expect(m.text).toContain(description)
  })

  it('in French, with French typography', () => {
    const m = renderInvitation({ ...base, language: 'fr', role: 'viewer' })
    expect(m.language).toBe('fr')
    expect(m.subject).toBe('Ada Admin vous invite à rejoindre Acme Field Ops sur Fieldline')
    expect(m.text).toContain('Bonjour Olga Operator,')
    expect(m.text).toContain('Ada Admin vous invite à rejoindre Acme Field Ops sur Fieldline avec le rôle «\u00a0observateur\u00a0».')
    expect(m.text).toContain('Les observateurs consultent les appareils et leurs données sans rien modifier.')
    expect(m.text).toContain('Référence de l’invitation\u00a0: 0123456789abcdef')
    expect(m.text).toContain('Si vous n’attendiez pas cette invitation, vous pouvez ignorer cet e-mail.')
    expect(m.html).toContain('<html lang="fr">')
    expect(m.html).toContain('<strong>«\u00a0observateur\u00a0»</strong>')
  })

  it.each([
    ['administrator', '«\u00a0administrateur\u00a0»'],
    ['operator', '«\u00a0opérateur\u00a0»'],
  ] as const)('names the %s role in French', (role, phrase) => {
    expect(renderInvitation({ ...base, language: 'fr', role }).text).toContain(`avec le rôle ${phrase}.`)
  })

  it('escapes every value in the HTML part and leaves the text part as typed', () => {
    const m = renderInvitation({
      ...base,
      name: `Zoë O'Brien & Co`,
      organisation: '<img src=x onerror=alert(1)> & "R&D"',
      invitedBy: "Ada 'Boss' & <Ops>",
      email: 'zoe@example.org',
      reference: '<ref>',
    })
    expect(m.html).not.toMatch(/<img|<Ops>|<ref>|onerror=alert\(1\)>/)
    expect(m.html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;R&amp;D&quot;')
    expect(m.html).toContain('Zoë O&#39;Brien &amp; Co')
    expect(m.html).toContain('Ada &#39;Boss&#39; &amp; &lt;Ops&gt;')
    expect(m.html).toContain('<code>&lt;ref&gt;</code>')
    expect(m.html).toContain('<title>Ada &#39;Boss&#39; &amp; &lt;Ops&gt; invited you to join &lt;img')
    expect(m.text).toContain(`Hello Zoë O'Brien & Co,`)
    expect(m.subject).toBe(`Ada 'Boss' & <Ops> invited you to join <img src=x onerror=alert(1)> & "R&D" on Fieldline`)
  })
})

describe('test email', () => {
  const sentAt = new Date(Date.UTC(2026, 2, 14, 9, 5))

  it('in English, naming the mode and the time in UTC', () => {
    const m = renderTestEmail({ language: 'en', mode: 'smtp', server: 'smtp.example.com:587', sentAt })
    expect(m.subject).toBe('Fieldline test email')
    expect(m.text).toContain('This is a test message from Fieldline, sent through SMTP (smtp.example.com:587) on 14 March 2026 at 09:05 UTC.')
    expect(m.text).toContain('If you can read it, email is set up correctly')
    expect(m.html).toContain('<html lang="en">')
  })

  it('in French', () => {
    const m = renderTestEmail({ language: 'fr', mode: 'sendgridApiKey', server: 'api.sendgrid.com', sentAt })
    expect(m.subject).toBe('E-mail de test Fieldline')
    expect(m.text).toContain('Ceci est un message de test de Fieldline, envoyé par SendGrid (clé d’API) le 14 mars 2026 à 09:05 UTC.')
    expect(m.text).toContain('Si vous le lisez, l’e-mail est bien configuré\u00a0:')
  })

  it('names SendGrid over SMTP with its host', () => {
    const m = renderTestEmail({ language: 'en', mode: 'sendgridUsername', server: 'smtp.sendgrid.net:587', sentAt })
    expect(m.text).toContain('sent through SendGrid (SMTP, smtp.sendgrid.net:587)')
  })
})

describe('alert email', () => {
  const lines: AlertContent['lines'] = [
    { about: 'jasper 8901000000000000001', finding: { kind: 'dataAbove', value: 612_345_678, account: 'jasper:p1' } },
    { about: 'jasper 8901000000000000002', finding: { kind: 'statusChanged', value: 'activated→retired', account: 'jasper:p1' } },
    { about: 'jasper 8901000000000000003', finding: { kind: 'smsAbove', value: 12_345, account: 'jasper:p1' } },
    { about: 'jasper 8901000000000000004', finding: { kind: 'noSession', value: 'never', account: 'jasper:p1' } },
    { about: 'jasper:p1', finding: { kind: 'syncFailing', value: 3, account: 'jasper:p1' } },
    { about: 'site/gw-1', finding: { kind: 'weather', value: '63.2 km/h', account: null } },
  ]

  it('says what was found in words and units, not raw values: bytes, statuses, counts', () => {
    const m = renderAlertEmail({ language: 'en', rule: 'Watch', count: lines.length, lines })
    expect(m.text).toContain('- jasper 8901000000000000001: 612.3 MB of data this cycle')
    expect(m.text).toContain('Status changed from Activated to Retired')
    expect(m.text).toContain('12,345 SMS this cycle')
    expect(m.text).toContain('No data session ever seen')
    expect(m.text).toContain('3 failed syncs in a row for jasper:p1')
    expect(m.text).toContain('63.2\u00a0km/h')
    expect(m.text).not.toContain('612345678')
    expect(m.html).toContain('<strong>612.3 MB of data this cycle</strong>')
  })

  it('in French: French words, decimal comma, unit names and the space before the colon', () => {
    const m = renderAlertEmail({ language: 'fr', rule: 'Veille', count: lines.length, lines })
    expect(m.text).toContain('- jasper 8901000000000000001\u00a0: 612,3\u202fMo de données ce cycle')
    expect(m.text).toContain('Statut passé\u00a0: Activée → Retirée')
    expect(m.text).toContain('12\u202f345\u00a0SMS ce cycle')
    expect(m.text).toContain('Aucune session de données jamais vue')
    expect(m.text).toContain('3\u00a0synchronisations échouées d’affilée pour jasper:p1')
    expect(m.text).toContain('63,2\u00a0km/h')
  })

  // The core cannot import the renderer's catalogues (dependency rules), so the email keeps its own copy of the inbox's
  // words; this holds the copy to them. The email may put no-break spaces where the catalogue has plain ones.
  it.each([
    ['en', 'en-GB'],
    ['fr', 'fr-FR'],
  ] as const)('in %s, says each finding and SIM status with the words of the inbox and the SIM pages', (language, locale) => {
    const catalogue = JSON.parse(readFileSync(join(import.meta.dirname, '../../src-renderer/src/i18n', `${language}.json`), 'utf8')) as {
      sim: { statuses: Record<string, string> }
      inbox: { ui: { found: Record<string, string> } }
    }
    const inbox = (key: string, params: Record<string, string | number>): string => String(new IntlMessageFormat(catalogue.inbox.ui.found[key]!, locale).format(params))
    const spaces = (text: string): string => text.replace(/[\u00a0\u202f]/g, ' ')
    const mailed = (finding: AlertContent['lines'][number]['finding']): string => {
      const m = renderAlertEmail({ language, rule: 'r', count: 1, lines: [{ about: 'x', finding }] })
      return spaces(
        m.text
          .split('\n')
          .find((l) => l.startsWith('- x'))!
          .replace(/^- x\s*: /, ''),
      )
    }
    const shown = new Intl.NumberFormat(locale).format(12_345)
    const expected: [AlertContent['lines'][number]['finding'], string][] = [
      [{ kind: 'dataAbove', value: 612_345_678, account: null }, inbox('data', { amount: formatBytes(612_345_678, locale) })],
      [{ kind: 'smsAbove', value: 12_345, account: null }, inbox('sms', { count: 12_345, shown })],
      [{ kind: 'noSession', value: 1, account: null }, inbox('noSession', { days: 1 })],
      [{ kind: 'noSession', value: 9, account: null }, inbox('noSession', { days: 9 })],
      [{ kind: 'noSession', value: 'never', account: null }, inbox('neverSession', {})],
      [{ kind: 'syncFailing', value: 1, account: 'jasper:p1' }, inbox('syncFailing', { count: 1, account: 'jasper:p1' })],
      [{ kind: 'syncFailing', value: 4, account: 'jasper:p1' }, inbox('syncFailing', { count: 4, account: 'jasper:p1' })],
      [{ kind: 'smsFailed', value: 'm-42', account: null }, inbox('smsFailed', { smsMsgId: 'm-42' })],
      ...SIM_STATUSES.map((code): [AlertContent['lines'][number]['finding'], string] => [
        { kind: 'statusChanged', value: `activated→${code}`, account: null },
        inbox('status', { from: catalogue.sim.statuses.activated!, to: catalogue.sim.statuses[code]! }),
      ]),
    ]
    for (const [finding, words] of expected) expect(mailed(finding)).toBe(spaces(words))
  })
})
