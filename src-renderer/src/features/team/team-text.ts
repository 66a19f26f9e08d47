import type { InvitationRole, InvitationState, MailLanguage } from '../../../../src-shared/models/mail'
import { wordFor, type Translate } from '../../i18n'

/** Words for the invitation codes of the Team page. */

export const roleText = (t: Translate, role: InvitationRole): string => wordFor(t, 'team.roles', role)

export const stateText = (t: Translate, state: InvitationState): string => wordFor(t, 'team.states', state)

/** In a list the language is a fact about the invitation, so it is named in the operator's language. */
export const languageText = (t: Translate, language: MailLanguage): string => wordFor(t, 'team.languages', language)
