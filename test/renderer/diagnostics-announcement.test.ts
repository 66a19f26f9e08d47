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

/** A message without a catalogue entry is said as the core wrote it (translateRef's fallback). */
const diagnostic = (severity: Diagnostic['severity'], line: number, column: number, message: string): Diagnostic => ({
  severity,
  message,
  ref: { key: 'test.noSuchKey' },
  pointer: '',
  line,
  column,
  endLine: line,
  endColumn: column + 1,
})
const warning = diagnostic('warning', 1, 2, 'Unknown extension "bogus".')
const error = diagnostic('error', 3, 14, 'Expected a value.')

afterEach(() => locale.set('en'))

describe('the announcement of an editor’s problems', () => {
  it('says there is none when the document is clean', () => {
    expect(diagnosticsAnnouncement(t, [])).toBe('The document has no problems now.')
  })

  it('counts them and names the first error (what refuses the save) with its place, before any warning', () => {
    expect(diagnosticsAnnouncement(t, [error])).toBe('1 problem, line 3, column 14: Expected a value.')
    expect(diagnosticsAnnouncement(t, [warning, error])).toBe('2 problems; the first, line 3, column 14: Expected a value.')
  })

  it('speaks French in a French window, with its typography', async () => {
    await locale.set('fr')
    expect(diagnosticsAnnouncement(t, [])).toBe('Le document n’a plus aucun problème.')
    expect(diagnosticsAnnouncement(t, [warning, error])).toBe('2 problèmes\u202f; le premier, ligne 3, colonne 14\u00a0: Expected a value.')
  })
})
