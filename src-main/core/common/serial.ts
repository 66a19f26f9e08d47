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
