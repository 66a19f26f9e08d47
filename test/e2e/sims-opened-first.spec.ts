/**
 * The SIMs page opened first, by a reload on it (cold trial: it said "No Jasper, AT&T or Orange profile yet" and offered
 * no Sync while the workspace had a Jasper profile, because the profile lists were read only by the Extensions page and
 * the job dialog). Saving the profile puts its API key in the OS keychain (a D-Bus session with an unlocked keyring).
 */
import { useControlCenterPeer } from './control-center-world'
import { expect, test } from './fixtures'
import { addJasperProfile } from './steps'
import { LANGUAGES, switchLanguage, words } from './words'

const peer = useControlCenterPeer({ devices: 5 })

for (const language of LANGUAGES) {
  test(`the SIMs page reloaded offers each account's sync, and never says there is none (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await addJasperProfile(page, peer().url, 'test-api-key', { t })
    await page.evaluate("location.hash = '#/sims'")
    await page.reload()
    await page.waitForSelector('[data-app-state="ready"]')
    await expect(page.getByRole('heading', { level: 1, name: t('sims.title') })).toBeVisible()
    const accounts = page.getByRole('region', { name: t('sims.sync.label') })
    // Named by its profile's name, not the id the core made of it (lab-account-<random>).
    await expect(accounts.getByRole('button', { name: t('sims.sync.open', { account: 'Jasper · Lab account' }), exact: true })).toBeVisible()
    await expect(accounts.getByText(t('sims.sync.noAccounts'))).toHaveCount(0)
  })
}
