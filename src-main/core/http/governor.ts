// p-queue gives the in-flight limit, a sliding-window start rate and pause/resume with priorities; the one thing
// added here is the account-wide back-off that a 429/503 (or a failing connection) triggers.
import PQueue from 'p-queue'

export interface GovernorOptions {
  /** Requests in flight at once for the account. Control Center asks for one. */
  concurrency?: number
  /** Requests started per second (sliding window). Control Center asks for at most 5. `Infinity` disables the cap. */
  perSecond?: number
  /** First back-off delay; doubles with each consecutive failure, with jitter. Default: one rate slot (1 s / perSecond, at least 20 ms), or 250 ms without a rate cap. */
  baseDelayMs?: number
  /** Longest pause the governor imposes, for back-off and for an honoured Retry-After. */
  maxDelayMs?: number
  /** Jitter source in [0, 1); tests pass a fixed one. */
  random?: () => number
}

export interface BackOff {
  /** How long the account is now paused. */
  delayMs: number
  /** False when the service asked for a longer wait (Retry-After) than the governor is willing to pause. */
  withinLimit: boolean
}

export interface GovernorStats {
  queued: number
  running: number
  paused: boolean
  backOffs: number
}

export interface Governor {
  readonly concurrency: number
  readonly perSecond: number
  /**
   * Runs one attempt of one request under the account's limits. Attempts of a request being retried pass
   * `retry: true`: they go ahead of requests that have not started, so a sequence of changes to the same SIM
   * (A then B) still reaches the service in that order when A had to be retried.
   */
  run<T>(attempt: () => Promise<T>, options?: { retry?: boolean }): Promise<T>
  /**
   * Pauses the whole account: requests already waiting, and the retry of the request that met the trouble,
   * start only when the pause ends. Call it from inside the attempt, before it returns, so that no waiting
   * request slips in between. `retryAfterMs` is the service's own Retry-After, honoured when present; without
   * one, the pause is at least `floorMs` (a service whose limit is counted per second needs a whole second).
   */
  backOff(retryAfterMs?: number | null, floorMs?: number): BackOff
  /** A request went through: the next trouble starts the back-off from its first step again. */
  succeeded(): void
  stats(): GovernorStats
}

/**
 * Request starts are counted on this side of the network; requests reach the service a little later and
 * unevenly (the first one also pays for the TLS handshake), so a window exactly as long as the service's would
 * sometimes let one request too many land inside it. A small margin avoids provoking the 429 we then have to
 * wait out.
 */
const WINDOW_MARGIN = 1.05

export function createGovernor(options: GovernorOptions = {}): Governor {
  const concurrency = options.concurrency ?? 1
  const perSecond = options.perSecond ?? 5
  // An isolated 429/503 costs one rate slot, not a fixed quarter second: at 50 requests/s a fixed 250 ms would
  // spend twelve slots per hiccup. Repeated trouble still doubles from there.
  const baseDelayMs = options.baseDelayMs ?? (Number.isFinite(perSecond) ? Math.max(20, 1000 / perSecond) : 250)
  const maxDelayMs = options.maxDelayMs ?? 30_000
  const random = options.random ?? Math.random
  if (!(concurrency >= 1)) throw new RangeError('concurrency must be at least 1')
  if (!(perSecond > 0)) throw new RangeError('perSecond must be positive')

  const queue = new PQueue({ concurrency, ...rateOptions(perSecond) })
  let streak = 0
  let backOffs = 0
  let pausedUntil = 0
  let timer: NodeJS.Timeout | undefined

  const resume = (): void => {
    timer = undefined
    const left = pausedUntil - Date.now()
    if (left > 0) {
      timer = setTimeout(resume, left)
      return
    }
    queue.start()
  }

  return {
    concurrency,
    perSecond,
    run(attempt, runOptions) {
      return queue.add(attempt, { priority: runOptions?.retry ? 1 : 0 })
    },
    backOff(retryAfterMs, floorMs = 0) {
      streak += 1
      backOffs += 1
      const step = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(streak - 1, 30))
      // "Equal jitter": at least half the step, so the pause always grows, but accounts sharing a service spread out.
      const jittered = Math.round(step / 2 + random() * (step / 2))
      const asked = retryAfterMs ?? null
      const delayMs = asked === null ? Math.max(jittered, Math.min(floorMs, maxDelayMs)) : Math.min(Math.max(asked, 0), maxDelayMs)
      const until = Date.now() + delayMs
      if (until > pausedUntil) pausedUntil = until
      queue.pause()
      if (timer) clearTimeout(timer)
      timer = setTimeout(resume, Math.max(0, pausedUntil - Date.now()))
      return { delayMs, withinLimit: asked === null || asked <= maxDelayMs }
    },
    succeeded() {
      streak = 0
    },
    stats() {
      return { queued: queue.size, running: queue.pending, paused: queue.isPaused, backOffs }
    },
  }
}

function rateOptions(perSecond: number): { intervalCap?: number; interval?: number; strict?: boolean } {
  if (!Number.isFinite(perSecond)) return {}
  // p-queue counts whole starts per window; a fractional rate becomes one start per (1000 / rate) ms.
  if (Number.isInteger(perSecond)) return { intervalCap: perSecond, interval: Math.ceil(1000 * WINDOW_MARGIN), strict: true }
  return { intervalCap: 1, interval: Math.ceil((1000 / perSecond) * WINDOW_MARGIN), strict: true }
}

/**
 * One governor per account, i.e. per API base URL and user name: two clients built for the same account (a
 * profile edited and re-opened, REST and SOAP of one Control Center user) must share its limits.
 */
export function createGovernorRegistry(): { forAccount(baseUrl: string, username: string, options?: GovernorOptions): Governor } {
  const governors = new Map<string, Governor>()
  return {
    forAccount(baseUrl, username, options) {
      const key = `${baseUrl.replace(/\/+$/, '')}\n${username}`
      let governor = governors.get(key)
      if (!governor) {
        governor = createGovernor(options)
        governors.set(key, governor)
      }
      return governor
    },
  }
}
