/**
 * XML with namespaces resolved, for SOAP document/literal services whose schemas put each element in a namespace
 * of its own (Orange's Malima services use six). fast-xml-parser parses and builds (escaping every value); it keeps
 * prefixes as written, so this module resolves them against the in-scope `xmlns` declarations: an element is matched
 * on its namespace URI and local name, never on a prefix the other side chose.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser'

export interface XmlNode {
  /** Namespace URI, or null for an unqualified element. */
  ns: string | null
  local: string
  attrs: { ns: string | null; local: string; value: string }[]
  children: XmlNode[]
  /** The element's own text (its text children joined), trimmed. */
  text: string
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Every value stays the text it was: serial numbers and ICCIDs keep their digits, numbers are read where typed.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
})

function splitName(name: string): [string, string] {
  const colon = name.indexOf(':')
  return colon < 0 ? ['', name] : [name.slice(0, colon), name.slice(colon + 1)]
}

function toNodes(raw: unknown, scope: ReadonlyMap<string, string>, depth: number): XmlNode[] {
  if (!Array.isArray(raw) || depth > MAX_DEPTH) return []
  const nodes: XmlNode[] = []
  for (const item of raw as unknown[]) {
    if (item === null || typeof item !== 'object') continue
    const entry = item as Record<string, unknown>
    const name = Object.keys(entry).find((k) => k !== ':@' && k !== '#text')
    if (name === undefined) continue
    const rawAttrs = (entry[':@'] ?? {}) as Record<string, unknown>
    const inner = new Map(scope)
    for (const [k, v] of Object.entries(rawAttrs)) {
      if (k === 'xmlns') inner.set('', String(v))
      else if (k.startsWith('xmlns:')) inner.set(k.slice(6), String(v))
    }
    const [prefix, local] = splitName(name)
    const attrs = Object.entries(rawAttrs)
      .filter(([k]) => k !== 'xmlns' && !k.startsWith('xmlns:'))
      .map(([k, v]) => {
        const [p, l] = splitName(k)
        // Unprefixed attributes have no namespace (Namespaces in XML §6.2), whatever the default namespace is.
        return { ns: p === '' ? null : (inner.get(p) ?? null), local: l, value: String(v) }
      })
    const content = entry[name]
    const text = Array.isArray(content)
      ? (content as unknown[])
          .map((c) => (c !== null && typeof c === 'object' && '#text' in c ? String((c as Record<string, unknown>)['#text']) : ''))
          .join('')
          .trim()
      : ''
    const ns = inner.get(prefix)
    nodes.push({ ns: ns === undefined || ns === '' ? null : ns, local, attrs, children: toNodes(content, inner, depth + 1), text })
  }
  return nodes
}

/** SOAP messages are a handful of levels deep; a deeper document is hostile and is not followed further. */
const MAX_DEPTH = 64

/**
 * The document element, or null when the text is not well-formed XML. A DOCTYPE is refused: SOAP 1.1 §3 forbids one
 * in a message, and refusing it rules out entity-expansion tricks.
 */
export function parseXml(xml: string): XmlNode | null {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return null
  if (XMLValidator.validate(xml) !== true) return null
  try {
    return toNodes(parser.parse(xml), new Map(), 0)[0] ?? null
  } catch {
    return null
  }
}

export function child(node: XmlNode | undefined, ns: string | null, local: string): XmlNode | undefined {
  return node?.children.find((c) => c.local === local && c.ns === ns)
}

export function childrenNamed(node: XmlNode | undefined, ns: string | null, local: string): XmlNode[] {
  return node?.children.filter((c) => c.local === local && c.ns === ns) ?? []
}

/** The text of a child element, or undefined when there is none. */
export function childText(node: XmlNode | undefined, ns: string | null, local: string): string | undefined {
  return child(node, ns, local)?.text
}

export function attribute(node: XmlNode, local: string): string | undefined {
  return node.attrs.find((a) => a.local === local && a.ns === null)?.value
}

/** An element to write: its namespace (null = unqualified), name, attributes and either text or children. */
export interface XmlElement {
  ns: string | null
  name: string
  attrs?: Record<string, string>
  text?: string
  children?: XmlElement[]
}

export function el(ns: string | null, name: string, content?: string | XmlElement[], attrs?: Record<string, string>): XmlElement {
  return { ns, name, ...(typeof content === 'string' ? { text: content } : { children: content ?? [] }), ...(attrs ? { attrs } : {}) }
}

// preserveOrder keeps the children exactly in the order given: document/literal schemas are sequences.
const builder = new XMLBuilder({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false })

/**
 * Writes `root` with one prefix per namespace, all declared on the root element (`prefixes` names them; any other
 * namespace gets ns1, ns2…). Values are escaped by the builder.
 */
export function buildXml(root: XmlElement, prefixes: Record<string, string>): string {
  const names = new Map<string, string>(Object.entries(prefixes).map(([prefix, uri]) => [uri, prefix]))
  const used = new Map<string, string>()
  const prefixOf = (uri: string): string => {
    let p = names.get(uri)
    if (p === undefined) {
      p = `ns${names.size + 1}`
      names.set(uri, p)
    }
    used.set(uri, p)
    return p
  }
  const convert = (e: XmlElement): Record<string, unknown> => {
    const tag = e.ns === null ? e.name : `${prefixOf(e.ns)}:${e.name}`
    const content = e.text !== undefined ? [{ '#text': e.text }] : (e.children ?? []).map(convert)
    const attrs: Record<string, string> = {}
    for (const [k, v] of Object.entries(e.attrs ?? {})) attrs[`@_${k}`] = v
    return { [tag]: content, ':@': attrs }
  }
  const top = convert(root)
  const attrs = top[':@'] as Record<string, string>
  for (const [uri, p] of used) attrs[`@_xmlns:${p}`] = uri
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build([top]) as string}`
}
