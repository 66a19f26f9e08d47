/**
 * A job's page opened at an address of no job (cold trial: "#/jobs/<an id that does not exist>" said the request was
 * not valid). A well-formed id the core does not know is said not to exist; an id that could not be a job's is said to
 * be no job id, without asking the core; both offer the way back to the list (isNoSuchJob); other refusals do not.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import '../../src-renderer/src/i18n'
import type { Translate } from '../../src-renderer/src/i18n'
import { errorText } from '../../src-renderer/src/lib/errors'
import { settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { isNoSuchJob, JobRowsList, JobView } = await import('../../src-renderer/src/lib/state/jobs.svelte')

const t: Translate = (key, options) => get(format)(key, options)

beforeEach(() => {
  fake.reset()
  locale.set('en')
})
afterEach(() => locale.set('en'))

describe('a job page at an address of no job', () => {
  it('says a malformed id is no job id, in English and French, and asks the core nothing', () => {
    const view = new JobView('not-a-job', fake, new JobRowsList(fake))
    const stop = view.activate()
    expect(fake.pending('jobs:status')).toHaveLength(0)
    expect(fake.pending('jobs:rows')).toHaveLength(0)
    expect(view.error).not.toBeNull()
    expect(isNoSuchJob(view.error)).toBe(true)
    expect(errorText(t, view.error!)).toBe('“not-a-job” is not a job id: a job id is a “j” followed by 6 to 30 lowercase letters and digits, as in the list of bulk jobs.')
    locale.set('fr')
    expect(errorText(t, view.error!)).toBe(
      '«\u00a0not-a-job\u00a0» n’est pas un identifiant de tâche\u00a0: un identifiant de tâche est un «\u00a0j\u00a0» suivi de 6 à 30 lettres minuscules et chiffres, comme dans la liste des tâches groupées.',
    )
    stop()
  })

  it('says a well-formed id the core does not know does not exist, and tells it from other refusals', async () => {
    const view = new JobView('jzzz9999', fake, new JobRowsList(fake))
    const stop = view.activate()
    fake.answer('jobs:status', { ok: false, error: { code: 'NOT_FOUND', message: 'Job jzzz9999 does not exist', details: { ref: { key: 'jobs.notFound', params: { id: 'jzzz9999' } } } } })
    await settle()
    expect(isNoSuchJob(view.error)).toBe(true)
    expect(errorText(t, view.error!)).toBe('Job jzzz9999 does not exist.')
    locale.set('fr')
    expect(errorText(t, view.error!)).toBe('La tâche jzzz9999 n’existe pas.')
    expect(isNoSuchJob({ code: 'NOT_FOUND', message: 'No profile', details: { ref: { key: 'profiles.noneForCarrier', params: { carrier: 'jasper' } } } })).toBe(false)
    expect(isNoSuchJob({ code: 'VALIDATION', message: 'The request is not valid' })).toBe(false)
    stop()
  })
})
