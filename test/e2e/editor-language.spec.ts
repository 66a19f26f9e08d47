/**
 * The JSON editor's own strings (Monaco's find box here) in the app's language: French when the editor first loads in
 * a French window, and, since Monaco reads its strings once, a note after a switch until the window is loaded again.
 */
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { addAndOpenDevice, englishThenBack, switchLanguage, words } from './words'

/** Opens Monaco's find box from the editor and returns its search field, named by Monaco in its own language. */
async function findBox(page: Page, name: string) {
  await page.locator('.monaco-editor').first().click()
  await page.keyboard.press('ControlOrMeta+f')
  const box = page.locator('.monaco-editor .find-widget').getByRole('textbox', { name, exact: true })
  await expect(box).toBeVisible()
  await expect(box).toBeFocused()
  await page.keyboard.press('Escape')
}

test("the editor's find box speaks French in a French window, and English once the window reloads in English", async ({ app }) => {
  const { page } = app
  const fr = words('fr')
  const en = words('en')
  await switchLanguage(page, 'fr')
  await addAndOpenDevice(page, fr, 'meter', 'm-1')
  await findBox(page, 'Rechercher')
  await expect(page.getByText(fr('editor.languageOnReload'))).toHaveCount(0)

  await englishThenBack(page)
  await expect(page.getByRole('heading', { name: en('config.title') })).toBeVisible()
  await expect(page.getByText(en('editor.languageOnReload'))).toBeVisible()
  await findBox(page, 'Rechercher')

  await page.reload()
  await expect(page.getByRole('heading', { name: en('config.title') })).toBeVisible()
  await findBox(page, 'Find')
  await expect(page.getByText(en('editor.languageOnReload'))).toHaveCount(0)
})
