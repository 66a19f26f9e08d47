/**
 * Svelte action: a cell whose text the column cuts (ellipsis) shows it whole as a tooltip, and only then — a title
 * on every cell would repeat what is already readable. Checked when the pointer comes, since widths change.
 */
export function titleWhenCut(node: HTMLElement, fixed?: string) {
  let always = fixed
  const check = () => {
    if (always) node.title = always
    else if (node.scrollWidth > node.clientWidth) node.title = node.textContent?.trim() ?? ''
    else node.removeAttribute('title')
  }
  check()
  node.addEventListener('pointerenter', check)
  return {
    update(next?: string) {
      always = next
      check()
    },
    destroy: () => node.removeEventListener('pointerenter', check),
  }
}
