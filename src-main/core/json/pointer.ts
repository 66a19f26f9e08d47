import type { Node } from 'jsonc-parser'

/**
 * JSON Pointer (RFC 6901) helpers over jsonc-parser's syntax tree. The walk is type-aware — an object member is
 * looked up by name even when the name is all digits — which jsonc-parser's findNodeAtLocation is not (it reads
 * a numeric segment as an array index, so `/actions/123` would not resolve).
 */

export function escapeSegment(segment: string | number): string {
  const s = String(segment)
  // Most keys need no escaping; skipping the two replaces matters when a package has 100,000 of them.
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s
}

export function childPointer(parent: string, segment: string | number): string {
  return `${parent}/${escapeSegment(segment)}`
}

export function pointerSegments(pointer: string): string[] {
  if (!pointer) return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** The member (property) node named `key` of an object node: children[0] is its key, children[1] its value. */
export function memberNode(object: Node, key: string): Node | undefined {
  if (object.type !== 'object') return undefined
  return object.children?.find((p) => p.type === 'property' && p.children?.[0]?.value === key)
}

/** The value node a pointer designates, or undefined when the document has no such value. */
export function nodeAtPointer(tree: Node, pointer: string): Node | undefined {
  let node: Node | undefined = tree
  for (const segment of pointerSegments(pointer)) {
    if (!node) return undefined
    if (node.type === 'object') node = memberNode(node, segment)?.children?.[1]
    else if (node.type === 'array' && /^(0|[1-9]\d*)$/.test(segment)) node = node.children?.[Number(segment)]
    else return undefined
  }
  return node
}

/** The key node of a member, so that a squiggle for an unknown or misnamed key sits under the key itself. */
export function keyNodeAt(tree: Node, parentPointer: string, key: string): Node | undefined {
  const parent = nodeAtPointer(tree, parentPointer)
  return parent ? memberNode(parent, key)?.children?.[0] : undefined
}
