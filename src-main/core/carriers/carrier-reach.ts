import { carrierSchema, type Carrier } from '../../../src-shared/models/sim'
import { toErrorInfo } from '../common/errors'
import { RequestAbandoned } from '../http/http-client'

/** Errors that mean "the carrier could not be reached", as opposed to "the carrier said no". */
export const UNREACHABLE = new Set(['NETWORK', 'TIMEOUT'])

/** Hears, per carrier account, that a call reached it (true) or could not (false). */
export type ReachListener = (account: string, reached: boolean) => void

/** The account an outbox item is sent through: its carrier and the profile it was queued with. */
export function reachAccount(carrier: string, profileId: string): string {
  return `${carrier}:${profileId}`
}

/** The carrier kind and profile id of an account named by reachAccount (the id may itself hold colons). */
export function accountParts(account: string): { carrier: Carrier; profileId: string } | null {
  const at = account.indexOf(':')
  const carrier = carrierSchema.safeParse(account.slice(0, at))
  return carrier.success ? { carrier: carrier.data, profileId: account.slice(at + 1) } : null
}

/**
 * Whether a call failed for want of the carrier: a network failure or timeout, or a request given up on at its deadline
 * (read-deadline.ts: a link that stalls mid-answer, which the panels show as a TIMEOUT). A request the operator
 * cancelled, or a bulk job paused, says nothing about the carrier.
 */
function unreachable(e: unknown): boolean {
  return e instanceof RequestAbandoned ? e.timedOut : UNREACHABLE.has(toErrorInfo(e).code)
}

/**
 * Turns each account's reports into its returns: `back` once when a call succeeds after one could not reach the
 * account (not on every success), `lost` each time one could not.
 */
export function watchReturns(on: { lost(account: string): void; back(account: string): void }): ReachListener {
  const away = new Set<string>()
  return (account, reached) => {
    if (!reached) {
      away.add(account)
      on.lost(account)
    } else if (away.delete(account)) on.back(account)
  }
}

/**
 * The client, with every call that returns a promise reported to `listener`: a success, or a carrier that could not be
 * reached. A refusal says neither (it may not have left this computer). The outbox replays what waited for the account
 * when a call succeeds after it could not be reached.
 */
export function observeReach<C extends object>(client: C, account: string, listener: ReachListener): C {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      if (typeof value !== 'function' || property === 'close') return value
      return (...args: unknown[]) => {
        const result: unknown = Reflect.apply(value as (...a: unknown[]) => unknown, target, args)
        if (result instanceof Promise) {
          result.then(
            () => listener(account, true),
            (e: unknown) => unreachable(e) && listener(account, false),
          )
        }
        return result
      }
    },
  })
}
