/**
 * Ctrl+S (⌘S on a Mac) in a device's extension-configuration editor, keyboard only, in English and French: a valid
 * configuration is saved as the Save button saves it, and the focus stays in the editor; an invalid one is not saved and
 * the page says why (the refusal and the problem list). The browser's own Ctrl+S ("Save page as") never runs: every
 * press reaches the window already handled.
 */
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { addAndOpenDevice, LANGUAGES, switchLanguage, words, type Words } from './words'

/** What the recorder below uses of the page's window (the e2e code compiles without the DOM library). */
interface InPage {
  addEventListener(type: 'keydown', listener: (e: { key: string; ctrlKey: boolean; metaKey: boolean; defaultPrevented: boolean }) => void): void
  seenSaveKeys: boolean[]
}

/** Records, for each Ctrl+S or ⌘S that reaches the window, whether the page had taken it from the browser. */
async function recordSaveKeys(page: Page): Promise<() => Promise<boolean[]>> {
  await page.evaluate(() => {
    const win = globalThis as unknown as InPage
    win.seenSaveKeys = []
    win.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') win.seenSaveKeys.push(e.defaultPrevented)
    })
  })
  return () => page.evaluate(() => (globalThis as unknown as InPage).seenSaveKeys)
}

/** Replaces the editor's text from the keyboard: the editor focused, its text selected and replaced as a paste does. */
async function typeConfig(page: Page, t: Words, text: string): Promise<void> {
  const editor = page.getByRole('textbox', { name: t('config.editorLabel') })
  await editor.focus()
  await page.keyboard.press('ControlOrMeta+a')
  await page.keyboard.press('Delete')
  await page.keyboard.insertText(text)
}

for (const language of LANGUAGES) {
  test(`Ctrl+S in the configuration editor saves a valid configuration and says why an invalid one is not saved (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await addAndOpenDevice(page, t, 'meter', `save-key-${language}`)
    const seen = await recordSaveKeys(page)
    const editor = page.getByRole('textbox', { name: t('config.editorLabel') })
    const saved = page.getByRole('status').filter({ hasText: t('config.saved') })
    const refused = page.getByRole('alert').filter({ hasText: t('config.rejected') })

    await typeConfig(page, t, '{"jasper": {"iccid": "8988216716970004973"}}')
    await page.keyboard.press('ControlOrMeta+s')
    await expect(saved).toBeVisible()
    await expect(refused).toHaveCount(0)
    await expect(editor).toBeFocused()
    // Dismissed, so that the next "saved" is the next save's.
    await saved.getByRole('button', { name: t('notices.dismiss') }).focus()
    await page.keyboard.press('Enter')
    await expect(saved).toHaveCount(0)

    // An ICCID must be a string: the core refuses the text, the page says so and lists the problem; nothing is saved.
    await typeConfig(page, t, '{"jasper": {"iccid": 8988216716970004973}}')
    await page.keyboard.press('ControlOrMeta+s')
    await expect(refused).toBeVisible()
    await expect(page.locator('.diagnostics li.error').first()).toBeVisible()
    await expect(editor).toBeFocused()

    // Fixed, then saved from the Save button's own place in the section: the refusal gives way.
    await typeConfig(page, t, '{"jasper": {"iccid": "8988216716970004974"}}')
    await page.getByRole('button', { name: t('config.save') }).focus()
    await page.keyboard.press('ControlOrMeta+s')
    await expect(saved).toBeVisible()
    await expect(refused).toHaveCount(0)
    expect(await seen()).toEqual([true, true, true])
  })
}
