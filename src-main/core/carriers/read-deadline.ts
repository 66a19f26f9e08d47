import { AppError } from '../common/errors'
import { RequestAbandoned } from '../http/http-client'
import type { ControlCenterClient, DeviceChanges } from './control-center/control-center.client'

/**
 * How long an operator's read of one SIM (every attempt of every call it takes) may last before the panel shows the
 * cached copy instead, and a change of one SIM before its outcome is told (withChangeDeadline): on a link that stalls
 * mid-answer the HTTP timeouts alone (30 s a try, three tries, per call) kept Refresh busy for minutes, and since a
 * carrier account takes one call at a time, held every later call with it.
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
    throw timedOut(ms, where)
  }
}

/**
 * Runs a change of one SIM (its state, its rate plan) under the same deadline as a read. A change given up on before
 * any attempt left (the link would not even connect) changed nothing: a TIMEOUT, like a read. One given up on after it
 * was sent reached the carrier, which may have applied it though its answer never came back: UNKNOWN_OUTCOME, so the
 * operator reads the SIM's state rather than retry a change that already happened.
 */
export async function withChangeDeadline<T>(ms: number, where: { service: string; host: string }, change: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = AbortSignal.timeout(ms)
  try {
    return await change(deadline)
  } catch (e) {
    // Abandoned for another reason the caller joined to the deadline (a bulk job paused): the caller's to judge.
    if (!(e instanceof RequestAbandoned) || !deadline.aborted) throw e
    if (!e.sent) throw timedOut(ms, where)
    const seconds = secondsOf(ms)
    throw AppError.withRef(
      'UNKNOWN_OUTCOME',
      `${where.service} (${where.host}) did not answer within ${seconds} s after the change was sent: it may have been applied. Read the SIM's state before trying again.`,
      { key: 'sim.changeUnknown', params: { host: where.host, seconds } },
    )
  }
}

/** Where a Control Center client's calls go, as the deadlines' messages name it. */
export const controlCenterWhere = (client: ControlCenterClient): { service: string; host: string } => ({ service: 'Control Center', host: new URL(client.urls.rest).host })

/**
 * A Control Center SIM change (its state, its rate plan) under the change deadline, from the panel, the CLI or a bulk
 * job alike; `abandon`: the caller's own stop (a paused job), which the caller judges.
 */
export function editDeviceWithin(client: ControlCenterClient, iccid: string, changes: DeviceChanges, ms: number, abandon?: AbortSignal): Promise<{ iccid: string }> {
  return withChangeDeadline(ms, controlCenterWhere(client), (deadline) => client.editDevice(iccid, changes, { signal: abandon ? AbortSignal.any([abandon, deadline]) : deadline }))
}

const secondsOf = (ms: number): number => Math.round(ms / 100) / 10

function timedOut(ms: number, where: { service: string; host: string }): AppError {
  const seconds = secondsOf(ms)
  return AppError.withRef('TIMEOUT', `${where.service} (${where.host}) did not answer within ${seconds} s`, { key: 'errors.timeout', params: { host: where.host, seconds } })
}
