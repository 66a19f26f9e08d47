/**
 * A job's page at an address of no job, in English and French (cold trial: "#/jobs/<an id that does not exist>" said
 * the request was not valid). A well-formed id the core does not know: the job does not exist. An id that could not
 * be a job's: it is no job id. Both offer the way back to the list of bulk jobs.
 */
import { expect, test } from './fixtures'
import { LANGUAGES, switchLanguage, words } from './words'

for (const language of LANGUAGES) {
  test(`a job page of no job says so and leads back to the bulk jobs (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)

    await page.evaluate("location.hash = '#/jobs/jnothere1'")
    await expect(page.getByRole('alert')).toHaveText(t('jobs.notFound', { id: 'jnothere1' }))
    await expect(page.getByText(t('errors.code.VALIDATION'))).toHaveCount(0)
    await page.getByRole('link', { name: t('jobs.ui.backToList') }).click()
    await expect(page.getByRole('heading', { level: 1, name: t('jobs.ui.title') })).toBeVisible()

    await page.evaluate("location.hash = '#/jobs/not-a-job'")
    await expect(page.getByRole('alert')).toHaveText(t('jobs.ui.notAJobId', { id: 'not-a-job' }))
    await page.getByRole('link', { name: t('jobs.ui.backToList') }).click()
    await expect(page.getByRole('heading', { level: 1, name: t('jobs.ui.title') })).toBeVisible()
  })
}
