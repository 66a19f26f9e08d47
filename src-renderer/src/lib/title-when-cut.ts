/**
 * Svelte action: a cell whose text the column cuts (ellipsis) shows it whole as a tooltip, and only then — a title
 * on every cell would repeat what is already readable. Measured when the pointer comes (widths change, and a tooltip
 * only shows under the pointer), never when the cell is mounted: reading a width there forces the browser to lay out
 * the page in the middle of the frame, for every row a scrolling list mounts. The keyboard's way to the same text is
 * `fullText`, which a list asks of the cells of the row the keys made active (VirtualRows' tip).
 */

/** The fixed titles given to the action (a SIM status's "as of"), by cell: `fullText` says them as the pointer's tooltip does. */
const fixedTitles = new WeakMap<HTMLElement, string>()

/** What the cell's tooltip says: its fixed title, or its whole text when the column cuts it; null when it has nothing more to say. */
export function fullText(node: HTMLElement): string | null {
  const fixed = fixedTitles.get(node)
  if (fixed) return fixed
  if (node.scrollWidth > node.clientWidth) return node.textContent?.trim() || null
  return null
}

export function titleWhenCut(node: HTMLElement, fixed?: string) {
  const set = (title: string | undefined) => {
    if (title) fixedTitles.set(node, title)
    else fixedTitles.delete(node)
  }
  const check = () => {
    const text = fullText(node)
    if (text) node.title = text
    else node.removeAttribute('title')
  }
  set(fixed)
  if (fixed) node.title = fixed
  node.addEventListener('pointerenter', check)
  return {
    update(next?: string) {
      set(next)
      if (next) node.title = next
      else node.removeAttribute('title')
    },
    destroy: () => node.removeEventListener('pointerenter', check),
  }
}

/** One line of a row's tip: a cell's column (when the list names its cells) and what its tooltip says. */
export interface TipLine {
  label: string
  text: string
}

/** The tip of a row whose cells' tooltips say `texts` (null: nothing more than the cell shows), in the cells' order. */
export function tipLines(texts: readonly (string | null)[], labels: readonly string[] = []): TipLine[] {
  return texts.flatMap((text, i) => (text ? [{ label: labels[i] ?? '', text }] : []))
}
