import type { Translate } from '../../i18n'

/**
 * What a profile card says of secrets its document names and the keychain no longer holds (ProfilesState's
 * missingSecrets): which ones, listed as the window's language lists things, and that they must be entered again.
 */
export function missingSecretsText(t: Translate, language: string, fields: readonly string[]): string {
  const names = fields.map((field) => t(`extensions.secretNames.${field}`))
  return t('extensions.secretsMissing', { values: { fields: new Intl.ListFormat(language, { type: 'conjunction' }).format(names), count: fields.length } })
}
