/**
 * Monaco's own strings (find box, context menu, command palette, hovers) in the app's language. The installed
 * monaco-editor ships its translations as scripts that fill one global table (`monaco-editor/nls/lang/fr`), and its
 * modules read that table when they first run: most labels are constants computed then. So the table must be in place
 * before the editor's modules load, and a language chosen afterwards reaches the editor only when the window is
 * loaded again (the editor says so beside itself).
 */
import type { Language } from '../../i18n'
import type * as MonacoModule from './monaco'

let loaded: { language: Language; module: Promise<typeof MonacoModule> } | null = null

/** The editor's module, its strings in `language` when this is the first editor the window shows. */
export function loadMonaco(language: Language): { language: Language; module: Promise<typeof MonacoModule> } {
  loaded ??= { language, module: (language === 'fr' ? import('monaco-editor/nls/lang/fr') : Promise.resolve()).then(() => import('./monaco')) }
  return loaded
}
