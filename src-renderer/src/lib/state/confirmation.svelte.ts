import type { Result } from '../../../../src-shared/contract'

/**
 * A question put to the operator about one thing (which profile to delete, which change to queue): what it is about
 * while the dialog is open, and whether the confirmed action is on its way (the dialog then waits for it).
 */
export class Confirmation<T> {
  subject = $state.raw<T | null>(null)
  busy = $state(false)

  ask(subject: T): void {
    this.subject = subject
  }

  /** The operator dismissed the question; an action on its way is waited for. */
  close(): void {
    if (!this.busy) this.subject = null
  }

  /** Runs the confirmed action and closes the question; null when there was none to answer. */
  async run<R>(action: (subject: T) => Promise<Result<R>>): Promise<Result<R> | null> {
    const subject = this.subject
    if (subject === null) return null
    this.busy = true
    const result = await action(subject)
    this.busy = false
    this.subject = null
    return result
  }
}
