/**
 * What a screen reader hears when the JSON editor's problems change (cold trial: invalid JSON and schema errors were
 * only drawn in the editor and the Problems list, and nothing was said while the operator typed).
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterEach, describe, expect, it } from 'vitest'
import type { Diagnostic } from '../../src-shared/contract'
import type { Translate } from '../../src-renderer/src/i18n'
import '../../src-renderer/src/i18n'
import { diagnosticsAnnouncement } from '../../src-renderer/src/lib/diagnostics-announcement'

const t: Translate = (key, options) => get(format)(key, options)

const warning: Diagnostic = { severity: 'warning', line: 1, column: 2, message: 'Unknown extension "bogus".' }
const error: Diagnostic = { severity: 'error', line: 3, column: 14, message: 'Expected a value.' }

afterEach(() => locale.set('en'))

describe('the announcement of an editor’s problems', () => {
  it('says there is none when the document is clean', () => {
    expect(diagnosticsAnnouncement(t, [])).toBe('No problems found.')
  })

  it('counts them and names the first error (what refuses the save) with its place, before any warning', () => {
    expect(diagnosticsAnnouncement(t, [error])).toBe('1 problem, line 3, column 14: Expected a value.')
    expect(diagnosticsAnnouncement(t, [warning, error])).toBe('2 problems; the first, line 3, column 14: Expected a value.')
  })

  it('speaks French in a French window, with its typography', async () => {
    await locale.set('fr')
    expect(diagnosticsAnnouncement(t, [])).toBe('Aucun problème détecté.')
    expect(diagnosticsAnnouncement(t, [warning, error])).toBe('2 problèmes\u202f; le premier, ligne 3, colonne 14\u00a0: Expected a value.')
  })
})
