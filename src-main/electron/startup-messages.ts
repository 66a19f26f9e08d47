/**
 * The texts of the dialogs main shows when Fieldline cannot start. No window exists yet and the workspace (where
 * the operator's language is saved) may be what failed, so the language is the system's, and the texts come
 * from the renderer's own catalogues: one source for every translated string. Pure (no 'electron' import).
 */
import en from '../../src-renderer/src/i18n/en.json'
import fr from '../../src-renderer/src/i18n/fr.json'
import { isAppError } from '../core/common/errors'
import { NativeModuleError } from './native-modules'

export type StartupLanguage = 'en' | 'fr'
type Catalogue = { [key: string]: string | Catalogue }
const CATALOGUES: Record<StartupLanguage, Catalogue> = { en, fr }

/** The first of the system's preferred languages that Fieldline speaks (`fr-CA` is French), else English. */
export function startupLanguage(preferred: readonly string[]): StartupLanguage {
  for (const tag of preferred) {
    const primary = tag.toLowerCase().split(/[-_]/)[0]
    if (primary === 'en' || primary === 'fr') return primary
  }
  return 'en'
}

function lookup(catalogue: Catalogue, key: string): string | undefined {
  let node: string | Catalogue | undefined = catalogue
  for (const part of key.split('.')) node = typeof node === 'object' ? node[part] : undefined
  return typeof node === 'string' ? node : undefined
}

/**
 * A message by key with `{name}` placeholders filled; English when the language lacks it. The start-up texts
 * use plain placeholders only, so no ICU engine is loaded into main for them.
 */
export function startupText(language: StartupLanguage, key: string, params: Readonly<Record<string, string | number>> = {}): string {
  const template = lookup(CATALOGUES[language], key) ?? lookup(CATALOGUES.en, key) ?? key
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole))
}

export interface StartupFailure {
  title: string
  message: string
}

/** What the failure dialog says for an error that stopped start-up, in the operator's system language. */
export function startupFailure(error: unknown, language: StartupLanguage, platform: string = `${process.platform} ${process.arch}`): StartupFailure {
  if (error instanceof NativeModuleError) {
    const { module, kind, builtFor, needs, detail } = error.problem
    return {
      title: startupText(language, 'startup.nativeTitle'),
      message: startupText(language, `startup.native.${kind}`, { module, builtFor: builtFor ?? '?', needs: needs ?? '?', platform, detail }),
    }
  }
  if (isAppError(error)) {
    const title = startupText(language, error.code === 'VAULT_UNAVAILABLE' ? 'startup.vaultTitle' : 'startup.failedTitle')
    const ref = error.details?.ref
    const translated = ref && lookup(CATALOGUES.en, ref.key) !== undefined
    return { title, message: translated ? startupText(language, ref.key, ref.params ?? {}) : error.message }
  }
  return { title: startupText(language, 'startup.failedTitle'), message: error instanceof Error ? error.message : String(error) }
}
