import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import PouchDB from 'pouchdb'
import { newDeviceDoc } from '../../src-main/core/store/devices.store'
import { keyringSkipReason } from '../helpers/system'
import { makePki, PASSWORD, startSmtp, USER, type SmtpPeer } from '../peers/smtp/smtp.peer'
import { expect, test, type FieldlineApp } from './fixtures'
import { navigate, words, type Words } from './words'

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

/**
 * Pastes `text` into a field the way the clipboard does: the field focused, then the whole text inserted at once (no
 * key per character, so nothing but the field itself could cut it); the field then holds all of it.
 */
export async function paste(field: Locator, text: string): Promise<void> {
  await field.focus()
  await field.page().keyboard.insertText(text)
  await expect(field).toHaveValue(text)
}

/** The row of a virtual list that has the keyboard focus, by its place in the list (1-based); null when none has it. */
export async function focusedRow(page: Page): Promise<number | null> {
  const focused = page.locator(':focus')
  if ((await focused.count()) !== 1 || (await focused.getAttribute('role')) !== 'listitem') return null
  return Number(await focused.getAttribute('aria-posinset'))
}

/**
 * Skips the current test (or the tests of the current beforeEach) with the reason when there is no keychain to save a
 * profile's secret in; under FIELDLINE_STRICT=1 the missing keyring fails it instead.
 */
export function skipWithoutKeyring(): void {
  const reason = keyringSkipReason()
  test.skip(reason !== null, reason ?? '')
}

/**
 * Adds a Jasper profile "Lab account" for a Control Center at `url` (user ops) on the Extensions page, with the account's
 * requests per second when given, in the language of `t` (English unless given); returns its card.
 */
export async function addJasperProfile(page: Page, url: string, apiKey: string, options: { perSecond?: number | undefined; t?: Words } = {}): Promise<Locator> {
  const { perSecond, t = words('en') } = options
  await navigate(page, t, 'extensions')
  const card = page.getByRole('region', { name: t('carriers.jasper') })
  await card.getByRole('button', { name: t('extensions.add') }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel(t('profiles.form.name')).fill('Lab account')
  await dialog.getByLabel(t('profiles.form.baseUrl')).fill(url)
  await dialog.getByLabel(t('profiles.form.username')).fill('ops')
  await dialog.getByLabel(t('profiles.form.apiKey')).fill(apiKey)
  if (perSecond !== undefined) {
    await dialog.getByText(t('profiles.form.advanced')).click()
    await dialog.getByLabel(t('profiles.form.perSecond')).fill(String(perSecond))
  }
  await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
  await expect(dialog).toBeHidden()
  await expect(card.getByRole('heading', { name: 'Lab account' })).toBeVisible()
  return card
}

/**
 * The way to a bulk job on a Control Center: its Jasper profile added (addJasperProfile), then Jobs → New bulk job in a
 * fresh window, so that the dialog reads the accounts itself, whatever view the operator opened before. Returns the
 * dialog.
 */
export async function newJasperJob(page: Page, t: Words, profile: { url: string; apiKey: string; perSecond?: number }): Promise<Locator> {
  await addJasperProfile(page, profile.url, profile.apiKey, { perSecond: profile.perSecond, t })
  await page.reload()
  await page.waitForSelector('[data-app-state="ready"]')
  await navigate(page, t, 'jobs')
  await expect(page.getByRole('heading', { level: 1, name: t('jobs.ui.title') })).toBeVisible()
  await page.getByRole('button', { name: t('jobs.ui.newJob') }).click()
  return page.getByRole('dialog', { name: t('jobs.ui.new.title') })
}

/** A real smtp-server on 127.0.0.1 with STARTTLS and AUTH, its certificate signed by a CA made for the test. */
export interface TlsSmtp {
  smtp: SmtpPeer
  caPem: string
  /** Stops the server and removes the certificates. */
  close(): Promise<void>
}

export async function startTlsSmtp(): Promise<TlsSmtp> {
  const pkiDir = await mkdtemp(join(tmpdir(), 'fieldline-smtp-e2e-'))
  const removePki = () => rm(pkiDir, { recursive: true, force: true })
  try {
    const pki = await makePki(pkiDir)
    const smtp = await startSmtp({ key: pki.keyPem, cert: pki.certPem, secure: false })
    return {
      smtp,
      caPem: pki.caPem,
      close: async () => {
        await smtp.close()
        await removePki()
      },
    }
  } catch (e) {
    await removePki()
    throw e
  }
}

/**
 * Extensions → Email → Configure: SMTP with STARTTLS and AUTH to `mail`'s server, trusting its CA, sent as North
 * Plant's admin (admin@north-plant.example); saved. Returns the Email card.
 */
export async function configureSmtp(page: Page, mail: TlsSmtp): Promise<Locator> {
  await openPage(page, 'Extensions')
  const card = page.getByRole('region', { name: 'Email' })
  await card.getByRole('button', { name: 'Configure' }).click()
  const dialog = page.getByRole('dialog', { name: 'Email settings' })
  await dialog.getByRole('radiogroup', { name: 'Email mode' }).getByRole('radio', { name: 'SMTP' }).check()
  await dialog.getByLabel('Organisation name').fill('North Plant')
  await dialog.getByLabel('Host', { exact: true }).fill('localhost')
  await dialog.getByLabel('Port').fill(String(mail.smtp.port))
  await dialog.getByLabel('Security').selectOption({ label: 'STARTTLS required' })
  await dialog.getByLabel('User name').fill(USER)
  await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await dialog.getByLabel('Sender name').fill('Plant Admin')
  await dialog.getByLabel('Sender address').fill('admin@north-plant.example')
  await dialog.getByLabel('Custom CA (PEM)').fill(mail.caPem)
  await dialog.getByRole('button', { name: 'Save email settings' }).click()
  await expect(dialog).toBeHidden()
  return card
}

/**
 * A conflict on device:meter:c-1 made the way replication makes one: two branches (each with its own ICCID) written
 * into the workspace while the app is stopped, so no sync server is needed. Resolves with the restarted app's page.
 */
export async function plantDeviceConflict(app: FieldlineApp): Promise<Page> {
  await app.serve!.stop()
  const db = new PouchDB<object>(join(app.dataDir, 'workspace'))
  try {
    const base = newDeviceDoc({ typeId: 'meter', deviceId: 'c-1', description: 'North feeder', metadata: {} }, new Date().toISOString())
    const { rev } = await db.put(base)
    const root = rev.split('-')[1]!
    const branch = (hash: string, iccid: string) => ({ ...base, extensionConfig: { jasper: { iccid } }, _rev: `2-${hash}`, _revisions: { start: 2, ids: [hash, root] } })
    await db.bulkDocs([branch('a1', '89011234567890123456'), branch('b2', '89011234567890654321')], { new_edits: false })
  } finally {
    await db.close()
  }
  return app.restart()
}
