import type { ErrorInfo, Result } from '../../../../src-shared/contract'

export interface Notice {
  id: number
  /** `error` notices are announced assertively (role=alert), the others politely (role=status). */
  kind: 'info' | 'success' | 'error'
  text: string
}

const LIFETIME_MS = 6000
const MAX_VISIBLE = 4

class Notices {
  items = $state<Notice[]>([])
  #nextId = 1

  push(kind: Notice['kind'], text: string): void {
    const id = this.#nextId++
    this.items = [...this.items.slice(-(MAX_VISIBLE - 1)), { id, kind, text }]
    // Errors stay until dismissed: the operator may need time to read or copy them.
    if (kind !== 'error') setTimeout(() => this.dismiss(id), LIFETIME_MS)
  }

  /** How an action went: the refusal in the operator's words, or `done`. Returns whether it succeeded. */
  report<T>(result: Result<T>, done: (value: T) => string, refused: (error: ErrorInfo) => string): boolean {
    if (result.ok) this.push('success', done(result.value))
    else this.push('error', refused(result.error))
    return result.ok
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id)
  }
}

export const notices = new Notices()
