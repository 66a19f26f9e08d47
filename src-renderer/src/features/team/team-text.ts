import type { InvitationRole, InvitationState, MailLanguage } from '../../../../src-shared/models/mail'
import type { Translate } from '../../i18n'

/** Words for the invitation codes of the Team page. */

export function roleText(t: Translate, role: InvitationRole): string {
  switch (role) {
    case 'administrator':
      return t('team.roles.administrator')
    case 'operator':
      return t('team.roles.operator')
    case 'viewer':
      return t('team.roles.viewer')
  }
}

export function stateText(t: Translate, state: InvitationState): string {
  switch (state) {
    case 'pending':
      return t('team.states.pending')
    case 'sent':
      return t('team.states.sent')
    case 'failed':
      return t('team.states.failed')
    case 'revoked':
      return t('team.states.revoked')
  }
}

/** In a list the language is a fact about the invitation, so it is named in the operator's language. */
export function languageText(t: Translate, language: MailLanguage): string {
  return language === 'fr' ? t('team.languages.fr') : t('team.languages.en')
}
