/**
 * Dates are typed in the order of the interface's language, whatever the browser's: the browser's own date inputs
 * followed the browser's language, so a French window asked for mm/dd/yyyy in an English browser (this test's Chromium
 * runs in English). Activity's range, kept in the address, and a location's "measured at" are typed day first in
 * French and month first in English.
 */
import { expect, test } from './fixtures'
import { addAndOpenDevice, englishThenBack, navigate, switchLanguage, words } from './words'

test('Activity’s days are typed day first in French, a day that does not exist is refused, and English rewrites them month first', async ({ app }) => {
  const { page } = app
  const fr = words('fr')
  const en = words('en')
  await switchLanguage(page, 'fr')
  await navigate(page, fr, 'activity')
  const from = page.getByRole('textbox', { name: fr('activity.filters.from') })
  await expect(from).toHaveAttribute('placeholder', fr('dates.datePlaceholder'))

  // Text that is no date: said under the field with an example, and the address keeps no range.
  await from.fill('hier')
  await from.press('Enter')
  await expect(page.getByText(fr('dates.badDate', { value: 'hier', example: '31/12/2026' }))).toBeVisible()
  await expect(from).toHaveAttribute('aria-invalid', 'true')
  // A day February lacks is in the right form: what is wrong is that the day does not exist (cold trial).
  await from.fill('31/02/2026')
  await from.press('Enter')
  await expect(page.getByText(fr('dates.noSuchDate', { value: '31/02/2026' }))).toBeVisible()
  await expect(from).toHaveAttribute('aria-invalid', 'true')
  expect(new URL(page.url()).hash + new URL(page.url()).search).not.toContain('from=')

  // The 6th of December, written as the French write it, applies as that day.
  await from.fill('6/12/2026')
  await from.press('Tab')
  await expect.poll(() => page.url()).toContain('from=2026-12-06')
  await expect(from).toHaveValue('06/12/2026')
  await expect(from).toHaveAttribute('aria-invalid', 'false')

  // In English the same day reads month first; going back to Activity, the field shows it so.
  await englishThenBack(page)
  await expect(page.getByRole('textbox', { name: en('activity.filters.from') })).toHaveValue('12/06/2026')
})

test('Activity’s filters offer “any” in words that agree with the filter in French: all actions, all actors', async ({ app }) => {
  const { page } = app
  const fr = words('fr')
  await switchLanguage(page, 'fr')
  await navigate(page, fr, 'activity')
  // « Action : Tous » was masculine for une action (cold trial).
  await expect(
    page
      .getByRole('combobox', { name: fr('activity.filters.action') })
      .locator('option')
      .first(),
  ).toHaveText('Toutes les actions')
  await expect(
    page
      .getByRole('combobox', { name: fr('activity.filters.actor') })
      .locator('option')
      .first(),
  ).toHaveText('Tous les acteurs')
})

test('Activity refuses a From after its To, in words, and keeps the range it had', async ({ app }) => {
  const { page } = app
  const fr = words('fr')
  await switchLanguage(page, 'fr')
  await navigate(page, fr, 'activity')
  const from = page.getByRole('textbox', { name: fr('activity.filters.from') })
  const to = page.getByRole('textbox', { name: fr('activity.filters.to') })
  await from.fill('01/12/2026')
  await from.press('Tab')
  await expect(to).toBeFocused()
  await page.keyboard.type('10/12/2026')
  await page.keyboard.press('Enter')
  await expect.poll(() => page.url()).toContain('to=2026-12-10')

  // A start after the end listed nothing, silently: it is now named under the field and the address keeps its range.
  await from.fill('11/12/2026')
  await from.press('Enter')
  await expect(page.getByText(fr('historian.rangeReversed'))).toBeVisible()
  await expect(from).toHaveAttribute('aria-invalid', 'true')
  expect(page.url()).toContain('from=2026-12-01')
  await to.fill('30/11/2026')
  await to.press('Enter')
  await expect(to).toHaveAttribute('aria-invalid', 'true')
  expect(page.url()).toContain('to=2026-12-10')

  // The same day at both ends is a range of one day.
  await to.fill('01/12/2026')
  await to.press('Enter')
  await expect.poll(() => page.url()).toContain('to=2026-12-01')
  await expect(to).toHaveAttribute('aria-invalid', 'false')
})

test('a location’s measured time is typed day first in French, with seconds, and shown as typed', async ({ app }) => {
  const { page } = app
  const fr = words('fr')
  await switchLanguage(page, 'fr')
  await addAndOpenDevice(page, fr, 'meter', 'm-dates')
  const section = page.getByRole('region', { name: fr('location.title') })
  await section.getByRole('button', { name: fr('location.set') }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByRole('textbox', { name: 'Latitude' }).fill('48.39')
  await dialog.getByRole('textbox', { name: 'Longitude' }).fill('-4,49')
  const measured = dialog.getByRole('textbox', { name: fr('location.form.measuredAt') })

  await measured.fill('06/13/2026 17:05')
  await measured.press('Enter')
  await expect(dialog.getByText(fr('dates.noSuchTime', { value: '06/13/2026 17:05', example: '31/12/2026 23:59' }))).toBeVisible()

  await measured.fill('06/12/2026 17:05:09')
  await measured.press('Enter')
  await expect(dialog).toBeHidden()
  await expect(section.getByText(/6 déc\.? 2026.*17:05:09/)).toBeVisible()
})

test.describe('in Pago Pago (UTC−11)', () => {
  // For eleven hours of every day the date there is the day before UTC's: the range must be the operator's days.
  test.use({ timezoneId: 'Pacific/Pago_Pago' })

  test('Activity’s From and To are the operator’s own days: an entry written now is on today’s date there', async ({ app }) => {
    const { page } = app
    const en = words('en')
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe('Pacific/Pago_Pago')
    await addAndOpenDevice(page, en, 'meter', 'tz-1')
    const [today, yesterday] = await page.evaluate(() => {
      const typed = (d: Date) => `${String(d.getMonth() + 1).padStart(2, '0')}/${String(d.getDate()).padStart(2, '0')}/${d.getFullYear()}`
      const now = new Date()
      return [typed(now), typed(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1))]
    })
    await navigate(page, en, 'activity')
    const from = page.getByRole('textbox', { name: en('activity.filters.from') })
    const to = page.getByRole('textbox', { name: en('activity.filters.to') })
    const list = page.getByRole('list', { name: en('activity.caption') })

    for (const field of [from, to]) {
      await field.fill(today)
      await field.press('Enter')
    }
    await expect(list.getByText('meter/tz-1').first()).toBeVisible()

    for (const field of [from, to]) {
      await field.fill(yesterday)
      await field.press('Enter')
    }
    await expect(page.getByText(en('activity.noMatch'))).toBeVisible()
    await expect(list.getByText('meter/tz-1')).toHaveCount(0)
  })
})
