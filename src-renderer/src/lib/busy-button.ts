/**
 * Svelte action for a button that is off while an action runs, its own or one it shares a state with:
 * `<button use:busyButton={running}>` instead of `disabled={running}`.
 *
 * A disabled button loses the focus: the browser drops it to the page, the next Tab starts from the top and a screen
 * reader loses its place (cold trial: Enter on "Show events", then Tab went back to the first field). While busy, the
 * button stays focusable instead: aria-disabled says it is unavailable (app.css gives it the look of :disabled), and
 * every activation — a click, Enter, Space, Enter in a field of its form, a `click()` — is swallowed, so the action
 * cannot start twice. The button that had the focus when the work began also carries aria-busy.
 *
 * When the outcome takes the button away while it has the focus — disabled for another reason (Start, once running)
 * or replaced (Resume becomes Pause) — the focus goes to the nearest control of its group (toolbar, cell, form,
 * section) rather than to the page. It never leaves a dialog for the page behind: Dialog gives the focus back to the
 * opener when it closes.
 */
export function busyButton(node: HTMLButtonElement, initial: boolean) {
  let on = false
  /** The button's ancestors, innermost first, when it last got the focus: where to look once it has gone. */
  let path: Element[] = []

  const set = (value: boolean) => {
    if (value === on) return
    on = value
    if (on) {
      node.setAttribute('aria-disabled', 'true')
      if (document.activeElement === node) node.setAttribute('aria-busy', 'true')
    } else {
      node.removeAttribute('aria-disabled')
      node.removeAttribute('aria-busy')
    }
  }

  // Capture, on the button itself: before Svelte's delegated handlers (on the root) and the form's submit.
  const swallow = (event: Event) => {
    if (!on) return
    event.preventDefault()
    event.stopImmediatePropagation()
  }
  const remember = () => {
    path = ancestors(node)
  }
  // Chromium blurs a focused button a frame after it is disabled, and at once when it is removed: no relatedTarget.
  const lost = (event: FocusEvent) => {
    if (event.relatedTarget === null && (node.disabled || !node.isConnected)) handOver(node, path)
  }

  node.addEventListener('click', swallow, { capture: true })
  node.addEventListener('focusin', remember)
  node.addEventListener('focusout', lost)
  set(initial)
  return {
    update: set,
    destroy() {
      node.removeEventListener('click', swallow, { capture: true })
      node.removeEventListener('focusin', remember)
      node.removeEventListener('focusout', lost)
      // Torn down before its element leaves the page: the focusout would come too late for the listener.
      if (document.activeElement === node) handOver(node, path)
    },
  }
}

const FOCUSABLE = 'a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex]:not([tabindex="-1"])'
/** How far the focus may go from a button that has gone: its group, at most the section (or dialog) it was in. */
const BOUNDARY = 'section, article, dialog, [role="dialog"], [role="region"], main'

/** The element's groups, innermost first, up to its section (or dialog): what `handOver` searches, taken while it is on the page. */
export function ancestors(node: Element): Element[] {
  const list: Element[] = []
  for (let at = node.parentElement; at && at !== document.body; at = at.parentElement) {
    list.push(at)
    if (at.matches(BOUNDARY)) break
  }
  return list
}

/**
 * Once the page has settled (the replacing button is there), a focus left on the page goes to the nearest control of
 * `path` (the ancestors of `node`, taken while it was on the page). Dialog uses it too, when its opener can no longer
 * take the focus back (the dialog's outcome disabled or removed it).
 */
export function handOver(node: HTMLElement, path: Element[]): void {
  setTimeout(() => {
    const current = document.activeElement
    if (current !== null && current !== document.body) return
    for (const group of path) {
      if (!group.isConnected) continue
      const items = [...group.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el !== node && el.offsetParent !== null)
      // Still on the page (disabled): the next control after it, else the one before; gone: the group's first.
      const after = node.isConnected ? items.find((el) => node.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) : undefined
      const target = after ?? (node.isConnected ? items.at(-1) : items[0])
      if (target) {
        target.focus()
        return
      }
      if (group.matches(BOUNDARY)) return
    }
  })
}
