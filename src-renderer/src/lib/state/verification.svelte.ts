import type { Result } from '../../../../src-shared/contract'

/**
 * The last "Verify" of a saved configuration, tied to the version it verified (its `updatedAt`): once the settings
 * are saved again it says nothing about them, so it is no longer shown.
 */
export class Verification<T> {
  #last = $state.raw<{ of: string | null; outcome: Result<T> | 'running' } | null>(null)
  readonly #version: () => string | null

  constructor(version: () => string | null) {
    this.#version = version
  }

  /** The outcome for the settings as they are now, 'running' while it is on its way, or null. */
  get shown(): Result<T> | 'running' | null {
    const last = this.#last
    return last && last.of === this.#version() ? last.outcome : null
  }

  async run(verify: () => Promise<Result<T>>): Promise<void> {
    const of = this.#version()
    this.#last = { of, outcome: 'running' }
    this.#last = { of, outcome: await verify() }
  }
}
