import { toErrorInfo } from '../common/errors'

/** Errors that mean "the carrier could not be reached", as opposed to "the carrier said no". */
export const UNREACHABLE = new Set(['NETWORK', 'TIMEOUT'])

/** Hears, per carrier account, that a call reached it (true) or could not (false). */
export type ReachListener = (account: string, reached: boolean) => void

/** The account an outbox item is sent through: its carrier and the profile it was queued with. */
export function reachAccount(carrier: string, profileId: string): string {
  return `${carrier}:${profileId}`
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
            (e: unknown) => UNREACHABLE.has(toErrorInfo(e).code) && listener(account, false),
          )
        }
        return result
      }
    },
  })
}
