/**
 * The few DOM types the specs' measures in the page use: the e2e code compiles without the DOM library (it is Node
 * code), so a function given to page.evaluate takes what it needs from `globalThis as unknown as Browser`. Types only:
 * a function run in the page cannot call anything imported.
 */
export interface Rect {
  top: number
  bottom: number
  right: number
  width: number
  height: number
}

export interface Box {
  tagName: string
  id: string
  innerHTML: string
  textContent: string | null
  parentElement: Box | null
  children: Iterable<Box>
  scrollTop: number
  scrollHeight: number
  scrollWidth: number
  clientWidth: number
  getBoundingClientRect(): Rect
  querySelector(selector: string): Box | null
  querySelectorAll(selector: string): Iterable<Box>
  closest(selector: string): Box | null
  getAttribute(name: string): string | null
  scrollTo(x: number, y: number): void
  prepend(node: Box): void
  remove(): void
  dispatchEvent(event: unknown): boolean
}

export interface TextNode {
  textContent: string | null
  parentElement: Box | null
}

export interface TextRange {
  selectNodeContents(node: Box): void
  setStart(node: TextNode, offset: number): void
  setEnd(node: TextNode, offset: number): void
  getClientRects(): Iterable<Rect>
  getBoundingClientRect(): Rect
}

export interface Browser {
  innerWidth: number
  innerHeight: number
  NodeFilter: { SHOW_TEXT: number }
  document: {
    body: Box
    scrollingElement: Box
    querySelector(selector: string): Box | null
    querySelectorAll(selector: string): Iterable<Box>
    createElement(tag: string): Box
    getElementById(id: string): Box | null
    createRange(): TextRange
    createTreeWalker(root: Box, show: number): { nextNode(): TextNode | null }
  }
  getComputedStyle(element: Box): { paddingBottom: string; overflowX: string; visibility: string }
  PointerEvent: new (type: string) => unknown
}
