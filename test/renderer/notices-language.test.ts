/**
 * A notice stays on screen while the operator works, Settings → Language included: it keeps what to say, and says it
 * in the language of the moment. The cold trial switched English → French and the notice shown before stayed English.
 */
import { get } from 'svelte/store'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ok } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { _, locale } = await import('svelte-i18n')
await import('../../src-renderer/src/i18n')
const { notices } = await import('../../src-renderer/src/lib/state/notices.svelte')
const { TrashState } = await import('../../src-renderer/src/lib/state/trash.svelte')
const { deletionTexts } = await import('../../src-renderer/src/lib/deletion-texts')
const { errorText } = await import('../../src-renderer/src/lib/errors')

/** What the notice stack shows now: each notice's text, and its button's label and name. */
const shown = () => notices.items.map((n) => [n.text(get(_)), n.action && [n.action.label(get(_)), n.action.name(get(_))]])

describe('a notice on screen when the language changes', () => {
  beforeEach(async () => {
    notices.items = []
    fake.reset()
    await locale.set('en')
  })

  it('is written again in the new language, its values kept, its Undo button too', async () => {
    new TrashState().reportDeletion(
      ok({ removed: true as const, trashId: '0123456789abcdef' }),
      deletionTexts('meter/m-1', (t) => t('devices.delete.done', { values: { device: 'meter/m-1' } })),
    )
    notices.push('error', (t) => errorText(t, { code: 'NOT_FOUND', message: 'gone', details: { ref: { key: 'sim.notConfigured', params: { id: 'meter/m-2' } } } }))
    expect(shown()).toEqual([
      ['Device meter/m-1 deleted.', ['Undo', 'Undo: restore meter/m-1']],
      [expect.stringContaining('Device meter/m-2 has no Jasper or AT&T SIM'), undefined],
    ])

    await locale.set('fr')
    const fr = shown()
    expect(fr[0]).toEqual([get(_)('devices.delete.done', { values: { device: 'meter/m-1' } }), [get(_)('trash.undo'), get(_)('trash.undoLabel', { values: { target: 'meter/m-1' } })]])
    expect(fr[0]![0]).not.toBe('Device meter/m-1 deleted.')
    expect(fr[1]![0]).toContain('meter/m-2')
    expect(fr[1]![0]).not.toContain('has no Jasper')

    await locale.set('en')
    expect(shown()[0]).toEqual(['Device meter/m-1 deleted.', ['Undo', 'Undo: restore meter/m-1']])
  })
})
