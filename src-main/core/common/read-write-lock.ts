interface Waiter {
  write: boolean
  grant(): void
}

/**
 * Many readers or one writer at a time, served in arrival order (a writer waiting keeps later readers waiting, so a
 * stream of reads cannot starve it). For an index that several queries read while batches of updates are applied.
 */
export class ReadWriteLock {
  #readers = 0
  #writing = false
  readonly #waiting: Waiter[] = []

  read<T>(work: () => Promise<T>): Promise<T> {
    return this.#run(false, work)
  }

  write<T>(work: () => Promise<T>): Promise<T> {
    return this.#run(true, work)
  }

  async #run<T>(write: boolean, work: () => Promise<T>): Promise<T> {
    await this.#acquire(write)
    try {
      return await work()
    } finally {
      if (write) this.#writing = false
      else this.#readers--
      this.#drain()
    }
  }

  #free(write: boolean): boolean {
    return write ? !this.#writing && this.#readers === 0 : !this.#writing
  }

  #acquire(write: boolean): Promise<void> {
    if (this.#waiting.length === 0 && this.#free(write)) {
      this.#take(write)
      return Promise.resolve()
    }
    return new Promise((resolve) => this.#waiting.push({ write, grant: resolve }))
  }

  #take(write: boolean): void {
    if (write) this.#writing = true
    else this.#readers++
  }

  #drain(): void {
    while (this.#waiting.length > 0 && this.#free(this.#waiting[0]!.write)) {
      const next = this.#waiting.shift()!
      this.#take(next.write)
      next.grant()
      if (next.write) return
    }
  }
}
