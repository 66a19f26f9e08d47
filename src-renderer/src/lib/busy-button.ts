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
 * section) rather than to the page; gone with its entry (a restored row of the trash), to the entry that took its place. It never leaves a dialog for the page behind: Dialog gives the focus back to the
 * opener when it closes.
 */
export function busyButton(node: HTMLButtonElement, initial: boolean) {
  let on = false
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
  node.addEventListener('click', swallow, { capture: true })
  const focus = handsOverFocus(node)
  set(initial)
  return {
    update: set,
    destroy() {
      node.removeEventListener('click', swallow, { capture: true })
      focus.destroy()
    },
  }
}

/**
 * Svelte action for a control its own action takes away or disables (Clear selection, gone once nothing is selected):
 * when it goes while it has the focus, the focus goes to the nearest control of its group (`handOver`), not to the page.
 * `busyButton` does the same for a button that is busy.
 */
export function handsOverFocus(node: HTMLElement) {
  /** The control's place (its groups, innermost first) when it last got the focus: where to look once it has gone. */
  let place: Place = { groups: [], next: [], previous: [] }
  const remember = () => {
    place = placeOf(node)
  }
  // Chromium blurs a focused button a frame after it is disabled, and at once when it is removed: no relatedTarget. A
  // removed button is blurred while still connected (and Svelte tears the action down once it is gone, the focus
  // already elsewhere): whether it has gone is known once the removal is over.
  const lost = (event: FocusEvent) => {
    if (event.relatedTarget !== null) return
    queueMicrotask(() => {
      if ((node instanceof HTMLButtonElement && node.disabled) || !node.isConnected) handOver(node, place)
    })
  }
  node.addEventListener('focusin', remember)
  node.addEventListener('focusout', lost)
  return {
    destroy() {
      node.removeEventListener('focusin', remember)
      node.removeEventListener('focusout', lost)
      // Torn down before its element leaves the page: the focusout would come too late for the listener.
      if (document.activeElement === node) handOver(node, place)
    },
  }
}

/**
 * What may take the focus a control had: the usual controls, and an element marked `data-focus-fallback` (tabindex -1,
 * not a Tab stop) that says what the action left — the empty state that replaces a list whose last entry went.
 */
const FOCUSABLE = 'a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex]:not([tabindex="-1"]), [data-focus-fallback]'
/** How far the focus may go from a button that has gone: its group, at most the section (or dialog) it was in. */
const BOUNDARY = 'section, article, dialog, [role="dialog"], [role="region"], main'

/**
 * Where an element was: its groups, innermost first, up to its section (or dialog), and for each group the elements
 * beside the step down towards it (the row after and the row before the one it was in). Taken while it is on the page,
 * for `handOver`.
 */
export interface Place {
  groups: Element[]
  /** next[i]: the element after the child of groups[i] that held the element (the element itself for groups[0]). */
  next: (Element | null)[]
  previous: (Element | null)[]
  /**
   * The section (or dialog) the element was in, its parent and its neighbours there: where to look when the section
   * itself was replaced by another (a job's pre-flight section by its summary once the check is over).
   */
  section?: { parent: Element; next: Element | null; previous: Element | null }
}

/** The element's place: what `handOver` searches once it has gone. */
export function placeOf(node: Element): Place {
  const place: Place = { groups: [], next: [], previous: [] }
  let child: Element = node
  for (let at = node.parentElement; at && at !== document.body; child = at, at = at.parentElement) {
    place.groups.push(at)
    place.next.push(child.nextElementSibling)
    place.previous.push(child.previousElementSibling)
    if (at.matches(BOUNDARY)) {
      if (at.parentElement) place.section = { parent: at.parentElement, next: at.nextElementSibling, previous: at.previousElementSibling }
      break
    }
  }
  return place
}

const follows = (from: Element, el: Element): boolean => (from.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0
const precedes = (from: Element, el: Element): boolean => (from.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING) !== 0

/**
 * Once the page has settled (the replacing button is there), a focus left on the page goes to the nearest control of
 * the groups of `node` (its `place`, taken while it was on the page). Dialog uses it too, when its opener can no longer
 * take the focus back (the dialog's outcome disabled or removed it).
 */
export function handOver(node: HTMLElement, place: Place): void {
  setTimeout(() => {
    const current = document.activeElement
    if (current !== null && current !== document.body) return
    for (const [i, group] of place.groups.entries()) {
      if (!group.isConnected) continue
      const items = [...group.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el !== node && el.offsetParent !== null)
      const target = node.isConnected ? beside(node, items) : inPlaceOf(place.next[i] ?? null, place.previous[i] ?? null, group, items)
      if (target) {
        target.focus()
        return
      }
      if (group.matches(BOUNDARY)) return
    }
    const replacing = place.section && inReplacement(place.section)
    replacing?.focus()
  })
}

/**
 * The first control of what took the place of a section that went (between the neighbours it had): a heading marked
 * `data-focus-fallback` comes first in its section, so a screen reader starts reading there.
 */
function inReplacement({ parent, next, previous }: NonNullable<Place['section']>): HTMLElement | undefined {
  if (!parent.isConnected) return undefined
  const within = (el: Element) =>
    (previous === null || (previous.parentElement === parent && follows(previous, el) && !previous.contains(el))) && (next === null || (next.parentElement === parent && precedes(next, el)))
  return [...parent.querySelectorAll<HTMLElement>(FOCUSABLE)].find((el) => el.offsetParent !== null && within(el))
}

/** Still on the page (disabled): the next control after it, else the one before. */
function beside(node: Element, items: HTMLElement[]): HTMLElement | undefined {
  return items.find((el) => follows(node, el)) ?? items.at(-1)
}

/**
 * Gone: the one control now where it was, between its neighbours (Pause replaced by Resume); when several came there
 * (Select all matching brings Clear selection and the selection's actions), the next control, as for the rest. Gone
 * with the entry it was in (a restored row of the trash): the first control of the entry that took its place, else
 * the last one of the entry before it, else the group's first.
 */
function inPlaceOf(next: Element | null, previous: Element | null, group: Element, items: HTMLElement[]): HTMLElement | undefined {
  if (previous !== null || next !== null) {
    const there = items.filter(
      (el) => (previous === null || (previous.parentElement === group && follows(previous, el) && !previous.contains(el))) && (next === null || (next.parentElement === group && precedes(next, el))),
    )
    if (there.length === 1) return there[0]
  }
  const after = next?.parentElement === group ? items.find((el) => el === next || follows(next, el)) : undefined
  const before = previous?.parentElement === group ? items.findLast((el) => el === previous || previous.contains(el) || precedes(previous, el)) : undefined
  return after ?? before ?? items[0]
}
