/**
 * The carrier reads an operator may still cancel, by the id the caller named them with (`reads:cancel`): a read on a
 * stalled link otherwise holds the panel, and the carrier account with it, until its deadline (read-deadline.ts).
 */
export function createReadCancels() {
  const open = new Map<string, AbortController>()
  return {
    /**
     * Runs `read` with a signal that `cancel(readId)` aborts; without an id the read cannot be cancelled. An id already
     * in use names the later read: the earlier one can no longer be cancelled by it, but still ends by its deadline.
     */
    async run<T>(readId: string | undefined, read: (cancel: AbortSignal | undefined) => Promise<T>): Promise<T> {
      if (readId === undefined) return read(undefined)
      const controller = new AbortController()
      open.set(readId, controller)
      try {
        return await read(controller.signal)
      } finally {
        if (open.get(readId) === controller) open.delete(readId)
      }
    },
    /** Whether a read of that id was still waiting (it is now abandoned). */
    cancel(readId: string): boolean {
      const controller = open.get(readId)
      if (!controller) return false
      open.delete(readId)
      controller.abort()
      return true
    },
  }
}

export type ReadCancels = ReturnType<typeof createReadCancels>
