import type { Page } from '@playwright/test'
import { expect } from './fixtures'

/** Operator steps shared by the specs, written the way a person does them: by role and accessible name. */

export async function openPage(page: Page, name: 'Extensions' | 'Devices' | 'Packages' | 'mbed' | 'Team' | 'Activity' | 'Settings') {
  await page.getByRole('navigation').getByRole('link', { name }).click()
}

export async function addDevice(page: Page, typeId: string, deviceId: string) {
  await page.getByRole('button', { name: 'Add device' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel('Device type').fill(typeId)
  await dialog.getByLabel('Device ID').fill(deviceId)
  await dialog.getByRole('button', { name: 'Add', exact: true }).click()
}

export async function openDevice(page: Page, deviceId: string) {
  await page.getByTestId('device-row').filter({ hasText: deviceId }).click()
  await expect(page.getByRole('heading', { name: 'Extension configuration' })).toBeVisible()
}

/** Replaces the editor's text the way a paste does (typing would fight Monaco's auto-closing quotes). */
export async function setEditorText(page: Page, text: string) {
  const editor = page.locator('.monaco-editor').first()
  await editor.click()
  await page.keyboard.press('ControlOrMeta+a')
  await page.keyboard.press('Delete')
  await page.keyboard.insertText(text)
}

/** The row of a virtual list that has the keyboard focus, by its place in the list (1-based); null when none has it. */
export async function focusedRow(page: Page): Promise<number | null> {
  const focused = page.locator(':focus')
  if ((await focused.count()) !== 1 || (await focused.getAttribute('role')) !== 'listitem') return null
  return Number(await focused.getAttribute('aria-posinset'))
}
