import { leveldownBinding } from './level-backend'

type Entry = [key: string, value: string]

/**
 * A leveldown iterator as abstract-leveldown 7 offers it (`next` one entry per callback, `end`), and the handle of the
 * binding's own iterator that leveldown 6 keeps on it (`context`).
 */
export interface LevelIterator {
  context?: unknown
  next(callback: (error: Error | null | undefined, key?: string, value?: string) => void): void
  end(callback: (error?: Error | null) => void): void
}

export interface IteratorBounds {
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  reverse?: boolean
}

export interface BatchReader {
  /** The next entries, at most `max`; `done` once the range is exhausted. */
  read(max: number): Promise<{ entries: Entry[]; done: boolean }>
  end(): Promise<void>
}

type BindingNext = (context: unknown, callback: (error: Error | null, array?: unknown, finished?: unknown) => void) => void

/**
 * leveldown 6.1.1's private binding call, when the installed leveldown has it: each trip to its thread answers up to
 * 1000 entries as one array (each entry's value then its key, last entry first), where the public iterator hands them
 * on one callback and one tick each, which was most of the CPU of a walk through a million rows. It is not part of
 * leveldown's API, so an upgrade may drop or change it: then the public iterator serves, slower but right.
 */
function bindingNext(): BindingNext | undefined {
  const next = leveldownBinding.iterator_next
  return typeof next === 'function' ? (next as BindingNext) : undefined
}

/** The binding's answer, when it has the shape leveldown 6.1.1 gives it. */
function bindingBatch(array: unknown, finished: unknown): { array: string[]; finished: boolean } | undefined {
  if (!Array.isArray(array) || array.length % 2 !== 0 || typeof finished !== 'boolean' || !array.every((x) => typeof x === 'string')) return undefined
  return { array: array as string[], finished }
}

/** The same range, from just after `last` (the last entry handed on) in the direction read. */
function after(bounds: IteratorBounds, last: string): IteratorBounds {
  if (bounds.reverse) {
    const { lt: _lt, lte: _lte, ...rest } = bounds
    return { ...rest, lt: last }
  }
  const { gt: _gt, gte: _gte, ...rest } = bounds
  return { ...rest, gt: last }
}

/**
 * Reads the range `open(bounds)` iterates a batch at a time: through the binding's batches when this leveldown has
 * them, otherwise (or from the first answer in a shape not known here) through the public iterator, reopened after
 * the last entry already handed on.
 */
export function rangeBatches<B extends IteratorBounds>(open: (bounds: B) => LevelIterator, bounds: B, expected = 0): BatchReader {
  let it = open(bounds)
  let fast = bindingNext()
  if (it.context === undefined || it.context === null) fast = undefined
  /** The binding's last answer not yet handed on: value then key, last entry first. */
  let cache: string[] = []
  let finished = false
  let last: string | undefined
  /** Entries the binding has answered so far. */
  let fetched = 0
  /** A trip started before its entries were asked for (see `expected`). */
  let ahead: Promise<{ array: string[]; finished: boolean } | undefined> | undefined

  /** One trip to the binding's thread; undefined when its answer has a shape not known here. */
  const trip = (next: BindingNext) =>
    new Promise<{ array: string[]; finished: boolean } | undefined>((resolve, reject) => {
      try {
        next(it.context, (error, array, end) => (error ? reject(error) : resolve(bindingBatch(array, end))))
      } catch {
        resolve(undefined)
      }
    })
  /** The next answer (the one read ahead, if any) in `cache`; false when its shape is not known here. */
  const fetch = async (next: BindingNext) => {
    const batch = await (ahead ?? trip(next))
    ahead = undefined
    if (!batch) return false
    cache = batch.array
    finished = batch.finished
    fetched += batch.array.length / 2
    // While the caller handles these entries the binding's thread reads the next ones, when the caller said it means to
    // read that far (a term's postings read whole: the thread's reading and this thread's handling overlap, instead of
    // taking turns). Started here, after the binding's callback has returned: a trip asked for inside it would run while
    // the binding still counts the previous one as under way. A failure is met by the read that awaits it.
    if (!finished && fetched < expected) {
      ahead = trip(next)
      ahead.catch(() => undefined)
    }
    return true
  }
  const endIterator = (ending: LevelIterator) => new Promise<void>((resolve) => ending.end(() => resolve()))
  const publicNext = () => new Promise<Entry | undefined>((resolve, reject) => it.next((error, key, value) => (error ? reject(error) : resolve(key === undefined ? undefined : [key, value ?? '']))))

  return {
    async read(max) {
      const entries: Entry[] = []
      while (entries.length < max) {
        if (fast) {
          if (cache.length === 0) {
            if (finished) return { entries, done: true }
            if (await fetch(fast)) continue
            fast = undefined
            await endIterator(it)
            it = open(last === undefined ? bounds : (after(bounds, last) as B))
            continue
          }
          const key = cache.pop()!
          entries.push([key, cache.pop()!])
          last = key
          continue
        }
        if (finished) return { entries, done: true }
        const entry = await publicNext()
        if (!entry) {
          finished = true
          return { entries, done: true }
        }
        entries.push(entry)
        last = entry[0]
      }
      return { entries, done: finished && cache.length === 0 }
    },
    end: () => endIterator(it),
  }
}
