import type { ErrorInfo, Result } from '../../../../src-shared/contract'
import type { Translate } from '../../i18n'

/**
 * A notice's words: its message key and values, written in the language of the moment each time it is shown. A notice
 * stays on screen, and a switch of language (Settings → Language) must rewrite it like the rest of the window, so it
 * keeps what to say, not the text once said. The values are fixed when the notice is pushed (copy anything that may
 * change, a field's state, before building it); only the words follow the language.
 */
export type NoticeText = (t: Translate) => string

/** A button in a notice (Undo after a deletion): its visible label, its full accessible name, what it does. */
export interface NoticeAction {
  label: NoticeText
  name: NoticeText
  run: () => Promise<void>
  /**
   * The button takes the focus when the notice shows: the Undo of a deletion, the one thing the operator may want next
   * while what had the focus is gone (the notice stack is at the end of the page, many Tabs away).
   */
  focus?: boolean
}

export interface Notice {
  id: number
  /** `error` notices are announced assertively (role=alert), the others politely (role=status). */
  kind: 'info' | 'success' | 'error'
  text: NoticeText
  action?: NoticeAction
}

const LIFETIME_MS = 6000
const MAX_VISIBLE = 4

class Notices {
  items = $state<Notice[]>([])
  #nextId = 1

  /** Returns the notice's id. */
  push(kind: Notice['kind'], text: NoticeText, action?: NoticeAction): number {
    const id = this.#nextId++
    this.items = [...this.items.slice(-(MAX_VISIBLE - 1)), { id, kind, text, ...(action ? { action } : {}) }]
    // Errors stay until dismissed: the operator may need time to read or copy them. So does a notice with an action
    // (Undo): a keyboard or screen-reader user needs the time to reach its button (WCAG 2.2.1).
    if (kind !== 'error' && !action) setTimeout(() => this.dismiss(id), LIFETIME_MS)
    return id
  }

  /** How an action went: the refusal in the operator's words, or `done`. Returns whether it succeeded. */
  report<T>(result: Result<T>, done: (value: T) => NoticeText, refused: (error: ErrorInfo) => NoticeText): boolean {
    if (result.ok) this.push('success', done(result.value))
    else this.push('error', refused(result.error))
    return result.ok
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id)
  }
}

export const notices = new Notices()
