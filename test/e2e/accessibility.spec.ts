/**
 * axe-core over every view, in English and French, light and dark: the top-level views, a device's page, the import
 * report with refused rows, the add-device dialog, the command palette, the shortcut sheet, the SIMs page's save-search dialog, every profile form of the Extensions page and team sync's conflict list and dialog. Any violation of WCAG 2.1 A/AA (or axe's best practices for
 * regions and landmarks) fails the test with the rule, the node and the view it was found in.
 */
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { startControlCenterPeer } from '../peers/control-center/control-center.peer'
import { expect, test } from './fixtures'
import { addDevice, newJasperJob, openDevice, plantDeviceConflict, setEditorText, skipWithoutKeyring } from './steps'
import { words } from './words'

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']

/** The violations on the page as it is now, one line each: view, rule, the first nodes' selectors. */
async function scan(page: Page, view: string): Promise<string[]> {
  // Transitions and fades settle first: axe measures contrast on what is painted. (Runs in the page; the Node
  // typings this file is checked with do not declare the DOM.)
  const running = () =>
    page.evaluate(() => (globalThis as unknown as { document: { getAnimations(): { playState: string }[] } }).document.getAnimations().filter((a) => a.playState === 'running').length)
  await expect.poll(running).toBe(0)
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze()
  return result.violations.map(
    (v) =>
      `${view}: ${v.id} (${v.impact ?? 'n/a'}) ${v.help} — ${v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(' '))
        .join(' | ')}`,
  )
}

/** Chooses the language and the theme on the Settings page, the way an operator does. */
async function choose(page: Page, language: 'en' | 'fr', theme: 'light' | 'dark'): Promise<void> {
  await page.getByRole('navigation').getByRole('link').last().click()
  await page.getByRole('combobox', { name: /^(Language|Langue)$/ }).selectOption(language)
  await page.getByRole('combobox', { name: /^(Theme|Thème)$/ }).selectOption(theme)
  await expect(page.locator('html')).toHaveAttribute('lang', language)
}

