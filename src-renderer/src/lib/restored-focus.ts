import type { TrashEntry } from '../../../src-shared/models/trash'

/**
 * Where the focus goes after an Undo brought a deleted thing back. The Undo button had the focus and goes with its
 * notice; left to itself the focus fell to the page's heading (App's last resort), far from what came back. The pages
 * mark each item with `restoredMark` (attribute RESTORED_ITEM) and the list that holds them (RESTORED_LIST, the item
 * kind): the focus goes to the item once the list shows it again, else to the list's Tab stop.
 */
export const RESTORED_ITEM = 'data-restored-item'
export const RESTORED_LIST = 'data-restored-list'

/** The mark of one item, as the trash names it (`typeId/deviceId`, `extension/id`, the bundle id, `invitation/id`, `alert/id`). */
export function restoredMark(item: TrashEntry['item'], target: string): string {
  return `${item}:${target}`
}

/** How long the list may take to show the item again (its refresh follows the core's change event). */
const WAIT_MS = 3000

/**
 * The element to focus for a marked one: a table row's first cell (the grid's stops are its cells), else itself when
 * focusable, else its Tab stop (a list's roving one before its header's buttons), else its first control.
 */
function stopOf(element: HTMLElement): HTMLElement | null {
  if (element instanceof HTMLTableRowElement) return element.cells[0] ?? null
  if (element.hasAttribute('tabindex')) return element
  return element.querySelector<HTMLElement>('[tabindex="0"]') ?? element.querySelector<HTMLElement>('a[href], button:not(:disabled), input:not(:disabled)')
}

/**
 * Focuses the restored item once its list shows it. Only the lists of its kind are watched (a page may have several:
 * one profile card per extension), for WAIT_MS at most, not the whole document: every mutation of the page would wake
 * a document-wide watch. A list is marked where it stays while it has no item, so the last item's Undo finds it; none
 * on screen means the operator has gone elsewhere, and the focus is theirs.
 */
export function focusRestored(entry: Pick<TrashEntry, 'item' | 'target'>): void {
  const lists = [...document.querySelectorAll<HTMLElement>(`[${RESTORED_LIST}="${CSS.escape(entry.item)}"]`)]
  if (lists.length === 0) return
  const selector = `[${RESTORED_ITEM}="${CSS.escape(restoredMark(entry.item, entry.target))}"]`
  const find = (): HTMLElement | null => {
    for (const list of lists) {
      const element = list.querySelector<HTMLElement>(selector)
      if (element) return stopOf(element)
    }
    return null
  }
  const item = find()
  if (item) {
    item.focus()
    return
  }
  // Meanwhile the list's own stop, when there is one list to choose (of several, the focus would land in another's).
  const fallback = lists.length === 1 ? stopOf(lists[0]!) : null
  fallback?.focus()
  // The focus moves on to the item when it shows, unless the operator has placed it since: it is still where this put
  // it, or where nothing (or App's last resort, the heading) put it.
  const untouched = (): boolean => {
    const current = document.activeElement
    return current === null || current === document.body || current === fallback || current.matches('h1')
  }
  const observer = new MutationObserver(() => {
    const found = find()
    if (!found) return
    stop()
    if (untouched()) found.focus()
  })
  const timer = setTimeout(() => stop(), WAIT_MS)
  function stop(): void {
    observer.disconnect()
    clearTimeout(timer)
  }
  for (const list of lists) observer.observe(list, { childList: true, subtree: true, attributes: true, attributeFilter: [RESTORED_ITEM] })
}
