/**
 * A job action refused for the job's state (pressed in a second window, or on a job abandoned while it was checked)
 * says that state in the operator's words, as the job's page shows it, never the core's code ("cancelled").
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import type { ErrorInfo } from '../../src-shared/contract'
import type { Translate } from '../../src-renderer/src/i18n'
import { errorText } from '../../src-renderer/src/lib/errors'

const t: Translate = (key, options) => get(format)(key, options)
const STATES = ['draft', 'ready', 'running', 'paused', 'cancelled', 'done'] as const

const refusal = (state: string): ErrorInfo => ({
  code: 'CONFLICT',
  message: `Job jabc123 is ${state}: it cannot be checked now`,
  details: { ref: { key: 'jobs.wrongState', params: { id: 'jabc123', state, action: 'be checked' } } },
})

describe('a job refused for its state', () => {
  for (const language of ['en', 'fr'] as const) {
    it(`${language}: names the state as the job's page does`, () => {
      locale.set(language)
      for (const state of STATES) {
        const text = errorText(t, refusal(state))
        expect(text).toContain(t(`jobs.ui.states.${state}`))
        expect(text).toContain('jabc123')
        if (language === 'fr') expect(text).not.toMatch(new RegExp(`\\b${state}\\b`))
      }
      locale.set('en')
    })
  }

  it('fr: « Abandonnée » in French quotes', () => {
    locale.set('fr')
    expect(errorText(t, refusal('cancelled'))).toBe('La tâche jabc123 est à l’état «\u00a0Abandonnée\u00a0»\u00a0: ce n’est pas possible maintenant.')
    locale.set('en')
  })
})