for (const language of ['en', 'fr'] as const) {
  for (const theme of ['light', 'dark'] as const) {
    test(`no axe violation in any view (${language}, ${theme})`, async ({ app }) => {
      // About twenty pages and dialogs, each scanned whole: longer than one operator flow.
      test.setTimeout(240_000)
      const { page } = app
      await choose(page, language, theme)
      const found: string[] = []
      const links = page.getByRole('navigation').getByRole('link')
      const count = await links.count()
      for (let i = 0; i < count; i++) {
        await links.nth(i).click()
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
        found.push(...(await scan(page, `view ${i + 1} (${(await page.getByRole('heading', { level: 1 }).textContent())?.trim()})`)))
      }

      // Every profile form of the Extensions page, opened from its card's Add button.
      await links.nth(0).click()
      const adds = page.getByRole('main').getByRole('button', { name: /^(Add|Ajouter)$/ })
      // The cards come with the profiles they list, a moment after the view.
      await expect.poll(() => adds.count()).toBeGreaterThan(3)
      const forms = await adds.count()
      for (let i = 0; i < forms; i++) {
        await adds.nth(i).click()
        const dialog = page.getByRole('dialog')
        await expect(dialog).toBeVisible()
        found.push(...(await scan(page, `profile form ${i + 1} (${(await dialog.getByRole('heading').first().textContent())?.trim()})`)))
        await page.keyboard.press('Escape')
        await expect(dialog).toBeHidden()
      }

      // The device list with devices, an import report with refused rows, a device's page and the add dialog.
      await links.nth(1).click()
      const rows = ['typeId,deviceId,description', 'meter,m-1,North feeder', 'meter,m-2,South feeder', 'meter,bad id,refused', 'meter,m-1,duplicate']
      await page
        .locator('input[type="file"]')
        .first()
        .setInputFiles({ name: 'devices.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) })
      await expect(
        page
          .getByRole('region')
          .filter({ has: page.getByRole('table') })
          .first(),
      ).toBeVisible()
      found.push(...(await scan(page, 'import report')))
      await page.getByTestId('device-row').first().click()
      await expect(page.getByRole('heading', { level: 1 })).toContainText('m-1')
      found.push(...(await scan(page, 'device page')))
      await links.nth(1).click()
      await page.getByRole('button', { name: /^(Add device|Ajouter un appareil)$/ }).click()
      await expect(page.getByRole('dialog')).toBeVisible()
      found.push(...(await scan(page, 'add device dialog')))
      await page.keyboard.press('Escape')
      await expect(page.getByRole('dialog')).toBeHidden()

      // The command palette with devices, views and actions in its list, and the shortcut sheet.
      await page.keyboard.press('ControlOrMeta+k')
      await expect(page.getByRole('dialog')).toBeVisible()
      await page.keyboard.type('m')
      await expect(page.getByRole('dialog').getByRole('option').filter({ hasText: 'meter/m-1' })).toBeVisible()
      found.push(...(await scan(page, 'command palette')))
      await page.keyboard.press('Escape')
      await expect(page.getByRole('dialog')).toBeHidden()
      await page.keyboard.press('?')
      await expect(page.getByRole('dialog')).toBeVisible()
      found.push(...(await scan(page, 'shortcut sheet')))
      await page.keyboard.press('Escape')

      // The SIMs page with a SIM a device's configuration names, and its save-search dialog.
      await page
        .getByRole('navigation')
        .getByRole('link', { name: /^(SIMs|SIM)$/ })
        .click()
      await expect(page.getByRole('region', { name: /^(SIM selection|Sélection de SIM)$/ })).toBeVisible()
      await page.getByRole('button', { name: /^(Save search|Enregistrer la recherche)/ }).click()
      await expect(page.getByRole('dialog')).toBeVisible()
      found.push(...(await scan(page, 'save SIM search dialog')))
      await page.keyboard.press('Escape')
      await links.nth(1).click()

      // The notice that confirms a deletion with its Undo button, the Trash view with an entry, and its one question.
      await page.getByTestId('device-row').filter({ hasText: 'm-2' }).click()
      await page.getByRole('button', { name: /^(Delete|Supprimer)$/ }).click()
      await page
        .getByRole('dialog')
        .getByRole('button', { name: /^(Delete|Supprimer)$/ })
        .click()
      await expect(page.getByRole('button', { name: /^(Undo: restore|Annuler : restaurer) meter\/m-2$/ })).toBeVisible()
      found.push(...(await scan(page, 'deletion notice with Undo')))
      await page.getByRole('navigation').getByRole('link').last().click()
      await page.getByRole('link', { name: /^(Open the trash|Ouvrir la corbeille)$/ }).click()
      await expect(page.getByTestId('trash-row')).toHaveCount(1)
      found.push(...(await scan(page, 'trash view')))
      await page
        .getByRole('main')
        .getByRole('button', { name: /^(Empty trash|Vider la corbeille)$/ })
        .click()
      await expect(page.getByRole('dialog')).toBeVisible()
      found.push(...(await scan(page, 'empty trash question')))
      await page.keyboard.press('Escape')
      await expect(page.getByRole('dialog')).toBeHidden()

      // The Alert rules page (reached from the Inbox), its add dialog refusing an empty "share of the allowance" rule
      // with an allowance row, then the page with the rule in its table and a "Check now" result.
      await page
        .getByRole('navigation')
        .getByRole('link', { name: /^(Inbox|Notifications)$/ })
        .click()
      await page
        .getByRole('main')
        .getByRole('link', { name: /^(Alert rules|Règles d’alerte)$/ })
        .click()
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^(Alert rules|Règles d’alerte)$/)
      found.push(...(await scan(page, 'alert rules page')))
      await page.getByRole('button', { name: /^(Add rule|Ajouter une règle)$/ }).click()
      const ruleDialog = page.getByRole('dialog')
      await ruleDialog.getByRole('combobox', { name: /^(Alert when|Alerter quand)$/ }).selectOption('dataShare')
      await ruleDialog.getByRole('button', { name: /^(Add rule|Ajouter la règle)$/ }).click()
      await expect(ruleDialog.locator('[aria-invalid="true"]').first()).toBeFocused()
      found.push(...(await scan(page, 'add alert rule dialog with problems')))
      await ruleDialog.getByRole('textbox', { name: /^(Name|Nom)$/ }).fill('Near the allowance')
      await ruleDialog.getByRole('textbox', { name: /^(Rate plan|Forfait) 1$/ }).fill('IoT 2GB')
      await ruleDialog.getByRole('textbox', { name: /^(Allowance|Volume inclus) 1$/ }).fill('2')
      await ruleDialog.getByRole('button', { name: /^(Add rule|Ajouter la règle)$/ }).click()
      await expect(ruleDialog).toBeHidden()
      await page.getByRole('button', { name: /^(Check now|Vérifier maintenant)$/ }).click()
      await expect(page.getByTestId('alert-rule')).toHaveCount(1)
      await expect(page.getByRole('status').filter({ hasText: /^(Checked|Vérifié)/ })).toBeVisible()
      found.push(...(await scan(page, 'alert rules page with a rule')))

      // The invite dialog saying why the email will carry no code (team sync not set up), and the join dialog with a
      // malformed code refused.
      await page
        .getByRole('navigation')
        .getByRole('link', { name: /^(Team|Équipe)$/ })
        .click()
      await page.getByRole('button', { name: /^(Invite operator|Inviter un opérateur)$/ }).click()
      await expect(page.getByRole('dialog').getByText(/^(The email will carry no code|L’e-mail ne portera pas de code)/)).toBeVisible()
      found.push(...(await scan(page, 'invite dialog without a code')))
      await page.keyboard.press('Escape')
      await expect(page.getByRole('dialog')).toBeHidden()
      await page
        .getByRole('navigation')
        .getByRole('link', { name: /^(Settings|Paramètres)$/ })
        .click()
      await page.getByRole('button', { name: /^(Join with an invitation code|Rejoindre avec un code d’invitation)$/ }).click()
      const joinDialog = page.getByRole('dialog')
      await joinDialog.getByRole('textbox').fill('FLJ1.damaged!')
      await joinDialog.getByRole('button', { name: /^(Join|Rejoindre)$/ }).click()
      await expect(joinDialog.locator('[aria-invalid="true"]').first()).toBeVisible()
      found.push(...(await scan(page, 'join dialog with a malformed code')))
      await page.keyboard.press('Escape')
      await expect(joinDialog).toBeHidden()

      expect(found).toEqual([])
    })
  }
}

/**
 * The bulk job views with content: the New bulk job dialog with its problems shown, a job's page after pre-flight
 * (findings, estimate, the dry-run rows), the run confirmation, and the Jobs list with the job. A job needs a Control
 * Center profile, whose API key goes to the keychain: this part needs the keyring the SIM specs need.
 */
for (const language of ['en', 'fr'] as const) {
  for (const theme of ['light', 'dark'] as const) {
    test(`no axe violation in the bulk job views (${language}, ${theme})`, async ({ app }) => {
      skipWithoutKeyring()
      test.setTimeout(120_000)
      const peer = await startControlCenterPeer({ devices: 20 })
      try {
        const { page } = app
        const t = words(language)
        await choose(page, language, theme)
        const found: string[] = []
        const dialog = await newJasperJob(page, t, { url: peer.url, apiKey: 'test-api-key' })
        await dialog.getByRole('button', { name: t('jobs.ui.new.submit') }).click()
        await expect(dialog.getByText(t('jobs.ui.new.fileRequired'))).toBeVisible()
        found.push(...(await scan(page, 'new bulk job dialog with a problem')))
        const csv = ['iccid', ...peer.iccids.slice(0, 6), '8.98822E+18', peer.iccids[0]!].join('\n')
        await dialog.getByLabel(t('jobs.ui.new.fileInput')).setInputFiles({ name: 'sims.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
        await dialog.getByRole('button', { name: t('jobs.ui.new.submit') }).click()
        await expect(dialog).toBeHidden()
        await expect(page.getByTestId('job-state')).toHaveText(t('jobs.ui.states.draft'))
        found.push(...(await scan(page, 'job page (draft)')))
        await page.getByRole('button', { name: t('jobs.ui.preflight.run') }).click()
        await expect(page.getByTestId('job-state')).toHaveText(t('jobs.ui.states.ready'))
        await expect(page.getByTestId('job-row-line')).toHaveCount(8)
        found.push(...(await scan(page, 'job page after pre-flight')))
        await page.getByRole('button', { name: new RegExp(`^${t('jobs.ui.run.start', { count: 0 }).split('(')[0]!.trim()}`) }).click()
        await expect(page.getByRole('dialog', { name: t('jobs.ui.run.confirmTitle') })).toBeVisible()
        found.push(...(await scan(page, 'run confirmation')))
        await page.keyboard.press('Escape')
        await page.getByRole('link', { name: t('jobs.ui.title') }).click()
        await expect(page.getByTestId('job-row')).toHaveCount(1)
        found.push(...(await scan(page, 'jobs list with a job')))
        expect(found).toEqual([])
      } finally {
        await peer.close()
      }
    })
  }
}

/** WCAG's relative luminance of an sRGB colour given as 0–255 channels. */
function luminance([r, g, b]: number[]): number {
  const [R, G, B] = [r!, g!, b!].map((c) => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * R! + 0.7152 * G! + 0.0722 * B!
}

/** The contrast ratio of a CSS rgb()/rgba() colour painted over an opaque background. */
function contrast(color: string, background: string): number {
  const parse = (c: string) => (/rgba?\(([^)]+)\)/.exec(c)?.[1] ?? '0,0,0').split(',').map((v) => Number(v.trim()))
  const [r, g, b, a = 1] = parse(color)
  const bg = parse(background)
  const painted = [r!, g!, b!].map((c, i) => c * a + bg[i]! * (1 - a))
  const [hi, lo] = [luminance(painted), luminance(bg)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

for (const theme of ['light', 'dark'] as const) {
  test(`the JSON editor's tokens, brackets and line numbers meet 4.5:1 (${theme})`, async ({ app }) => {
    const { page } = app
    await choose(page, 'en', theme)
    await page.getByRole('navigation').getByRole('link', { name: 'Devices' }).click()
    await addDevice(page, 'meter', 'm-1')
    await openDevice(page, 'm-1')
    // Nested brackets of every colour pair, every JSON token kind, and a last line whose number Monaco dims.
    await setEditorText(page, '{"jasper": {"iccid": "89011234567890123456", "x": [1, {"a": [true, null, -2.5]}]}}\n')
    await expect(page.locator('.monaco-editor .bracket-highlighting-4').first()).toBeVisible()
    const painted = await page.evaluate(() => {
      const { document: d, getComputedStyle: style } = globalThis as unknown as {
        document: { querySelector(s: string): object | null; querySelectorAll(s: string): Iterable<{ textContent: string | null; className: string }> }
        getComputedStyle(e: object): { color: string; backgroundColor: string }
      }
      const background = style(d.querySelector('.monaco-editor-background')!).backgroundColor
      const parts = [...d.querySelectorAll('.view-line span span, .line-numbers')].filter((e) => (e.textContent ?? '').trim() !== '')
      return { background, parts: parts.map((e) => ({ what: `${e.className} "${e.textContent}"`, color: style(e).color })) }
    })
    expect(painted.parts.length).toBeGreaterThan(20)
    const short = painted.parts.map((p) => ({ ...p, ratio: contrast(p.color, painted.background) })).filter((p) => p.ratio < 4.5)
    expect(short.map((p) => `${p.what}: ${p.color} on ${painted.background} is ${p.ratio.toFixed(2)}:1`)).toEqual([])
  })
}

/**
 * Team sync's conflicts: the list in Settings → Team sync and the conflict dialog, with Monaco's diff of the two
 * versions and then its merge editor. The conflict is made the way replication makes one, two branches written into
 * the workspace while the app is stopped, so no sync server is needed.
 */
for (const language of ['en', 'fr'] as const) {
  for (const theme of ['light', 'dark'] as const) {
    test(`no axe violation in the team sync conflict views (${language}, ${theme})`, async ({ app }) => {
      test.setTimeout(120_000)
      const t = words(language)
      const name = 'meter / c-1'
      const page = await plantDeviceConflict(app)
      await choose(page, language, theme)
      const found: string[] = []
      await expect(page.getByRole('heading', { name: t('sync.conflicts.title', { count: 1 }) })).toBeVisible()
      found.push(...(await scan(page, 'team sync with a conflict')))
      await page.getByRole('button', { name: t('sync.conflicts.review', { name }) }).click()
      const dialog = page.getByRole('dialog', { name: t('sync.conflicts.dialogTitle', { name }) })
      await expect(dialog.locator('.monaco-diff-editor')).toBeVisible()
      await expect(dialog.getByText('89011234567890654321').first()).toBeVisible()
      found.push(...(await scan(page, 'conflict dialog')))
      await dialog.getByRole('button', { name: t('sync.conflicts.merge') }).click()
      await expect(dialog.getByRole('button', { name: t('sync.conflicts.saveMerge') })).toBeVisible()
      await expect(dialog.locator('.monaco-diff-editor')).toBeVisible()
      found.push(...(await scan(page, 'conflict merge editor')))
      await dialog.getByRole('button', { name: t('sync.conflicts.close') }).click()
      await expect(dialog).toBeHidden()
      expect(found).toEqual([])
    })
  }
}
