import { AppError } from '../common/errors'
import { RequestAbandoned } from '../http/http-client'

/**
 * How long an operator's read of one SIM (every attempt of every call it takes) may last before the panel shows the
 * cached copy instead: on a link that stalls mid-answer the HTTP timeouts alone (30 s a try, three tries, per call)
 * kept Refresh busy for minutes, and since a carrier account takes one call at a time, held every later call with it.
 */
export const SIM_READ_DEADLINE_MS = 20_000

/**
 * Runs a read with a signal that gives up after `ms`, or when `cancel` aborts (the operator cancelled it: read-cancels.ts).
 * A read given up on is a TIMEOUT naming the carrier's host, which the panels show beside the cached copy, as for any
 * carrier that cannot be reached; a cancelled one is CANCELLED, which says nothing about the carrier.
 */
export async function withReadDeadline<T>(ms: number, where: { service: string; host: string }, read: (signal: AbortSignal) => Promise<T>, cancel?: AbortSignal): Promise<T> {
  const deadline = AbortSignal.timeout(ms)
  try {
    return await read(cancel ? AbortSignal.any([deadline, cancel]) : deadline)
  } catch (e) {
    if (!(e instanceof RequestAbandoned)) throw e
    if (cancel?.aborted) throw AppError.withRef('CANCELLED', `The read from ${where.service} (${where.host}) was cancelled`, { key: 'errors.readCancelled' })
    const seconds = Math.round(ms / 100) / 10
    throw AppError.withRef('TIMEOUT', `${where.service} (${where.host}) did not answer within ${seconds} s`, { key: 'errors.timeout', params: { host: where.host, seconds } })
  }
}
