/**
 * Svelte action: a cell whose text the column cuts (ellipsis) shows it whole as a tooltip, and only then — a title
 * on every cell would repeat what is already readable. Measured when the pointer comes (widths change, and a tooltip
 * only shows under the pointer), never when the cell is mounted: reading a width there forces the browser to lay out
 * the page in the middle of the frame, for every row a scrolling list mounts.
 */
export function titleWhenCut(node: HTMLElement, fixed?: string) {
  let always = fixed
  const show = () => {
    if (always) node.title = always
    else node.removeAttribute('title')
  }
  const check = () => {
    if (!always && node.scrollWidth > node.clientWidth) node.title = node.textContent?.trim() ?? ''
    else show()
  }
  if (always) show()
  node.addEventListener('pointerenter', check)
  return {
    update(next?: string) {
      always = next
      show()
    },
    destroy: () => node.removeEventListener('pointerenter', check),
  }
}
