import { readFileSync } from 'node:fs'
import type { Page } from '@playwright/test'
import { IntlMessageFormat } from 'intl-messageformat'
import { expect } from './fixtures'

/**
 * The interface's own words, for specs that run the same steps in English and in French: an element is found by the
 * role and the name the catalogue gives it in the language under test (the parity test makes sure both have every key,
 * and `switchLanguage` makes sure the window speaks the language asked for).
 */

export type Language = 'en' | 'fr'
export const LANGUAGES: readonly Language[] = ['en', 'fr']

type Catalogue = { [key: string]: string | Catalogue }

function lookup(catalogue: Catalogue, key: string): string {
  let node: string | Catalogue | undefined = catalogue
  for (const part of key.split('.')) node = typeof node === 'object' ? node[part] : undefined
  if (typeof node !== 'string') throw new Error(`no message ${key}`)
  return node
}

export type Words = (key: string, values?: Record<string, string | number>) => string

export function words(language: Language): Words {
  const catalogue = JSON.parse(readFileSync(new URL(`../../src-renderer/src/i18n/${language}.json`, import.meta.url), 'utf8')) as Catalogue
  return (key, values) => String(new IntlMessageFormat(lookup(catalogue, key), language).format(values))
}

/** Switches the interface to `language` on the Settings page (English is where every window starts). */
export async function switchLanguage(page: Page, language: Language): Promise<void> {
  if (language === 'en') return
  await page.getByRole('navigation').getByRole('link', { name: 'Settings' }).click()
  await page.getByLabel('Language').selectOption({ label: 'Français' })
  await expect(page.locator('html')).toHaveAttribute('lang', language)
}

/** From a French window: Settings, the language set to English, then Back to the page the operator was on. */
export async function englishThenBack(page: Page): Promise<void> {
  const fr = words('fr')
  await page
    .getByRole('navigation')
    .getByRole('link', { name: fr('nav.settings') })
    .click()
  await page.getByLabel(fr('settings.language')).selectOption({ label: 'English' })
  await expect(page.locator('html')).toHaveAttribute('lang', 'en')
  await page.goBack()
}

export async function navigate(page: Page, t: Words, to: 'extensions' | 'devices' | 'jobs' | 'mbed' | 'ledger' | 'activity'): Promise<void> {
  await page
    .getByRole('navigation')
    .getByRole('link', { name: t(`nav.${to}`), exact: true })
    .click()
}

/** Adds a device and opens its page, in the language under test. */
export async function addAndOpenDevice(page: Page, t: Words, typeId: string, deviceId: string): Promise<void> {
  await navigate(page, t, 'devices')
  await page.getByRole('button', { name: t('devices.add') }).click()
  const dialog = page.getByRole('dialog', { name: t('devices.addForm.title') })
  await dialog.getByLabel(t('devices.addForm.type')).fill(typeId)
  await dialog.getByLabel(t('devices.addForm.id')).fill(deviceId)
  await dialog.getByRole('button', { name: t('devices.addForm.submit'), exact: true }).click()
  await page.getByTestId('device-row').filter({ hasText: deviceId }).click()
  await expect(page.getByRole('heading', { name: t('config.title') })).toBeVisible()
}

/** A platform (MQTT) profile for the broker a forwarder subscribes to; its client id names the organisation (org1). */
export async function addPlatform(page: Page, t: Words, url: string): Promise<void> {
  const card = page.getByRole('region', { name: t('platform.card.title') })
  await card.getByRole('button', { name: t('extensions.add') }).click()
  const dialog = page.getByRole('dialog', { name: t('platform.form.addTitle') })
  await dialog.getByLabel(t('profiles.form.name')).fill('Local broker')
  await dialog.getByLabel(t('platform.form.url')).fill(url)
  await dialog.getByLabel(t('platform.form.clientId')).fill('a:org1:fieldline')
  await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
  await expect(dialog).toBeHidden()
}

/** Imports devices from CSV lines (header first) on the Devices page, waits for all of them, and closes the report. */
export async function importDevices(page: Page, t: Words, lines: readonly string[]): Promise<void> {
  const rows = lines.length - 1
  await page.getByLabel(t('import.file')).setInputFiles({ name: 'devices.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) })
  await expect(page.getByText(t('import.counts', { rows, added: rows, existing: 0, refused: 0 }))).toBeVisible()
  await page
    .getByRole('region', { name: t('import.title') })
    .getByRole('button', { name: t('import.close') })
    .click()
}
