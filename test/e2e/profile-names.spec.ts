/**
 * A profile's buttons say which profile they act on (cold trial: « Modifier », « Supprimer » and « Vérifier la
 * connexion » were read out alike on every profile card, so a screen reader's list of buttons could not tell them apart).
 * Two MQTT broker profiles without a password: nothing goes to the keychain. A third named like one of them, in
 * another case, is refused at its name field, naming the other (an operator ended up with three « Jasper Nord »).
 */
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { openPage } from './steps'
import { navigate, switchLanguage, words } from './words'

async function addBroker(page: Page, name: string): Promise<void> {
  const card = page.getByRole('region', { name: 'IoT platform (MQTT)' })
  await card.getByRole('button', { name: 'Add' }).click()
  const dialog = page.getByRole('dialog', { name: 'New IoT platform (MQTT) profile' })
  await dialog.getByLabel('Profile name').fill(name)
  await dialog.getByLabel('Broker URL').fill('mqtts://broker.example.com:8883')
  await dialog.getByLabel('Client ID').fill('a:org1:fieldline')
  await dialog.getByRole('button', { name: 'Save profile' }).click()
  await expect(dialog).toBeHidden()
  await expect(card.getByRole('heading', { name })).toBeVisible()
}

test('each profile card names its profile in Verify connection, Edit and Delete, in English and French', async ({ app }) => {
  const { page } = app
  await openPage(page, 'Extensions')
  await addBroker(page, 'North broker')
  await addBroker(page, 'South broker')
  const card = page.getByRole('region', { name: 'IoT platform (MQTT)' })
  for (const name of ['North broker', 'South broker']) {
    // The words shown stay the button's name's start (WCAG 2.5.3: speech users say what they see).
    await expect(card.getByRole('button', { name: `Verify connection of profile ${name}`, exact: true })).toHaveText('Verify connection')
    await expect(card.getByRole('button', { name: `Edit profile ${name}`, exact: true })).toHaveText('Edit')
    await expect(card.getByRole('button', { name: `Delete profile ${name}`, exact: true })).toHaveText('Delete')
  }
  await card.getByRole('button', { name: 'Edit profile South broker', exact: true }).click()
  await expect(page.getByRole('dialog', { name: 'Edit profile South broker' })).toBeVisible()
  await page.keyboard.press('Escape')

  await switchLanguage(page, 'fr')
  await page.getByRole('navigation').getByRole('link', { name: 'Extensions' }).click()
  const carte = page.getByRole('region', { name: 'Plateforme IoT (MQTT)' })
  await expect(carte.getByRole('button', { name: 'Vérifier la connexion du profil North broker', exact: true })).toHaveText('Vérifier la connexion')
  await expect(carte.getByRole('button', { name: 'Modifier le profil South broker', exact: true })).toHaveText('Modifier')
  await expect(carte.getByRole('button', { name: 'Supprimer le profil North broker', exact: true })).toHaveText('Supprimer')
})

test('a profile named like another of its kind is refused at the name field, naming the other, in English and French', async ({ app }) => {
  const { page } = app
  await openPage(page, 'Extensions')
  await addBroker(page, 'North broker')
  for (const language of ['en', 'fr'] as const) {
    const t = words(language)
    if (language === 'fr') {
      await switchLanguage(page, 'fr')
      await navigate(page, t, 'extensions')
    }
    const card = page.getByRole('region', { name: t('platform.card.title') })
    await card.getByRole('button', { name: t('extensions.add') }).click()
    const dialog = page.getByRole('dialog', { name: t('platform.form.addTitle') })
    const name = dialog.getByLabel(t('profiles.form.name'))
    await name.fill(' north BROKER ')
    await dialog.getByLabel(t('platform.form.url')).fill('mqtts://broker.example.com:8883')
    await dialog.getByLabel(t('platform.form.clientId')).fill('a:org1:fieldline')
    await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(name).toHaveAttribute('aria-invalid', 'true')
    // Said under the field it is about (the core names the field), not at the form's foot.
    await expect(dialog.getByText(t('profiles.nameTaken', { other: 'North broker' }), { exact: true })).toBeVisible()
    await expect(name).toHaveAccessibleDescription(t('profiles.nameTaken', { other: 'North broker' }))
    await page.keyboard.press('Escape')
    await expect(dialog).toBeHidden()
    await expect(card.getByRole('heading', { name: /north broker/i })).toHaveCount(1)
  }
})
