import type { Diagnostic } from '../../../src-shared/contract'
import { translateRef, type Translate } from '../i18n'

/**
 * What a screen reader says when an editor's problems change (cold trial: invalid JSON or a schema error only marked
 * the editor and the Problems list, which a screen reader never reads out while the operator types). One sentence: how
 * many problems, and where the first one is, so the operator knows without leaving the editor.
 */
export function diagnosticsAnnouncement(t: Translate, diagnostics: readonly Diagnostic[]): string {
  // Errors first: they are what refuses the save.
  const first = diagnostics.find((d) => d.severity === 'error') ?? diagnostics[0]
  return t('editor.announce', {
    values: {
      count: diagnostics.length,
      line: first?.line ?? 0,
      column: first?.column ?? 0,
      message: first ? translateRef(t, first.ref, first.message) : '',
    },
  })
}
