import { describe, expect, it } from 'vitest'
import { fullText, tipLines, titleWhenCut } from '../../src-renderer/src/lib/title-when-cut'

/** A cell as the action sees it, counting how often its width is read (each read can force a layout). */
function cell(text: string, widths: { scroll: number; client: number }) {
  const attributes = new Map<string, string>()
  const listeners = new Map<string, () => void>()
  let reads = 0
  const node = {
    textContent: text,
    get scrollWidth() {
      reads++
      return widths.scroll
    },
    get clientWidth() {
      reads++
      return widths.client
    },
    get title() {
      return attributes.get('title') ?? ''
    },
    set title(value: string) {
      attributes.set('title', value)
    },
    removeAttribute: (name: string) => attributes.delete(name),
    addEventListener: (type: string, listener: () => void) => listeners.set(type, listener),
    removeEventListener: (type: string) => listeners.delete(type),
  }
  return { node: node as unknown as HTMLElement, attributes, pointerenter: () => listeners.get('pointerenter')?.(), reads: () => reads }
}

describe('titleWhenCut', () => {
  it('measures nothing when a cell is mounted or updated, only when the pointer comes', () => {
    const c = cell('a long description', { scroll: 300, client: 100 })
    const action = titleWhenCut(c.node)
    action.update(undefined)
    expect(c.reads()).toBe(0)
    expect(c.attributes.has('title')).toBe(false)
    c.pointerenter()
    expect(c.reads()).toBeGreaterThan(0)
    expect(c.attributes.get('title')).toBe('a long description')
  })

  it('gives a cut cell its text as a tooltip, a cell that fits none, and a fixed title at once', () => {
    const fits = cell('short', { scroll: 50, client: 100 })
    titleWhenCut(fits.node)
    fits.pointerenter()
    expect(fits.attributes.has('title')).toBe(false)

    const fixed = cell('Active', { scroll: 50, client: 100 })
    const action = titleWhenCut(fixed.node, 'Active as of today')
    expect(fixed.attributes.get('title')).toBe('Active as of today')
    expect(fixed.reads()).toBe(0)
    action.update(undefined)
    expect(fixed.attributes.has('title')).toBe(false)
  })
})

describe('fullText and tipLines: what the keyboard is shown of the active row', () => {
  it('says a cut cell whole and a fixed title as the pointer’s tooltip does, and nothing for a cell that fits', () => {
    const cut = cell('a long description', { scroll: 300, client: 100 })
    const fits = cell('short', { scroll: 50, client: 100 })
    const fixed = cell('Active', { scroll: 50, client: 100 })
    titleWhenCut(cut.node)
    titleWhenCut(fits.node)
    const action = titleWhenCut(fixed.node, 'Active as of today')
    expect([cut, fits, fixed].map((c) => fullText(c.node))).toEqual(['a long description', null, 'Active as of today'])
    action.update(undefined)
    expect(fullText(fixed.node)).toBeNull()
  })

  it('names each cell the tip shows by its column, in the cells’ order', () => {
    expect(tipLines([null, 'a long description', null, 'Active as of today'], ['', 'Description', 'Type', 'SIM status'])).toEqual([
      { label: 'Description', text: 'a long description' },
      { label: 'SIM status', text: 'Active as of today' },
    ])
    expect(tipLines(['cut text'])).toEqual([{ label: '', text: 'cut text' }])
  })
})
