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
export function rangeBatches<B extends IteratorBounds>(open: (bounds: B) => LevelIterator, bounds: B): BatchReader {
  let it = open(bounds)
  let fast = bindingNext()
  if (it.context === undefined || it.context === null) fast = undefined
  /** The binding's last answer not yet handed on: value then key, last entry first. */
  let cache: string[] = []
  let finished = false
  let last: string | undefined

  /** One trip to the binding's thread; false when its answer has a shape not known here. */
  const fetch = (next: BindingNext) =>
    new Promise<boolean>((resolve, reject) => {
      try {
        next(it.context, (error, array, end) => {
          if (error) return reject(error)
          const batch = bindingBatch(array, end)
          if (!batch) return resolve(false)
          cache = batch.array
          finished = batch.finished
          resolve(true)
        })
      } catch {
        resolve(false)
      }
    })
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
