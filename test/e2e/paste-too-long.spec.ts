/**
 * A value pasted longer than its field allows is refused by the form's checks, in the operator's language, and
 * nothing is saved. Cold trial: the fields' maxlength cut a pasted 100-character saved-search name to 60 without a
 * word, and saved the search under that other name.
 */
import { expect, test } from './fixtures'
import { paste } from './steps'
import { LANGUAGES, navigate, switchLanguage, words } from './words'

for (const language of LANGUAGES) {
  test(`${language}: a saved-search name and a profile name pasted too long are refused by their length, nothing saved`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)

    await navigate(page, t, 'devices')
    await page.getByRole('button', { name: t('devices.saved.save') }).click()
    const naming = page.getByRole('dialog', { name: t('devices.saved.dialogTitle') })
    const name = naming.getByLabel(t('devices.saved.name'), { exact: true })
    await paste(name, 's'.repeat(100))
    await naming.getByRole('button', { name: t('devices.saved.submit'), exact: true }).click()
    await expect(name).toHaveAttribute('aria-invalid', 'true')
    await expect(naming.getByText(t('form.tooLong', { max: 60 }), { exact: true })).toBeVisible()
    await expect(name).toHaveValue('s'.repeat(100))
    await page.keyboard.press('Escape')
    await expect(naming).toBeHidden()
    await expect(page.getByLabel(t('devices.saved.label'))).toBeDisabled()

    await navigate(page, t, 'extensions')
    const card = page.getByRole('region', { name: t('carriers.jasper') })
    await card.getByRole('button', { name: t('extensions.add') }).click()
    const dialog = page.getByRole('dialog')
    const profileName = dialog.getByLabel(t('profiles.form.name'), { exact: true })
    await paste(profileName, 'p'.repeat(81))
    await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(profileName).toHaveAttribute('aria-invalid', 'true')
    await expect(dialog.getByText(t('form.tooLong', { max: 80 }), { exact: true })).toBeVisible()
    await page.keyboard.press('Escape')
    await expect(dialog).toBeHidden()
    await expect(card.getByRole('heading', { name: 'p'.repeat(80) })).toHaveCount(0)
    await expect(card.getByRole('heading', { name: 'p'.repeat(81) })).toHaveCount(0)
  })
}

test('a device filter typed longer than the trail allows is said under the field; one character less, the trail is filtered by it', async ({ app }) => {
  // The filter is never submitted: before, the box cut the text at 120, and a longer one in the address was dropped.
  const { page } = app
  const t = words('en')
  await navigate(page, t, 'activity')
  const device = page.getByLabel(t('activity.filters.device'), { exact: true })
  // A device as type/ID, 121 characters long.
  await paste(device, `${'d'.repeat(60)}/${'d'.repeat(60)}`)
  await expect(page.getByText(t('form.tooLong', { max: 120 }), { exact: true })).toBeVisible()
  await expect(device).toHaveAttribute('aria-invalid', 'true')
  await page.keyboard.press('Backspace')
  await expect(page).toHaveURL(new RegExp(`#/activity\\?device=${'d'.repeat(60)}%2F${'d'.repeat(59)}$`))
  await expect(page.getByText(t('form.tooLong', { max: 120 }), { exact: true })).toBeHidden()
})
