import type { Node } from 'jsonc-parser'
import type { Diagnostic, MessageRef } from '../../../src-shared/contract'
import { makeDiagnostic } from './diagnostic'
import type { LineMap } from './line-map'
import { childPointer, nodeAtPointer } from './pointer'

/** A path as a schema validator reports it (zod's issue path), as a JSON pointer. */
export function pointerOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((pointer, segment) => childPointer(pointer, String(segment)), '')
}

/** The deepest value of `path` that exists in the document: an unknown or missing key points at its object. */
export function deepestNode(tree: Node, path: readonly PropertyKey[]): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = nodeAtPointer(tree, pointerOf(path.slice(0, n)))
    if (node) return node
  }
  return undefined
}

/** A schema issue of a parsed document as a diagnostic with the line and column of the value it is about. */
export function issueDiagnostic(tree: Node, lines: LineMap, issue: { path: readonly PropertyKey[]; message: string }, ref: MessageRef): Diagnostic {
  const node = deepestNode(tree, issue.path) ?? tree
  const where = issue.path.length > 0 ? `${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ` : ''
  return makeDiagnostic(lines, 'error', `${where}${issue.message}`, ref, pointerOf(issue.path), node.offset, node.length)
}
