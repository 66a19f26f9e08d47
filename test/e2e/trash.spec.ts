/**
 * Undo for deletions, end to end against serve mode: a deleted device comes back with its configuration through the
 * Undo button of the notice that confirmed the deletion; a deleted profile comes back from the Trash view (reached
 * from Settings), in English and in French. A platform (MQTT) profile without a password is used: it needs no
 * keychain, and the vault side of a profile in the trash is covered by test/integration/trash.test.ts.
 */
import { expect, test } from './fixtures'
import { setEditorText } from './steps'
import { addAndOpenDevice, englishThenBack, LANGUAGES, navigate, switchLanguage, words, type Words } from './words'

const CONFIG = '{"jasper": {"iccid": "8988216716970004973"}}'

test('deletes a device and brings it back, configuration and all, with Undo in the notice', async ({ app }) => {
  const { page } = app
  const t = words('en')
  await addAndOpenDevice(page, t, 'meter', 'undo-1')
  await setEditorText(page, CONFIG)
  await page.getByRole('button', { name: t('config.save') }).click()
  await expect(page.getByRole('status').filter({ hasText: t('config.saved') })).toBeVisible()

  await page.getByRole('button', { name: t('devices.delete.button') }).click()
  const confirm = page.getByRole('dialog', { name: t('devices.delete.confirm', { device: 'meter/undo-1' }) })
  await confirm.getByRole('button', { name: t('devices.delete.button') }).click()
  const notice = page.getByRole('status').filter({ hasText: t('devices.delete.done', { device: 'meter/undo-1' }) })
  await expect(notice).toBeVisible()
  await expect(page.getByTestId('device-row').filter({ hasText: 'undo-1' })).toHaveCount(0)

  await notice.getByRole('button', { name: t('trash.undoLabel', { target: 'meter/undo-1' }) }).click()
  await expect(page.getByRole('status').filter({ hasText: t('trash.restored', { target: 'meter/undo-1' }) })).toBeVisible()
  await expect(notice).toHaveCount(0)
  await page.getByTestId('device-row').filter({ hasText: 'undo-1' }).click()
  await expect(page.locator('.monaco-editor').first()).toContainText('8988216716970004973')
})

test('a deletion notice on screen follows a switch of language, Undo button included, and back', async ({ app }) => {
  const { page } = app
  const [en, fr] = [words('en'), words('fr')]
  await addAndOpenDevice(page, en, 'meter', 'undo-lang')
  await page.getByRole('button', { name: en('devices.delete.button') }).click()
  const confirm = page.getByRole('dialog', { name: en('devices.delete.confirm', { device: 'meter/undo-lang' }) })
  await confirm.getByRole('button', { name: en('devices.delete.button') }).click()
  const notice = (t: Words) => page.getByRole('status').filter({ hasText: t('devices.delete.done', { device: 'meter/undo-lang' }) })
  await expect(notice(en)).toBeVisible()

  await switchLanguage(page, 'fr')
  await expect(notice(fr)).toBeVisible()
  await expect(notice(en)).toHaveCount(0)
  await expect(notice(fr).getByRole('button', { name: fr('trash.undoLabel', { target: 'meter/undo-lang' }) })).toHaveText(fr('trash.undo'))

  await englishThenBack(page)
  await expect(notice(en).getByRole('button', { name: en('trash.undoLabel', { target: 'meter/undo-lang' }) })).toHaveText(en('trash.undo'))
})

