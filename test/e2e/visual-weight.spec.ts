/**
 * Visual weight: each view has at most one primary action; a removal is a plain button until its question is
 * answered (only the question's confirm button is red); in the dark theme a dialog's backdrop dims the page.
 */
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { addDevice, openDevice } from './steps'

/** The filled buttons of the view (dialogs aside): the accent ones and the red ones. */
async function weights(page: Page): Promise<{ primary: string[]; danger: string[] }> {
  const names = (selector: string) => page.locator(`main ${selector}:visible`).evaluateAll((buttons) => buttons.map((b) => (b.textContent ?? '').trim()))
  return { primary: await names('button.primary'), danger: await names('button.danger') }
}

test('every view has at most one primary action, and removals stay secondary until confirmed', async ({ app }) => {
  const { page } = app
  await addDevice(page, 'meter', 'm-1')
  const links = page.getByRole('navigation').getByRole('link')
  const count = await links.count()
  const heavy: string[] = []
  for (let i = 0; i < count; i++) {
    await links.nth(i).click()
    const view = (await page.getByRole('heading', { level: 1 }).textContent())?.trim() ?? `view ${i + 1}`
    const { primary, danger } = await weights(page)
    if (primary.length > 1) heavy.push(`${view}: ${primary.length} primary actions (${primary.join(', ')})`)
    if (danger.length > 0) heavy.push(`${view}: red before any question (${danger.join(', ')})`)
  }
  await page.getByRole('navigation').getByRole('link', { name: 'Devices' }).click()
  await openDevice(page, 'm-1')
  const device = await weights(page)
  if (device.primary.length > 1) heavy.push(`device page: ${device.primary.length} primary actions (${device.primary.join(', ')})`)
  if (device.danger.length > 0) heavy.push(`device page: red before any question (${device.danger.join(', ')})`)
  expect(heavy).toEqual([])

  // The question is where the red button is.
  await page.getByRole('button', { name: 'Delete' }).click()
  await expect(page.getByRole('dialog').locator('button.danger')).toHaveText('Delete')
})

test("the dark theme's dialog backdrop dims the page", async ({ app }) => {
  const { page } = app
  await page.getByRole('navigation').getByRole('link').last().click()
  await page.getByRole('combobox', { name: 'Theme' }).selectOption('dark')
  await page.getByRole('navigation').getByRole('link', { name: 'Devices' }).click()
  await page.getByRole('button', { name: 'Add device' }).click()
  const dialog = page.getByRole('dialog')
  await expect(dialog).toBeVisible()
  // (Runs in the page; the Node typings this file is checked with do not declare the DOM.)
  const veil = await dialog.evaluate((d) => (globalThis as unknown as { getComputedStyle(e: object, pseudo: string): { backgroundColor: string } }).getComputedStyle(d, '::backdrop').backgroundColor)
  const [r, g, b, alpha] = (/rgba?\(([^)]+)\)/.exec(veil)?.[1] ?? '').split(',').map((v) => Number(v.trim()))
  expect([r, g, b]).toEqual([0, 0, 0])
  // Black over at least 60 %: the page's text behind keeps under two fifths of its brightness.
  expect(alpha).toBeGreaterThanOrEqual(0.6)
})
