import { readFileSync } from 'node:fs'
import { platformPackageStateSchema, uploadResultSchema } from '../../src-shared/models/packages'
import { get } from 'svelte/store'
import { format, getMessageFormatter, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import { events, OUTBOX_ACTIONS, outboxItemSchema } from '../../src-shared/contract'
import { INVITATION_ROLES, INVITATION_STATES, MAIL_LANGUAGES, MAIL_MODES, SMTP_SECURITY } from '../../src-shared/models/mail'
import { mbedBridgeStateSchema, mbedChannelStateSchema, mbedCommandStateSchema, mbedCountersSchema, mbedSubscriptionSchema, mbedSubscriptionStateSchema } from '../../src-shared/models/mbed'
import { ORANGE_TASK_STATES, ORANGE_TEST_MODES, ORANGE_TICKET_OPERATIONS, ORANGE_TICKET_STATES } from '../../src-shared/models/orange'
import { mbedSettingsSchema } from '../../src-shared/models/profiles'
import { LOCATION_SOURCES } from '../../src-shared/models/location'
import { SYNCED_KINDS } from '../../src-shared/models/sync'
import { FORWARD_STATES, ledgerTargetSettingsSchema, routeRowSchema, routeSourceSchema } from '../../src-shared/models/ledger'
import { JOB_OPERATIONS, JOB_ROW_STATES, JOB_STATES, PREFLIGHT_CODES } from '../../src-shared/models/sim-jobs'
import { WEATHER_DEFAULT_URLS, WEATHER_PROVIDERS, WEATHER_SECRETS, WEATHER_UNITS, weatherLanguageSchema } from '../../src-shared/models/weather'
import { formatDate, formatDateTime, formatDuration } from '../../src-renderer/src/lib/format'
import { argumentNames, flatten, translateRef, type Catalogue, type Translate } from '../../src-renderer/src/i18n'

const load = (language: string) => flatten(JSON.parse(readFileSync(new URL(`../../src-renderer/src/i18n/${language}.json`, import.meta.url), 'utf8')) as Catalogue)
const en = load('en')
const fr = load('fr')
const t: Translate = (key, options) => get(format)(key, options)

describe('messages as the ICU parser reads them', () => {
  it('finds the arguments of plurals and selects, not the words in their branches', () => {
    expect([...argumentNames('Enter the {mode, select, smtp {SMTP password} other {SendGrid password}}.')]).toEqual(['mode'])
    expect([...argumentNames('{count, plural, one {# problem at {line}} other {# problems}} in {file}')].sort()).toEqual(['count', 'file', 'line'])
    expect([...argumentNames('From {min, number} to {max, number}.')].sort()).toEqual(['max', 'min'])
    expect([...argumentNames('a:<org>:<appId> is not {value}')]).toEqual(['value'])
  })

  it('parses every message of both catalogues, with the same arguments in English and French', () => {
    const differing: string[] = []
    // svelte-i18n memoises a formatter by its message alone and builds it in the current locale (the locale argument
    // is dropped), so each is built with its own language current, as the app does.
    for (const [key, message] of en) {
      const french = fr.get(key) ?? ''
      locale.set('en')
      getMessageFormatter(message)
      locale.set('fr')
      getMessageFormatter(french)
      if ([...argumentNames(message)].sort().join() !== [...argumentNames(french)].sort().join()) differing.push(key)
    }
    locale.set('en')
    expect(differing).toEqual([])
  })

  it('keeps every plural and select whole in both languages: each has its "other" branch', () => {
    const missingOther = [...en, ...fr].filter(([, message]) => /\{\s*\w+\s*,\s*(plural|select)\s*,/.test(message) && !/\bother\s*\{/.test(message)).map(([key]) => key)
    expect(missingOther).toEqual([])
  })

  it('never lets French punctuation wrap away from its word: a no-break space before : ; ! ? » and after «', () => {
    // French sets these marks off with a space; a plain one lets a narrow column put the mark alone at the start of a line.
    const breakable = [...fr].filter(([, message]) => / [:;!?»]|« /.test(message)).map(([key]) => key)
    expect(breakable).toEqual([])
  })

  it('sets ; ! ? off with the narrow no-break space (U+202F) and : » « with the wide one (U+00A0), as French typography does', () => {
    // A « ? » quoted as a character keeps its wide spaces inside the guillemets; only a space that ends a word before the
    // mark is the narrow one.
    const wrongWidth = [...fr].filter(([, message]) => /(?<!«)\u00a0[;!?]|\u202f[:»]|«\u202f/.test(message)).map(([key]) => key)
    expect(wrongWidth).toEqual([])
  })

  it('names a list’s column in French by what its cells hold, never by a lone preposition (« Au » over « Jamais listée »)', () => {
    // A header is read with each of its cells (a screen reader's table mode, a narrow cut header): « Au » says nothing.
    const lone = [...fr].filter(([key, message]) => /\.columns\./.test(key) && /^(?:à|au|aux|de|des|du|en|le|par|pour|sur|vers|depuis|jusqu’au)$/i.test(message)).map(([key]) => key)
    expect(lone).toEqual([])
  })

  it('never words a bulk job’s undo or cancel in French with “Annuler”, the word of every dialog’s dismiss button', () => {
    // Cold trial: “Annuler la tâche” (undo) opened “Annuler cette tâche ?”, whose buttons were “Annuler” and “Créer la
    // tâche d’annulation”, next to “Abandonner la tâche” (cancel). Undo is “Défaire”, cancel “Abandonner”.
    expect(fr.get('common.cancel')).toBe('Annuler')
    expect([...fr].filter(([key, message]) => /^(jobs\.|activity\.actions\.jobs_)/.test(key) && /annul/i.test(message)).map(([key]) => key)).toEqual([])
  })

  it('never makes a French article or « de » before a name depend on its first letter (« de Oscar » wants « d’Oscar »)', () => {
    // Names, ids and files come from the operator: the words before them are chosen so that none elides. Numbers,
    // dates and paths are not names (« de 40 », « le 3 mars », « de /3/0/1 » never elide).
    const notNames = new Set(['max', 'min', 'limit', 'size', 'count', 'amount', 'percent', 'rate', 'seconds', 'over', 'time', 'date', 'cycleStartDate', 'path', 'field'])
    const eliding = [...fr].filter(([, message]) => [...message.matchAll(/(?<!\p{L})(de|que|le|la|ce|ne|se)\s+\{\s*(\w+)/giu)].some((m) => !notNames.has(m[2]!))).map(([key]) => key)
    expect(eliding).toEqual([])
  })

  it('names the mbed bridge « la passerelle » everywhere in French, never « le pont »', () => {
    expect([...fr].filter(([, message]) => /\bponts?\b/i.test(message)).map(([key]) => key)).toEqual([])
  })

  it('writes the French apostrophe as ’, as the rest of the catalogue does', () => {
    expect([...fr].filter(([, message]) => /\p{L}'\p{L}/u.test(message)).map(([key]) => key)).toEqual([])
  })

  it('formats plurals in each language', () => {
    locale.set('fr')
    expect(t('devices.count', { values: { count: 1 } })).toBe('1 appareil')
    expect(t('devices.count', { values: { count: 2 } })).toBe('2 appareils')
    locale.set('en')
    expect(t('devices.count', { values: { count: 2 } })).toBe('2 devices')
  })

  it("agrees the words of the list's selection bar and export progress with their count, one and zero included", () => {
    locale.set('fr')
    expect(t('devices.selection.selectAll', { values: { count: 1 } })).toBe('Sélectionner l’appareil correspondant')
    expect(t('devices.selection.selectAll', { values: { count: 1_000_000 } })).toBe('Sélectionner les 1\u202f000\u202f000 appareils correspondants')
    expect(t('sims.selection.selectAll', { values: { count: 1 } })).toBe('Sélectionner la SIM correspondante')
    expect(t('sims.selection.selectAll', { values: { count: 2 } })).toBe('Sélectionner les 2 SIM correspondantes')
    // French counts zero in the singular.
    expect(t('devices.export.running', { values: { rows: 0, total: 1_000_000 } })).toBe('0 ligne écrite sur 1\u202f000\u202f000')
    expect(t('devices.export.running', { values: { rows: 2, total: 3 } })).toBe('2 lignes écrites sur 3')
    locale.set('en')
    expect(t('devices.selection.selectAll', { values: { count: 1 } })).toBe('Select the 1 matching device')
    expect(t('devices.selection.selectAll', { values: { count: 1_000_000 } })).toBe('Select all 1,000,000 matching')
    expect(t('sims.selection.selectAll', { values: { count: 1 } })).toBe('Select the 1 matching SIM')
    expect(t('devices.export.running', { values: { rows: 0, total: 1 } })).toBe('0 of 1 row written')
    expect(t('devices.export.running', { values: { rows: 10, total: 1_000_000 } })).toBe('10 of 1,000,000 rows written')
  })

  it('counts the calls of a SIM sync in the singular for one (a first sync is estimated at one call)', () => {
    const one = { values: { sims: '0', calls: 1, rate: '20', duration: '1 s' } }
    locale.set('en')
    expect(t('sims.sync.estimateAtLeast', one)).toContain('in 1 call or more at 20 calls per second')
    expect(t('sims.sync.phase.listing', { values: { sims: '500', calls: 1 } })).toBe('Listing SIMs: 500 so far, 1 call')
    expect(t('sims.sync.estimate', { values: { sims: '3,000', calls: 60, rate: '20', duration: '3 s' } })).toContain('in 60 calls at')
    locale.set('fr')
    expect(t('sims.sync.estimateAtLeast', one)).toContain('en 1 appel ou plus à 20 appels par seconde')
    expect(t('sims.sync.estimate', { values: { sims: '3\u202f000', calls: 1500, rate: '20', duration: '3 s' } })).toContain('en 1\u202f500 appels à')
    locale.set('en')
  })

  it("counts a pre-flight's reads with the language's plural (French: 0 and 1 are singular)", () => {
    locale.set('fr')
    expect(t('jobs.ui.preflight.checkingCount', { values: { read: 0, total: 1693 } })).toBe('Vérification… 0 SIM lue sur 1\u202f693')
    expect(t('jobs.ui.preflight.checkingCount', { values: { read: 1500, total: 1693 } })).toBe('Vérification… 1\u202f500 SIM lues sur 1\u202f693')
    locale.set('en')
    expect(t('jobs.ui.preflight.checkingCount', { values: { read: 1500, total: 1693 } })).toBe('Checking… 1,500 of 1,693 SIMs read')
  })

  it("counts an mbed endpoint import's report with the French plural, not “ajouté(s)”", () => {
    locale.set('fr')
    expect(t('mbed.endpoints.reportSummary', { values: { added: 4, existing: 0, refused: 1200 } })).toBe('4 ajoutés, 0 déjà présent, 1\u202f200 refusés.')
    expect(t('mbed.endpoints.reportSummary', { values: { added: 1, existing: 2, refused: 0 } })).toBe('1 ajouté, 2 déjà présents, 0 refusé.')
    locale.set('en')
  })

  it('says a cancelled job’s rows left are not sent, not “to send”', () => {
    const counts = { total: 1520, done: 240, failed: 0, unknown: 0, skipped: 0, pending: 1280, sending: 0 }
    locale.set('fr')
    expect(t('jobs.ui.countsLine', { values: { ...counts, state: 'cancelled' } })).toMatch(/, 1\u202f280 non envoyées$/)
    expect(t('jobs.ui.countsLine', { values: { ...counts, state: 'paused' } })).toMatch(/, 1\u202f280 à envoyer$/)
    locale.set('en')
    expect(t('jobs.ui.countsLine', { values: { ...counts, state: 'cancelled' } })).toMatch(/, 1,280 not sent$/)
    expect(t('jobs.ui.countsLine', { values: { ...counts, state: 'running' } })).toMatch(/, 1,280 to send$/)
  })

  it("writes every count of an import's progress with the language's digit grouping", () => {
    const counts = { values: { rows: 5500, added: 2000, existing: 2000, refused: 1500 } }
    locale.set('en')
    // The devices already there are not refusals: counted apart (an import run again to finish an interrupted one).
    expect(t('import.counts', counts)).toBe('5,500 rows, 2,000 added, 2,000 already there, 1,500 refused')
    expect(t('mbed.endpoints.reportSummary', { values: { added: 1200, existing: 3000, refused: 0 } })).toBe('1,200 added, 3,000 already existed, 0 refused.')
    locale.set('fr')
    // French groups with a narrow no-break space.
    expect(t('import.counts', counts)).toBe('5\u202f500 lignes, 2\u202f000 ajoutées, 2\u202f000 appareils déjà présents, 1\u202f500 refusées')
    locale.set('en')
  })
})

describe('team words (cold trial of team sync and invitations)', () => {
  it("names an existing invitation's state in the language of the message, not as the core's word", () => {
    const exists = (state: string) => t('mail.invitation.exists', { values: { email: 'bob@example.com', id: '9c31a141aa4a5816', state } })
    locale.set('fr')
    expect(exists('sent')).toBe('bob@example.com a déjà une invitation (envoyée). Renvoyez-la ou révoquez-la.')
    expect(exists('failed')).toBe('bob@example.com a déjà une invitation (en échec). Renvoyez-la ou révoquez-la.')
    expect(exists('pending')).toBe('bob@example.com a déjà une invitation (en attente). Renvoyez-la ou révoquez-la.')
    locale.set('en')
    expect(exists('sent')).toBe('bob@example.com already has an invitation (sent). Resend it or revoke it.')
    expect(exists('failed')).toBe('bob@example.com already has an invitation (failed). Resend it or revoke it.')
  })

  it("agrees the team sync's documents this session with their count, grouped as the language groups digits", () => {
    locale.set('fr')
    expect(t('sync.card.movedValue', { values: { push: 1, pull: 4000 } })).toBe('1 envoyé, 4\u202f000 reçus')
    expect(t('sync.card.movedValue', { values: { push: 0, pull: 1 } })).toBe('0 envoyé, 1 reçu')
    locale.set('en')
    expect(t('sync.card.movedValue', { values: { push: 1, pull: 13001 } })).toBe('1 sent, 13,001 received')
  })
})

describe('dates', () => {
  it('names the first of the month by its ordinal in French, and only then', () => {
    expect(formatDate('2026-12-01', 'fr')).toBe('1er déc. 2026')
    expect(formatDate('2026-12-02', 'fr')).toBe('2 déc. 2026')
    expect(formatDate('2026-12-11', 'fr')).toBe('11 déc. 2026')
    expect(formatDate('2026-12-01', 'en-GB')).toBe('1 Dec 2026')
    expect(formatDateTime(Date.UTC(2026, 11, 1, 12), 'fr-FR')).toMatch(/^1er déc\. 2026/)
  })
})

describe('durations', () => {
  it('rounds an estimate up, to the second under an hour and to the minute above, in each language’s units', () => {
    expect(formatDuration(0, 'en')).toBe('0 sec')
    expect(formatDuration(9.2, 'en')).toBe('10 sec')
    expect(formatDuration(125, 'en')).toBe('2 min 5 sec')
    expect(formatDuration(120, 'en')).toBe('2 min')
    expect(formatDuration(3599.5, 'en')).toBe('1 hr')
    // 1 h 59 min 1 s is not "1 h 60 min".
    expect(formatDuration(7141, 'en')).toBe('2 hr')
    expect(formatDuration(4830, 'en')).toBe('1 hr 21 min')
    // French keeps number and unit together with a no-break space (narrow before a one-letter symbol, as CLDR writes it).
    expect(formatDuration(125, 'fr')).toBe('2\u00a0min 5\u202fs')
    expect(formatDuration(4830, 'fr')).toBe('1\u202fh 21\u00a0min')
  })
})

describe('translateRef', () => {
  it('translates a reference the core sent, select branches included', () => {
    locale.set('en')
    expect(translateRef(t, { key: 'mail.secretRequired', params: { mode: 'smtp' } }, 'fallback')).toBe('Enter the SMTP password.')
  })

  it('falls back to the core’s English for an unknown key or a missing argument', () => {
    expect(translateRef(t, { key: 'no.such.key' }, 'The core said so.')).toBe('The core said so.')
    expect(translateRef(t, { key: 'mail.secretRequired' }, 'The SMTP password is required')).toBe('The SMTP password is required')
  })
})

describe('words for the contract’s closed sets', () => {
  const sets: [group: string, values: readonly string[]][] = [
    ['team.roles', INVITATION_ROLES],
    ['team.states', INVITATION_STATES],
    ['team.languages', MAIL_LANGUAGES],
    ['mail.modes', MAIL_MODES],
    ['mail.security', SMTP_SECURITY],
    ['mbed.flavours', mbedSettingsSchema.shape.flavour.unwrap().options],
    ['mbed.channels', mbedSettingsSchema.shape.channel.unwrap().options],
    ['mbed.view.state', mbedBridgeStateSchema.options],
    ['mbed.view.channelState', mbedChannelStateSchema.options],
    ['mbed.commands.state', mbedCommandStateSchema.options],
    // Not counters the view lists: pending commands have their own list, kept messages their own line.
    ['mbed.counters', Object.keys(mbedCountersSchema.shape).filter((k) => k !== 'pendingCommands' && k !== 'keptQueued')],
    ['platform.state', events['platform:state'].shape.state.options],
    ['outbox.states', outboxItemSchema.shape.state.options],
    ['outbox.actions', OUTBOX_ACTIONS.map((a) => a.replace(/^sim\./, ''))],
    ['mbed.subscriptions.state', mbedSubscriptionStateSchema.options],
    ['mbed.subscriptions.counts', mbedSubscriptionStateSchema.options],
    ['mbed.subscriptions.via', mbedSubscriptionSchema.shape.via.options],
    ['orange.ticketStates', ORANGE_TICKET_STATES],
    ['orange.lineStates', ORANGE_TASK_STATES],
    ['orange.testModes', ORANGE_TEST_MODES],
    ['orange.operations', ORANGE_TICKET_OPERATIONS],
    ['weather.providers', WEATHER_PROVIDERS],
    ['weather.attribution', WEATHER_PROVIDERS],
    ['weather.form.providerOptions', WEATHER_PROVIDERS],
    ['weather.form.providerHints', WEATHER_PROVIDERS],
    ['weather.units', WEATHER_UNITS],
    ['weather.languages', weatherLanguageSchema.options],
    ['weather.form.keyLabels', WEATHER_SECRETS],
    ['weather.form.removeKey', WEATHER_SECRETS],
    ['weather.form.urlLabels', Object.keys(WEATHER_DEFAULT_URLS)],
    ['location.sources', LOCATION_SOURCES],
    ['ledger.ui.states', FORWARD_STATES],
    ['ledger.ui.kinds', ledgerTargetSettingsSchema.options.map((o) => o.shape.kind.value)],
    ['ledger.ui.route.sources', routeSourceSchema.options.map((o) => o.shape.kind.value)],
    ['ledger.ui.route.types', routeRowSchema.shape.type.unwrap().options],
    ['jobs.ui.states', JOB_STATES],
    ['jobs.ui.rowStates', JOB_ROW_STATES],
    ['jobs.ui.operations', JOB_OPERATIONS],
    ['jobs.ui.summary', JOB_OPERATIONS],
    ['jobs.ui.issues', PREFLIGHT_CODES],
    ['jobs.ui.findings', PREFLIGHT_CODES],
    ['sync.conflicts.kinds', SYNCED_KINDS],
    ['packages.platform.state', platformPackageStateSchema.options],
    ['packages.platform.outcome', uploadResultSchema.shape.outcome.options],
  ]

  it.each(sets)('has words for every value of %s in both languages', (group, values) => {
    const missing = values.flatMap((v) => [`${group}.${v}`].filter((key) => !en.has(key) || !fr.has(key)))
    expect(missing).toEqual([])
  })
})
