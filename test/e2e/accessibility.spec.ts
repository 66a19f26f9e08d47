/**
 * axe-core over every view, in English and French, light and dark: the top-level views, a device's page, the import
 * report with refused rows, the add-device dialog and every profile form of the Extensions page. Any violation of WCAG 2.1 A/AA (or axe's best practices for
 * regions and landmarks) fails the test with the rule, the node and the view it was found in.
 */
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'

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
      // A score of axe scans, each a few seconds on a loaded machine.
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
      const forms = await adds.count()
      expect(forms).toBeGreaterThan(3)
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

      expect(found).toEqual([])
    })
  }
}
