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

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id)
  }
}

export const notices = new Notices()
