import { createScanner, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser'
import type { Diagnostic } from '../../../src-shared/contract'
import { makeDiagnostic } from './diagnostic'
import { LineMap } from './line-map'

/**
 * Parses a JSON document for validation: jsonc-parser (Monaco's own parser) gives the syntax tree with offsets,
 * so every later diagnostic has a line and column; JSON.parse gives the value (native, fast, and it creates a
 * member named "__proto__" as an ordinary property instead of changing the prototype).
 */
export interface ParseOptions {
  /** Catalogue key of syntax-error diagnostics (their `detail` param is jsonc-parser's error name). */
  syntaxKey: string
  /** At most this many syntax errors are reported (garbage can produce one per character). */
  maxSyntaxErrors?: number
  /**
   * Refuse documents nested deeper than `max` before parsing them. jsonc-parser's parser is recursive — one stack
   * frame per level — and 100,000 nested arrays overflow the stack; the depth is measured with jsonc-parser's own
   * (iterative) scanner, so what is counted is exactly the token stream the parser will see.
   */
  depth?: { max: number; key: string }
}

export type ParsedDocument = { ok: true; tree: Node; value: unknown; lines: LineMap } | { ok: false; diagnostics: Diagnostic[]; lines: LineMap }

// SyntaxKind is a const enum, which isolatedModules cannot read from a declaration file.
const OPEN_BRACE = 1
const CLOSE_BRACE = 2
const OPEN_BRACKET = 3
const CLOSE_BRACKET = 4
const EOF = 17
/** ParseErrorCode.ValueExpected, for an empty document. */
const VALUE_EXPECTED = 4

/**
 * jsonc-parser's error names in words, for the English message (the CLI prints it); the name itself stays the
 * diagnostic's `detail` param, which the app translates (errors.jsonParse in the catalogues says the same).
 */
const SYNTAX_WORDS: Record<string, string> = {
  InvalidSymbol: 'a character that JSON does not allow here',
  InvalidNumberFormat: 'a number written in a way JSON does not accept',
  PropertyNameExpected: 'a property name in double quotes was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: 'a colon (:) was expected after the property name',
  CommaExpected: 'a comma was expected between two items',
  CloseBraceExpected: 'a closing brace } was expected',
  CloseBracketExpected: 'a closing bracket ] was expected',
  EndOfFileExpected: 'nothing may follow the end of the document',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'a comment is not closed',
  UnexpectedEndOfString: 'a text value is missing its closing double quote',
  UnexpectedEndOfNumber: 'a number is cut short',
  InvalidUnicode: 'a \\u escape must be followed by four hexadecimal digits',
  InvalidEscapeCharacter: 'a backslash is followed by a character JSON does not allow',
  InvalidCharacter: 'a control character (such as a tab or line break) must be escaped inside text',
  TrailingComma: 'a comma may not come just before } or ]: remove it',
}

/** ParseErrorCode.PropertyNameExpected. */
const PROPERTY_NAME_EXPECTED = 3

/**
 * The offset of the comma when the error at `offset` is a trailing comma (`{"a": 1,}`, `[1,]`), else -1. jsonc-parser
 * reports it as "a property name was expected" and "a value was expected" at the closer, two errors that name neither
 * the comma nor the fix, for the commonest slip in a hand-edited JSON file.
 */
function trailingComma(text: string, offset: number): number {
  if (text[offset] !== '}' && text[offset] !== ']') return -1
  let at = offset - 1
  while (at >= 0 && ' \t\r\n'.includes(text[at]!)) at--
  return text[at] === ',' ? at : -1
}

/**
 * Offset of the first opening token that makes the nesting deeper than `max`, or -1. A closing token pops only
 * when it matches the innermost opening one: the parser's error recovery skips a mismatched closer without
 * leaving the frame it is in (`[},[},[},…` nests one level per repetition), so counting it as a close would
 * under-estimate the depth the parser reaches. Never under-estimating is what makes the guard sound.
 */
export function excessiveNesting(text: string, max: number): number {
  const scanner = createScanner(text, false)
  const open: number[] = []
  for (let token = scanner.scan(); token !== EOF; token = scanner.scan()) {
    if (token === OPEN_BRACE || token === OPEN_BRACKET) {
      open.push(token)
      if (open.length > max) return scanner.getTokenOffset()
    } else if ((token === CLOSE_BRACE && open.at(-1) === OPEN_BRACE) || (token === CLOSE_BRACKET && open.at(-1) === OPEN_BRACKET)) {
      open.pop()
    }
  }
  return -1
}

export function parseJsonDocument(text: string, options: ParseOptions): ParsedDocument {
  const lines = new LineMap(text)
  const fail = (diagnostics: Diagnostic[]): ParsedDocument => ({ ok: false, diagnostics, lines })
  const syntax = (detail: string, offset: number, length: number) =>
    makeDiagnostic(lines, 'error', `JSON syntax error: ${SYNTAX_WORDS[detail] ?? detail}`, { key: options.syntaxKey, params: { detail } }, '', offset, length)
  const tooDeep = (max: number, key: string, offset: number) =>
    makeDiagnostic(lines, 'error', `The JSON is nested more than ${max} levels deep; it is refused without being read further`, { key, params: { max } }, '', offset, 1)

  if (options.depth) {
    const at = excessiveNesting(text, options.depth.max)
    if (at >= 0) return fail([tooDeep(options.depth.max, options.depth.key, at)])
  }
  const errors: ParseError[] = []
  let tree: Node | undefined
  try {
    tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
  } catch (e) {
    // Backstop for the depth guard above: a stack overflow is an ordinary RangeError and leaves nothing broken.
    if (options.depth && e instanceof RangeError) return fail([tooDeep(options.depth.max, options.depth.key, 0)])
    throw e
  }
  if (errors.length > 0 || !tree) {
    const found = errors.length > 0 ? errors : [{ error: VALUE_EXPECTED, offset: 0, length: 0 } as ParseError]
    // A cut-off document misses a closer for each open level, all reported at its end: say each one once.
    const seen = new Set<string>()
    const list: { detail: string; offset: number; length: number }[] = []
    for (const e of found) {
      if (list.length >= (options.maxSyntaxErrors ?? 50)) break
      const comma = e.error === PROPERTY_NAME_EXPECTED || e.error === VALUE_EXPECTED ? trailingComma(text, e.offset) : -1
      // A trailing comma is said once, at the comma, whichever of its two errors the parser gave.
      const key = comma >= 0 ? `comma@${comma}` : `${e.error}@${e.offset}`
      if (seen.has(key)) continue
      seen.add(key)
      list.push(comma >= 0 ? { detail: 'TrailingComma', offset: comma, length: 1 } : { detail: printParseErrorCode(e.error), offset: e.offset, length: e.length })
    }
    return fail(list.map((e) => syntax(e.detail, e.offset, e.length)))
  }
  try {
    return { ok: true, tree, value: JSON.parse(text) as unknown, lines }
  } catch (e) {
    // jsonc-parser is slightly more lenient than JSON.parse in corners (it reports some as errors, not all).
    return fail([syntax(e instanceof Error ? e.message : String(e), 0, 0)])
  }
}
