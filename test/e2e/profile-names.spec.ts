/**
 * A profile's buttons say which profile they act on (cold trial: « Modifier », « Supprimer » and « Vérifier la
 * connexion » were read out alike on every profile card, so a screen reader's list of buttons could not tell them apart).
 * Two MQTT broker profiles without a password: nothing goes to the keychain.
 */
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { openPage } from './steps'
import { switchLanguage } from './words'

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
