/**
 * What a failed delivery means for the events it carried, decided where the service's answer is understood (the
 * sinks) and acted on in one place (destination.ts):
 * - 'retry': the service is busy or away (429, 5xx, a dropped or refused connection, a timeout): try again after
 *   `retryAfterMs` when the service said, else after the back-off;
 * - 'split': the request was too large (413): send the batch in halves, and a single event that is still too large is
 *   refused for good;
 * - 'stop': retrying cannot help (403, credentials refused after one refresh, a certificate that does not verify):
 *   the destination stops with the reason and keeps its queue until the operator fixes the cause and resumes it.
 */
import type { ErrorCode, MessageRef } from '../../../src-shared/contract'
import { AppError, isAppError } from '../common/errors'

export type Verdict = 'retry' | 'split' | 'stop'

export class DeliveryError extends AppError {
  readonly verdict: Verdict
  readonly retryAfterMs: number | null

  constructor(verdict: Verdict, code: ErrorCode, message: string, ref: MessageRef, retryAfterMs: number | null = null) {
    super(code, message, { ref })
    this.verdict = verdict
    this.retryAfterMs = retryAfterMs
  }
}

/** An error from the HTTP factory or a client library, as a delivery verdict. */
export function asDeliveryError(e: unknown): DeliveryError {
  if (e instanceof DeliveryError) return e
  if (isAppError(e)) {
    const ref = e.details?.ref ?? { key: 'historian.deliveryFailed', params: { reason: e.message.slice(0, 200) } }
    // A certificate or a refused key will not change by waiting; a network or a timeout will.
    const verdict: Verdict = e.code === 'TLS' || e.code === 'AUTH_FAILED' || e.code === 'FORBIDDEN' || e.code === 'VALIDATION' ? 'stop' : 'retry'
    return new DeliveryError(verdict, e.code, e.message, ref)
  }
  const message = e instanceof Error ? e.message : String(e)
  return new DeliveryError('retry', 'NETWORK', message.slice(0, 300), { key: 'historian.deliveryFailed', params: { reason: message.slice(0, 200) } })
}
