// The account's request scheduler: an in-flight limit, a start rate that stays at the configured limit, retries
// ahead of requests that have not started, per-resource order, and a slow-down only when refusals are sustained.

export interface GovernorOptions {
  /** Requests in flight at once for the account. Control Center asks for one. */
  concurrency?: number
  /** Requests started per second. Control Center asks for at most 5. `Infinity` disables the cap. */
  perSecond?: number
  /** First retry delay of a refused request; doubles with each of its attempts, with jitter. Default: one rate slot (1 s / perSecond, at least 20 ms), or 250 ms without a rate cap. */
  baseDelayMs?: number
  /** Longest wait the governor imposes, for back-off and for an honoured Retry-After. */
  maxDelayMs?: number
  /** Jitter source in [0, 1); tests pass a fixed one. */
  random?: () => number
}

export interface BackOff {
  /** How long the refused request waits before its retry. */
  delayMs: number
  /** False when the service asked for a longer wait (Retry-After) than the governor is willing to impose. */
  withinLimit: boolean
  /** Whether this refusal made the refusals sustained, so that the whole account now slows down. */
  accountSlowed: boolean
}

export interface GovernorStats {
  queued: number
  running: number
  paused: boolean
  /** Refusals (429, 503, 502, 504) reported so far. */
  refusals: number
  /** Times the account slowed down because refusals were sustained. */
  slowdowns: number
  /** Starts per second allowed now: the configured rate, or less after a slow-down until it recovers. */
  rate: number
}

export interface Governor {
  readonly concurrency: number
  readonly perSecond: number
  /**
   * Runs one attempt of one request under the account's limits. The retry of a refused request passes `retry: true`:
   * it goes ahead of requests that have not started. When `signal` aborts before the attempt starts, it leaves the
   * queue at once and fails with the signal's reason: a read the operator cancelled does not wait for the account.
   */
  run<T>(attempt: () => Promise<T>, options?: { retry?: boolean; signal?: AbortSignal | undefined }): Promise<T>
  /**
   * Runs `request` (all its attempts) after every earlier request given the same `key` has finished, so that changes
   * to one resource (A then B) reach the service in that order even when A has to wait for a retry; requests with
   * other keys go on meanwhile.
   */
  inOrder<T>(key: string, request: () => Promise<T>): Promise<T>
  /**
   * A request was refused (429, 503, or a gateway's 502/504). Returns how long that request alone waits before its
   * retry: the service's Retry-After when present, else an exponential step of its own attempts, with jitter. The
   * account goes on at its rate; only sustained refusals slow it down (see SUSTAINED), for at least `floorMs`.
   */
  refused(retryAfterMs: number | null, attempt: number, floorMs?: number): BackOff
  /** A request went through: the next sustained refusals start the account's pause from its first step again. */
  succeeded(): void
  stats(): GovernorStats
}

/**
 * The start rate is a token bucket (GCRA): one start per slot, and up to a second's slots (at least one) saved while
 * the account had requests waiting but was slower than its rate — a timer that fired late under load, a response
 * slower than a slot, a stalled service or event loop — and spent at once to catch up. Catching up cannot overrun the
 * service: the start-time window below keeps every window of the service's length to its limit. Slots are saved only
 * while requests wait or run: an idle account banks none, since a backlog started in a burst would be followed one
 * window later by a gap as long as the burst was short, and the window would repeat that gap and burst every second
 * (each burst's starts tight against the window's edge, where a request that reaches the service a little late is
 * refused). A second saved covers the stalls a loaded machine shows (test/bench/sim-jobs.bench.ts, a hundred to a few
 * hundred milliseconds): with a tenth of a second, every stall longer than that was lost for good.
 */
const BUCKET_SECONDS = 1
/**
 * Refusals are sustained when, within one second, at least SUSTAINED.min of them came and they are at least
 * SUSTAINED.share of the attempts started in that second. docs/wire/control-center.md §1.2: the account's cap is
 * account-wide and shared with the account's customers and across REST and SOAP, and undocumented beyond that, so a
 * steady stream of 429s means the cap is lower than the configured rate right now (someone else is using it), and
 * going on at full rate would only burn calls: the account then halves its rate and pauses. An isolated 429 or 503
 * (a request that met the cap's edge, a node restarting) is that request's own: it waits and is retried by itself,
 * the way Cisco's sample retries one call (§1.2), while the account keeps its rate.
 */
