import { ERROR_CODES, type ErrorInfo, type MessageRef } from '../../../src-shared/contract'
import { hasMessage, translateRef, type Translate } from '../i18n'

const UNEXPECTED: ErrorInfo = { code: 'INTERNAL', message: 'Unexpected error' }

/**
 * A browser API's failure (reading a file the operator picked) as an ErrorInfo, so it is shown through the same
 * translation path as a refusal of the core. Calls to the core never throw (lib/api.ts).
 */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof Error) return { ...UNEXPECTED, message: e.message }
  return UNEXPECTED
}

/**
 * The one place that turns a bridge error into text for the operator: the specific message the core
 * referenced when there is one, otherwise the translated meaning of the error code.
 */
export function errorText(t: Translate, error: ErrorInfo): string {
  const generic = ERROR_CODES.includes(error.code) ? t(`errors.code.${error.code}`) : error.message
  const ref = error.details?.ref
  if (ref && hasMessage(ref.key))
    return withCarrierCode(t, translateRef(t, namedJobState(t, namedCarrier(t, ref)), generic, { retrying: error.details?.retrying === true }), error.details?.carrierCode)
  const carrier = error.details?.carrierMessage
  return withCarrierCode(t, carrier ? `${generic} (${carrier})` : generic, error.details?.carrierCode)
}

/** Also 'platform': the core names the IoT platform's broker profiles like a carrier's ("No platform profile yet"). */
const CARRIER_IDS = new Set(['jasper', 'atnt', 'orange', 'platform'])

/** The core names carriers by id ("atnt"); the operator knows them by name ("AT&T"). */
function namedCarrier(t: Translate, ref: MessageRef): MessageRef {
  const carrier = ref.params?.carrier
  if (typeof carrier !== 'string' || !CARRIER_IDS.has(carrier)) return ref
  return { ...ref, params: { ...ref.params, carrier: t(`carriers.${carrier}`) } }
}

/** A job refused for its state: the core names the state by its code ("cancelled"), the job's page by its words. */
function namedJobState(t: Translate, ref: MessageRef): MessageRef {
  const state = ref.params?.state
  if (ref.key !== 'jobs.wrongState' || typeof state !== 'string' || !hasMessage(`jobs.ui.states.${state}`)) return ref
  return { ...ref, params: { ...ref.params, state: t(`jobs.ui.states.${state}`) } }
}

/**
 * The carrier's own error code goes with the text: it is what the carrier's support and documentation know the
 * problem by (10000001 for refused credentials). Messages that already name it are left alone.
 */
function withCarrierCode(t: Translate, text: string, code: string | undefined): string {
  if (!code || text.includes(code)) return text
  return t('errors.carrierCode', { values: { message: text.replace(/\.\s*$/, ''), code } })
}
