/**
 * Runs async work one piece at a time, in the order asked: a double click on "start" must not build two of anything.
 * A failure is the caller's to see; the next piece runs anyway.
 */
export function serialiser(): <T>(work: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve()
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work)
    queue = run.catch(() => undefined)
    return run
  }
}

/**
 * `serialiser` apart for each key: work under one key runs one piece at a time, in the order asked; keys do not wait for
 * one another, and a key is forgotten once its last piece has settled.
 */
export function keyedSerialiser(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>()
  return async <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(work)
    const settled = run.catch(() => undefined)
    tails.set(key, settled)
    try {
      return await run
    } finally {
      if (tails.get(key) === settled) tails.delete(key)
    }
  }
}
