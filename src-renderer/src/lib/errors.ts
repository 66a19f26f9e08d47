import { ERROR_CODES, type BridgeError } from '../../../src-preload/contract'
import { hasMessage, translateRef, type Translate } from '../i18n'
import { BridgeCallError } from './api'

const UNEXPECTED: BridgeError = { code: 'INTERNAL', message: 'Unexpected error' }

/** Any thrown value as a BridgeError, so every failure is shown through the same translation path. */
export function toBridgeError(e: unknown): BridgeError {
  if (e instanceof BridgeCallError) return e.error
  if (e instanceof Error) return { ...UNEXPECTED, message: e.message }
  return UNEXPECTED
}

/**
 * The one place that turns a bridge error into text for the operator: the specific message the core
 * referenced when there is one, otherwise the translated meaning of the error code.
 */
export function errorText(t: Translate, error: BridgeError): string {
  const generic = ERROR_CODES.includes(error.code) ? t(`errors.code.${error.code}`) : error.message
  const ref = error.details?.ref
  if (ref && hasMessage(ref.key)) return translateRef(t, ref, generic)
  const carrier = error.details?.carrierMessage
  return carrier ? `${generic} (${carrier})` : generic
}
