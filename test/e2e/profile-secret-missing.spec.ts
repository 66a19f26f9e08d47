/**
 * A profile's secret deleted from the OS keychain outside Fieldline (with the system's keychain tool), in English and
 * French: the card said "API key set" from the profile's document. It now asks the vault (yes or no) and says the key
 * is missing, with the hint to enter it again; entered again through Edit, the card says it is set.
 * The serve process keeps the secret in the session's keyring (.ci/run provides one); `secret-tool` deletes it there.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, test } from './fixtures'
import { LANGUAGES, navigate, switchLanguage, words } from './words'

const run = promisify(execFile)

/** The accounts of Fieldline's entries in the session's keychain. */
async function keychainAccounts(): Promise<string[]> {
  // Only the attribute lines are read: `secret = …` lines (the values) are never kept or printed.
  const { stdout, stderr } = await run('secret-tool', ['search', '--all', '--unlock', 'service', 'fieldline'])
  return `${stdout}\n${stderr}`
    .split('\n')
    .map((line) => /^attribute\.account = (.+)$/.exec(line.trim())?.[1])
    .filter((account): account is string => account !== undefined)
}

/** Deletes a keychain entry as the system's keychain tool does, behind Fieldline's back. */
async function deleteKeychainEntry(account: string): Promise<void> {
  await run('secret-tool', ['clear', 'service', 'fieldline', 'account', account])
}

for (const language of LANGUAGES) {
  test(`a profile card says a secret deleted from the keychain is missing, and set again once entered (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await navigate(page, t, 'extensions')
    const card = page.getByRole('region', { name: t('carriers.jasper') })
    await card.getByRole('button', { name: t('extensions.add') }).click()
    const dialog = page.getByRole('dialog')
    // The session's keyring may hold other tests' entries: this profile's is the one its save adds.
    const before = new Set(await keychainAccounts())
    await dialog.getByLabel(t('profiles.form.name')).fill('Lab account')
    await dialog.getByLabel(t('profiles.form.baseUrl')).fill('https://cc.example.com')
    await dialog.getByLabel(t('profiles.form.username')).fill('ops')
    await dialog.getByLabel(t('profiles.form.apiKey')).fill('e2e-api-key-missing-1')
    await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(dialog).toBeHidden()
    const profile = card.getByRole('article', { name: 'Lab account' })
    await expect(profile).toContainText(t('extensions.apiKeySet'))
    await expect(profile.getByTestId('secrets-missing')).toHaveCount(0)

    const added = (await keychainAccounts()).filter((account) => !before.has(account))
    expect(added).toHaveLength(1)
    expect(added[0]).toMatch(/\/profile:jasper:lab-account-[0-9a-f]{4}\/apiKey$/)
    await deleteKeychainEntry(added[0]!)
    await page.reload()
    await page.waitForSelector('[data-app-state="ready"]')
    await expect(profile.getByTestId('secrets-missing')).toHaveText(t('extensions.secretsMissing', { fields: t('extensions.secretNames.apiKey'), count: 1 }))
    await expect(profile).toContainText(t('extensions.apiKeyMissing'))
    await expect(profile).not.toContainText(t('extensions.apiKeySet'))

    await profile.getByRole('button', { name: t('extensions.editNamed', { name: 'Lab account' }) }).click()
    const edit = page.getByRole('dialog')
    await edit.getByLabel(t('profiles.form.apiKey')).fill('e2e-api-key-missing-2')
    await edit.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(edit).toBeHidden()
    await expect(profile).toContainText(t('extensions.apiKeySet'))
    await expect(profile.getByTestId('secrets-missing')).toHaveCount(0)
  })
}
