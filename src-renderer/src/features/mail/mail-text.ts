import { ERROR_CODES, type ErrorInfo, type ErrorCode, type MessageRef } from '../../../../src-shared/contract'
import type { MailFailure, MailMode, SmtpSecurity } from '../../../../src-shared/models/mail'
import { hasMessage, translateRef, wordFor, type Translate } from '../../i18n'
import { errorText } from '../../lib/errors'

/** Words for the email extension's codes, shared by the Email card and the Team page. */
export const modeText = (t: Translate, mode: MailMode): string => wordFor(t, 'mail.modes', mode)

export const securityText = (t: Translate, security: SmtpSecurity): string => wordFor(t, 'mail.security', security)

/** A bridge path ('settings.adminName', 'to.address') as the field it is about, by the name its label has. */
export function fieldKeyOf(path: string): string {
  switch (path) {
    case 'from.name':
      return 'senderName'
    case 'from.address':
      return 'senderAddress'
    case 'to.address':
      return 'to'
    case 'to.name':
      return 'name'
    default:
      return path.split('.').pop() ?? path
  }
}

/**
 * The core names fields by their bridge path ('settings.adminName') and modes by id ('smtp'); the operator knows
 * them by their labels. `mail.secretRequired` chooses its words from the mode id itself, so that one is left alone.
 */
export function localiseRef(t: Translate, ref: MessageRef): MessageRef {
  const params = { ...ref.params }
  if (typeof params.field === 'string') {
    const key = `mail.fieldNames.${fieldKeyOf(params.field)}`
    if (hasMessage(key)) params.field = t(key)
  }
  if (ref.key === 'mail.modeNotConfigured' && (params.mode === 'sendgridApiKey' || params.mode === 'smtp' || params.mode === 'sendgridUsername')) {
    params.mode = modeText(t, params.mode)
  }
  return { ...ref, params }
}

/** A message reference of the email forms or the core, in the operator's language. */
export function mailRefText(t: Translate, ref: MessageRef): string {
  return translateRef(t, localiseRef(t, ref), ref.key)
}

/** errorText, with the email extension's field and mode names translated. */
export function mailErrorText(t: Translate, error: ErrorInfo): string {
  const ref = error.details?.ref
  if (!ref) return errorText(t, error)
  return errorText(t, { ...error, details: { ...error.details, ref: localiseRef(t, ref) } })
}

function isErrorCode(code: string): code is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code)
}

/** Why an invitation could not be sent, as kept with it: the same translation path as any bridge error. */
export function failureText(t: Translate, failure: MailFailure): string {
  const code: ErrorCode = isErrorCode(failure.code) ? failure.code : 'INTERNAL'
  return mailErrorText(t, { code, message: failure.message, ...(failure.ref ? { details: { ref: failure.ref } } : {}) })
}