const SUSTAINED = { min: 3, share: 0.25, windowMs: 1000 }
/** After a slow-down the rate climbs back by a tenth of the configured rate per second without sustained refusals. */
const RECOVERY_PER_SECOND = 0.1

interface Task {
  /** Starts the attempt; `ended` is called when it settles, before the caller hears. */
  start: (ended: () => void) => void
}

export function createGovernor(options: GovernorOptions = {}): Governor {
  const concurrency = options.concurrency ?? 1
  const perSecond = options.perSecond ?? 5
  const capped = Number.isFinite(perSecond)
  // A refused request's first wait is one rate slot: at 50 requests/s a fixed 250 ms would be twelve slots.
  const baseDelayMs = options.baseDelayMs ?? (capped ? Math.max(20, 1000 / perSecond) : 250)
  const maxDelayMs = options.maxDelayMs ?? 30_000
  const random = options.random ?? Math.random
  if (!(concurrency >= 1)) throw new RangeError('concurrency must be at least 1')
  if (!(perSecond > 0)) throw new RangeError('perSecond must be positive')

  // Whole starts per window: a fractional rate (0.5/s) is one start per window of 1000 / rate ms.
  const windowStarts = capped ? Math.max(1, Math.floor(perSecond)) : 0
  const windowMs = capped ? (1000 * windowStarts) / perSecond : 0
  const clock = (): number => performance.now()
  const fresh: Task[] = []
  const retries: Task[] = []
  const tails = new Map<string, Promise<unknown>>()
  /**
   * The last `windowStarts` requests, with the time each one's attempt ended (null while it runs): a request starts
   * only windowMs after the one that many starts before it ended. The service counts a request somewhere between its
   * sending and its answer, and it reaches the service later and more unevenly than it leaves here (by tens of
   * milliseconds when either side's machine is loaded, test/bench/sim-jobs.bench.ts): counted at its end, it cannot
   * fall inside the service's window of a later one, so no margin is kept on the window and none on the rate. A
   * request still running a window after its start is taken to have reached the service by then [I]: a slow or hung
   * one holds the account for one window at most, not until its timeout.
   */
  const recent: { start: number; end: number | null }[] = []
  const attemptsAt: number[] = []
  const refusalsAt: number[] = []
  let running = 0
  let nextSlot = clock()
  /** When the account last had nothing waiting or running (null while it has): idle time saves no slots. */
  let idleSince: number | null = nextSlot
  let pausedUntil = 0
  let timer: NodeJS.Timeout | undefined
  let refusals = 0
  let slowdowns = 0
  let streak = 0
  let slowedRate = perSecond
  let slowedAt = 0

  function rate(now: number): number {
    if (slowedRate >= perSecond) return perSecond
    const climbed = slowedRate + perSecond * RECOVERY_PER_SECOND * Math.floor((now - slowedAt) / 1000)
    return Math.min(perSecond, climbed)
  }

  function trim(times: number[], now: number): void {
    while (times.length > 0 && now - times[0]! >= SUSTAINED.windowMs) times.shift()
  }

  function pump(): void {
    const busy = running > 0 || retries.length > 0 || fresh.length > 0
    if (!busy) idleSince ??= clock()
    else if (idleSince !== null) {
      // The slots saved when it went idle are kept, none is added; a slot reserved then is still waited for (a caller
      // that sends one request after the other keeps its rate).
      nextSlot = Math.max(nextSlot, clock() - Math.max(0, idleSince - nextSlot))
      idleSince = null
    }
    if (timer) return
    while (running < concurrency && (retries.length > 0 || fresh.length > 0)) {
      const now = clock()
      const oldest = capped && recent.length >= windowStarts ? recent[recent.length - windowStarts]! : null
      // While the oldest runs its end is not known yet: the timer waits for the latest it can count, its end pumps sooner.
      const byWindow = oldest ? Math.min(oldest.end ?? Infinity, oldest.start + windowMs) + windowMs : 0
      const at = Math.max(nextSlot, pausedUntil, byWindow)
      if (at > now) {
        timer = setTimeout(
          () => {
            timer = undefined
            pump()
          },
          Math.ceil(at - now),
        )
        return
      }
      const task = retries.shift() ?? fresh.shift()!
      running += 1
      const entry: { start: number; end: number | null } = { start: now, end: null }
      if (capped) {
        const current = rate(now)
        const slot = 1000 / current
        nextSlot = Math.max(nextSlot, now - slot * Math.max(1, Math.floor(current * BUCKET_SECONDS))) + slot
        recent.push(entry)
        if (recent.length > windowStarts) recent.shift()
      }
      attemptsAt.push(now)
      task.start(() => (entry.end = clock()))
    }
  }

  function sustained(now: number): boolean {
    trim(refusalsAt, now)
    trim(attemptsAt, now)
    return refusalsAt.length >= SUSTAINED.min && refusalsAt.length >= SUSTAINED.share * attemptsAt.length
  }

  return {
    concurrency,
    perSecond,
    run(attempt, runOptions) {
      return new Promise((resolve, reject) => {
        const signal = runOptions?.signal
        const queue = runOptions?.retry ? retries : fresh
        const leave = (): void => {
          const at = queue.indexOf(task)
          if (at < 0) return
          queue.splice(at, 1)
          reject(signal?.reason as Error)
          pump()
        }
        const task: Task = {
          // The slot is given back before the caller hears, so the next request starts without waiting for it.
          start: (ended) => {
            signal?.removeEventListener('abort', leave)
            const release = (): void => {
              ended()
              running -= 1
              // A start waiting for the window may wait for this end rather than for its timer.
              if (timer) {
                clearTimeout(timer)
                timer = undefined
              }
              pump()
            }
            attempt().then(
              (value) => {
                release()
                resolve(value)
              },
              (error: unknown) => {
                release()
                reject(error as Error)
              },
            )
          },
        }
        if (signal?.aborted) return reject(signal.reason as Error)
        signal?.addEventListener('abort', leave, { once: true })
        queue.push(task)
        pump()
      })
    },
    inOrder(key, request) {
      const before = tails.get(key) ?? Promise.resolve()
      const result = before.then(request, request)
      const tail = result.then(
        () => undefined,
        () => undefined,
      )
      tails.set(key, tail)
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key)
      })
      return result
    },
    refused(retryAfterMs, attempt, floorMs = 0) {
      refusals += 1
      const now = clock()
      refusalsAt.push(now)
      const step = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 30))
      // "Equal jitter": at least half the step, so the wait always grows, but requests and accounts spread out.
      const jittered = Math.round(step / 2 + random() * (step / 2))
      const asked = retryAfterMs === null ? null : Math.max(retryAfterMs, 0)
      const delayMs = asked === null ? jittered : Math.min(asked, maxDelayMs)
      let accountSlowed = false
      if (sustained(now)) {
        accountSlowed = true
        slowdowns += 1
        streak += 1
        slowedRate = Math.max(capped ? perSecond / 64 : 1, rate(now) / 2)
        slowedAt = now
        const pauseStep = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(streak - 1, 30))
        const pause = asked === null ? Math.max(Math.round(pauseStep / 2 + random() * (pauseStep / 2)), Math.min(floorMs, maxDelayMs)) : Math.min(asked, maxDelayMs)
        pausedUntil = Math.max(pausedUntil, now + pause)
        // The pause saves no slots: the account comes back at its new rate, not in a burst.
        nextSlot = Math.max(nextSlot, pausedUntil)
        // One episode is one slow-down: the refusals that made it do not count again.
        refusalsAt.length = 0
        attemptsAt.length = 0
        if (timer) {
          clearTimeout(timer)
          timer = undefined
        }
        pump()
      }
      return { delayMs, withinLimit: asked === null || asked <= maxDelayMs, accountSlowed }
    },
    succeeded() {
      streak = 0
    },
    stats() {
      return { queued: fresh.length + retries.length, running, paused: pausedUntil > clock(), refusals, slowdowns, rate: rate(clock()) }
    },
  }
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
