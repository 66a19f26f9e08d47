import type { ErrorInfo, Result } from '../../../../src-shared/contract'
import type { TrashEntry } from '../../../../src-shared/models/trash'
import { api } from '../api'
import { focusRestored } from '../restored-focus'
import { EventStore, follow, itemsOf } from './event-store.svelte'
import { notices, type NoticeText } from './notices.svelte'

/** What the notice confirming a deletion says, in the operator's language (the view translates). */
export interface DeletionTexts {
  done: NoticeText
  undo: NoticeText
  /** The Undo button's accessible name ("Undo: restore meter/m-1"). */
  undoName: NoticeText
  restored: NoticeText
  refused: (error: ErrorInfo) => NoticeText
}

/**
 * The trash as the core keeps it: deleted devices, profiles, packages, invitations and alert rules for 30 days. Read while the
 * Trash view is on screen and again on `trash:changed` (a deletion anywhere, a restore, a purge).
 */
export class TrashState extends EventStore<TrashEntry[]> {
  constructor() {
    super(api, { refreshOn: [{ event: 'trash:changed' }], live: 'whileActive' })
    // Another window on the same core (serve mode) may restore the entry or empty the trash: the core tells every
    // window the trash changed, and this one's Undo notices whose entry is gone give way as they do for its own restore.
    this.#stopWithdrawing = follow(api, { refreshOn: [{ event: 'trash:changed' }] }, () => void this.#withdrawGone())
  }

  readonly #stopWithdrawing: () => void

  override dispose(): void {
    super.dispose()
    this.#stopWithdrawing()
  }

  get items(): TrashEntry[] {
    return this.value ?? []
  }

  protected fetch(): Promise<Result<TrashEntry[]>> {
    return itemsOf(api.invoke('trash:list', {}))
  }

  /**
   * The Undo notice of each deletion this window confirmed, by trash entry: a restore from the Trash view or an emptied
   * trash takes it away, for its Undo could then only be refused (cold trial: "no longer in the trash").
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup, never shown: the notices are the state
  #undoNotices = new Map<string, number>()

  #withdrawUndo(trashIds: Iterable<string>): void {
    for (const trashId of [...trashIds]) {
      const id = this.#undoNotices.get(trashId)
      if (id !== undefined) notices.dismiss(id)
      this.#undoNotices.delete(trashId)
    }
  }

  /**
   * Takes away the Undo notices whose entry the trash no longer holds. Only the notices shown before the trash is read
   * are judged: a deletion confirmed while the read was on its way may be missing from an answer read before it.
   */
  async #withdrawGone(): Promise<void> {
    for (const [trashId, id] of this.#undoNotices) if (!notices.items.some((n) => n.id === id)) this.#undoNotices.delete(trashId)
    if (this.#undoNotices.size === 0) return
    const shown = [...this.#undoNotices.keys()]
    const listed = await api.invoke('trash:list', {})
    // Unread (the core out of reach): the notices stay, and an Undo pressed says what the core answers.
    if (!listed.ok) return
    const held = listed.value.items.map((e) => e.id)
    this.#withdrawUndo(shown.filter((trashId) => !held.includes(trashId)))
  }

  async restore(id: string): Promise<Result<{ restored: TrashEntry }>> {
    const result = await this.write(api.invoke('trash:restore', { id }))
    if (result.ok) this.#withdrawUndo([id])
    return result
  }

  async empty(): Promise<Result<{ purged: number }>> {
    const result = await this.write(api.invoke('trash:empty', {}))
    if (result.ok) this.#withdrawUndo(this.#undoNotices.keys())
    return result
  }

  /**
   * Says how a deletion went. A deletion the core acknowledged is confirmed by a notice with an Undo button that
   * restores the trash entry, and that button has the focus (every deletion with Undo alike: a device, a profile, a
   * package, an invitation, an alert rule); the notice then gives way to the restore's outcome, and the focus goes to what came back
   * (the Undo it was on is gone). Returns whether it was deleted.
   */
  reportDeletion(result: Result<{ trashId: string }>, texts: DeletionTexts): boolean {
    if (!result.ok) {
      notices.push('error', texts.refused(result.error))
      return false
    }
    const { trashId } = result.value
    let undone = false
    const id = notices.push('success', texts.done, {
      label: texts.undo,
      name: texts.undoName,
      focus: true,
      run: async () => {
        // A second press while the first is on its way would only be refused (the entry is gone by then).
        if (undone) return
        undone = true
        const restored = await this.restore(trashId)
        this.#withdrawUndo([trashId])
        if (restored.ok) {
          notices.push('success', texts.restored)
          focusRestored(restored.value.restored)
        } else notices.push('error', texts.refused(restored.error))
      },
    })
    this.#undoNotices.set(trashId, id)
    return true
  }
}

export const trash = new TrashState()
