/**
 * The Activity page tells the truth, in English and in French: a carrier that cannot be reached is said as a sentence
 * (where, what failed, what to do — never ECONNREFUSED), a SIM change queued while the Control Center peer drops every
 * connection reads "Queued" with who asked and through which profile, and becomes "Sent" once the outbox delivers it
 * to the peer, which is back. The filters live in the address. Saving a profile puts its API key in the OS keychain,
 * so the serve process needs a D-Bus session with an unlocked keyring (.ci/run provides one).
 */
import type { Page } from '@playwright/test'
import { useControlCenterPeer } from './control-center-world'
import { expect, test } from './fixtures'
import { setEditorText } from './steps'
import { LANGUAGES, addAndOpenDevice, navigate, switchLanguage, words, type Words } from './words'
import { freePort } from '../helpers/ports'

/** Anything shaped like a system, undici or OpenSSL code. */
const CODE = /\b(E[A-Z0-9]{3,}|UND_ERR_[A-Z_]+|HPE_[A-Z_]+|ERR_[A-Z_]+)\b/

const peer = useControlCenterPeer({ devices: 5 })

async function fillProfile(page: Page, t: Words, url: string, apiKey: string): Promise<void> {
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel(t('profiles.form.baseUrl')).fill(url)
  if (apiKey) await dialog.getByLabel(t('profiles.form.apiKey')).fill(apiKey)
  await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
  await expect(dialog).toBeHidden()
}

for (const language of LANGUAGES) {
  test(`${language}: a closed port is said in words, and a queued SIM change becomes Sent in Activity`, async ({ app }) => {
    test.setTimeout(90_000)
    const { page } = app
    const t = words(language)
    const iccid = peer().iccids[0]!
    await switchLanguage(page, language)

    // A profile pointed at a closed port: verifying it says where, what failed and what to do, with no code.
    const port = await freePort()
    await navigate(page, t, 'extensions')
    const card = page.getByRole('region', { name: t('carriers.jasper') })
    await card.getByRole('button', { name: t('extensions.add') }).click()
    await page.getByRole('dialog').getByLabel(t('profiles.form.name')).fill('Lab account')
    await page.getByRole('dialog').getByLabel(t('profiles.form.username')).fill('ops')
    await fillProfile(page, t, `http://127.0.0.1:${port}`, 'test-api-key')
    await card.getByRole('button', { name: t('extensions.verify') }).click()
    const sentence = t('errors.network', { host: `127.0.0.1:${port}`, reason: t('errors.cause.refused') })
    await expect(card.getByRole('status')).toContainText(sentence)
    await expect(card.getByRole('status')).not.toContainText(CODE)

    // The same profile pointed at the peer.
    await card.getByRole('button', { name: t('extensions.edit') }).click()
    await fillProfile(page, t, peer().url, '')

    await addAndOpenDevice(page, t, 'meter', 'act-1')
    await setEditorText(page, `{"jasper": {"iccid": "${iccid}"}}`)
    await page.getByRole('button', { name: t('config.save') }).click()
    const panel = page.getByRole('region', { name: t('sim.panel.jasperTitle') })
    // The SIM is read (and cached) while the peer answers.
    await expect(panel.getByLabel(t('sim.newStatus'))).toBeVisible()

    // The peer drops every connection: the change can only be queued.
    peer().faults.set({ kind: 'drop' })
    await panel.getByRole('button', { name: t('sim.panel.refresh'), exact: true }).click()
    await panel.getByLabel(t('sim.newStatus')).selectOption({ label: t('sim.statuses.deactivated') })
    await expect(panel.getByRole('button', { name: t('sim.queueStatus') })).toBeEnabled()
    await panel.getByRole('button', { name: t('sim.queueStatus') }).click()
    await page
      .getByRole('dialog')
      .getByRole('button', { name: t('sim.queueStatus') })
      .click()
    await expect(page.getByRole('dialog')).toBeHidden()

    // The navigation link also counts the queued change ("Activity, 1 queued change").
    await page
      .getByRole('navigation')
      .getByRole('link', { name: new RegExp(`^${t('nav.activity')}`) })
      .click()
    const trail = page.getByRole('list', { name: t('activity.caption') })
    const queued = trail.getByRole('listitem').filter({ hasText: t('activity.actions.sim_changeStatus_queued') })
    await expect(queued).toContainText(t('activity.outcome.queued'))
    await expect(queued).toContainText(' Lab account')
    await expect(queued).toContainText(t('activity.details.sim_changeStatus_queued', { status: t('sim.statuses.deactivated') }))
    await expect(queued).toContainText(`jasper:${iccid} (meter/act-1)`)

    // The peer is back: the outbox delivers the change, and the same entry now says Sent.
    peer().faults.clear()
    await page.getByRole('button', { name: t('outbox.replay') }).click()
    await expect(queued).toContainText(t('activity.outcome.sent'))
    expect(
      peer()
        .stats()
        .statusChanges.some((c) => c.iccid === iccid && c.status === 'DEACTIVATED'),
    ).toBe(true)

    // A filter is a place in the address: the queued entries alone, and Back shows the whole trail again.
    await page.getByLabel(t('activity.filters.action')).selectOption({ label: t('activity.actions.sim_changeStatus_queued') })
    await expect(page).toHaveURL(/#\/activity\?action=sim\.changeStatus\.queued$/)
    await expect(trail.getByRole('listitem')).toHaveCount(1)
    await page.goBack()
    await expect(page).toHaveURL(/#\/activity$/)
    await expect(trail.getByRole('listitem').filter({ hasText: t('activity.actions.device_add') })).toHaveCount(1)

    // A device typed in the filter, then another view opened at once: the filter, still waiting for typing to pause,
    // must not land in that view's address.
    await page.getByLabel(t('activity.filters.device')).fill('meter/act-1')
    await navigate(page, t, 'devices')
    await expect(page).toHaveURL(/#\/devices$/)
    // Longer than the filter's 300 ms pause, so a call left waiting would have changed the address by now.
    await page.waitForTimeout(600)
    await expect(page).toHaveURL(/#\/devices$/)
  })
}
