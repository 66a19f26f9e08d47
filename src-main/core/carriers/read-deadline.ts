import { AppError } from '../common/errors'
import { RequestAbandoned } from '../http/http-client'

/**
 * How long an operator's read of one SIM (every attempt of every call it takes) may last before the panel shows the
 * cached copy instead: on a link that stalls mid-answer the HTTP timeouts alone (30 s a try, three tries, per call)
 * kept Refresh busy for minutes, and since a carrier account takes one call at a time, held every later call with it.
 */
export const SIM_READ_DEADLINE_MS = 20_000

/**
 * Runs a read with a signal that gives up after `ms`; a read given up on is a TIMEOUT naming the carrier's host, which
 * the panels show beside the cached copy, as for any carrier that cannot be reached.
 */
export async function withReadDeadline<T>(ms: number, where: { service: string; host: string }, read: (signal: AbortSignal) => Promise<T>): Promise<T> {
  try {
    return await read(AbortSignal.timeout(ms))
  } catch (e) {
    if (!(e instanceof RequestAbandoned)) throw e
    const seconds = Math.round(ms / 100) / 10
    throw AppError.withRef('TIMEOUT', `${where.service} (${where.host}) did not answer within ${seconds} s`, { key: 'errors.timeout', params: { host: where.host, seconds } })
  }
}