test('a deletion’s Undo notice gives way when another window on the core restores the entry or empties the trash', async ({ app, target }) => {
  test.skip(target !== 'browser', 'two windows on one core: serve mode')
  const { page } = app
  const t = words('en')
  const notice = (device: string) => page.getByRole('status').filter({ hasText: t('devices.delete.done', { device }) })
  const deleteOpened = async (device: string): Promise<void> => {
    await page.getByRole('button', { name: t('devices.delete.button') }).click()
    await page
      .getByRole('dialog', { name: t('devices.delete.confirm', { device }) })
      .getByRole('button', { name: t('devices.delete.button') })
      .click()
    await expect(notice(device)).toBeVisible()
  }
  await addAndOpenDevice(page, t, 'meter', 'two-1')
  await deleteOpened('meter/two-1')

  // A second window on the same serve process restores it from its Trash view.
  const other = await page.context().newPage()
  try {
    await other.goto(app.serve!.url)
    await other.waitForSelector('[data-app-state="ready"]')
    await other
      .getByRole('navigation')
      .getByRole('link', { name: t('nav.settings'), exact: true })
      .click()
    await other.getByRole('link', { name: t('trash.open') }).click()
    await other
      .getByTestId('trash-row')
      .filter({ hasText: 'meter/two-1' })
      .getByRole('button', { name: t('trash.restoreLabel', { target: 'meter/two-1' }) })
      .click()
    await expect(other.getByRole('status').filter({ hasText: t('trash.restored', { target: 'meter/two-1' }) })).toBeVisible()
    // Its Undo could only be refused now: the first window's notice gives way.
    await expect(notice('meter/two-1')).toHaveCount(0)

    await addAndOpenDevice(page, t, 'meter', 'two-2')
    await deleteOpened('meter/two-2')
    await other.getByRole('button', { name: t('trash.emptyTrash') }).click()
    await other
      .getByRole('dialog', { name: t('trash.emptyConfirm') })
      .getByRole('button', { name: t('trash.emptyTrash') })
      .click()
    await expect(other.getByText(t('trash.empty'))).toBeVisible()
    await expect(notice('meter/two-2')).toHaveCount(0)
  } finally {
    await other.close()
  }
})

for (const language of LANGUAGES) {
  test(`${language}: deletes a profile and restores it from the Trash view; emptying asks once`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    const openTrash = async (): Promise<void> => {
      await page
        .getByRole('navigation')
        .getByRole('link', { name: t('nav.settings'), exact: true })
        .click()
      await page.getByRole('link', { name: t('trash.open') }).click()
    }
    await switchLanguage(page, language)
    await navigate(page, t, 'extensions')
    const card = page.getByRole('region', { name: t('platform.card.title') })
    await card.getByRole('button', { name: t('extensions.add') }).click()
    const dialog = page.getByRole('dialog', { name: t('platform.form.addTitle') })
    await dialog.getByLabel(t('profiles.form.name')).fill('Spare broker')
    await dialog.getByLabel(t('platform.form.url')).fill('mqtt://127.0.0.1:1883')
    await dialog.getByLabel(t('platform.form.clientId')).fill('a:org1:fieldline')
    await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(dialog).toBeHidden()
    await expect(card.getByRole('heading', { name: 'Spare broker' })).toBeVisible()

    await card.getByRole('button', { name: t('extensions.delete') }).click()
    const confirm = page.getByRole('dialog', { name: t('extensions.deleteConfirm', { name: 'Spare broker' }) })
    await confirm.getByRole('button', { name: t('extensions.delete') }).click()
    await expect(card.getByRole('heading', { name: 'Spare broker' })).toHaveCount(0)

    await openTrash()
    await expect(page.getByRole('heading', { level: 1, name: t('trash.title') })).toBeVisible()
    // Named as its card and the Undo notice named it; its id (the account it was) is in Details.
    const row = page.getByTestId('trash-row').filter({ hasText: 'Spare broker' })
    await expect(row).toContainText(t('trash.items.profile'))
    await expect(row.getByRole('rowheader')).toHaveText('Spare broker')
    await expect(row.locator('code')).toHaveText(/^platform\/spare-broker-[0-9a-f]{4}$/)
    await row.getByRole('button', { name: t('trash.restoreLabel', { target: 'Spare broker' }), exact: true }).press('Enter')
    await expect(page.getByRole('status').filter({ hasText: t('trash.restored', { target: 'Spare broker' }) })).toBeVisible()
    await expect(page.getByText(t('trash.empty'))).toBeVisible()

    await navigate(page, t, 'extensions')
    await expect(card.getByRole('heading', { name: 'Spare broker' })).toBeVisible()

    // Delete it again, then empty the trash: one question, and the trash is empty.
    await card.getByRole('button', { name: t('extensions.delete') }).click()
    await confirm.getByRole('button', { name: t('extensions.delete') }).click()
    await openTrash()
    await page.getByRole('button', { name: t('trash.emptyTrash') }).click()
    const question = page.getByRole('dialog', { name: t('trash.emptyConfirm') })
    await expect(question).toContainText(t('trash.emptyExplain', { count: 1 }))
    await question.getByRole('button', { name: t('trash.emptyTrash') }).click()
    await expect(page.getByText(t('trash.empty'))).toBeVisible()
    await expect(page.getByTestId('trash-row')).toHaveCount(0)
  })
}
