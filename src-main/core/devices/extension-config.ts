import { Ajv, type ErrorObject } from 'ajv'
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser'
import { MAX_CONFIG_CHARS, type Diagnostic, type MessageRef } from '../../../src-preload/contract'
import schema from '../../../resources/schemas/extension-config.schema.json'
import { AppError } from '../bridge/errors'
import { luhnValid } from './iccid'

/**
 * Validates a device's extension configuration with the same JSON Schema file Monaco uses in the editor, so
 * the editor and the save path can never disagree; adds what a schema cannot say (the ICCID check digit).
 * jsonc-parser is Monaco's own JSON parser: its offsets give the line and column of every diagnostic.
 */
const ajv = new Ajv({ allErrors: true, strict: true })
const validateSchema = ajv.compile(schema)

export interface ConfigCheck {
  valid: boolean
  diagnostics: Diagnostic[]
  /** The parsed configuration, present only when valid. */
  value?: Record<string, unknown>
}

class LineMap {
  readonly #starts: number[] = [0]
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#starts.push(i + 1)
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0
    let hi = this.#starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.#starts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, column: offset - this.#starts[lo]! + 1 }
  }
}

function diagnostic(lines: LineMap, severity: Diagnostic['severity'], message: string, ref: MessageRef, pointer: string, offset: number, length: number): Diagnostic {
  const start = lines.position(offset)
  const end = lines.position(offset + Math.max(length, 1))
  return { severity, message, ref, pointer, line: start.line, column: start.column, endLine: end.line, endColumn: end.column }
}

function segments(pointer: string): (string | number)[] {
  if (!pointer) return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

function escapeSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1')
}

/** The property key node for a member of an object, so that a squiggle sits under the key itself. */
function keyNode(tree: Node, parentPointer: string, key: string): Node | undefined {
  const parent = findNodeAtLocation(tree, segments(parentPointer))
  return parent?.children?.find((p) => p.type === 'property' && p.children?.[0]?.value === key)?.children?.[0]
}

function schemaDiagnostic(err: ErrorObject, tree: Node, lines: LineMap): Diagnostic {
  const at = findNodeAtLocation(tree, segments(err.instancePath)) ?? tree
  const where = (n: Node | undefined) => n ?? at
  const isIccid = /^\/(jasper|atnt)\/iccid$/.test(err.instancePath)
  if (err.keyword === 'additionalProperties') {
    const key = String((err.params as { additionalProperty: string }).additionalProperty)
    const node = where(keyNode(tree, err.instancePath, key))
    const pointer = `${err.instancePath}/${escapeSegment(key)}`
    return diagnostic(lines, 'error', `Unknown key "${key}" is not allowed here`, { key: 'config.unknownKey', params: { key } }, pointer, node.offset, node.length)
  }
  if (err.keyword === 'required') {
    const field = String((err.params as { missingProperty: string }).missingProperty)
    return diagnostic(lines, 'error', `Missing required property "${field}"`, { key: 'config.missingProperty', params: { field } }, err.instancePath, at.offset, 1)
  }
  if (isIccid && err.keyword === 'type') {
    return diagnostic(lines, 'error', 'The ICCID must be a string of digits in quotes, not a number (numbers lose digits)', { key: 'config.iccidNotString' }, err.instancePath, at.offset, at.length)
  }
  if (isIccid && err.keyword === 'pattern') {
    const length = typeof at.value === 'string' ? at.value.length : 0
    return diagnostic(lines, 'error', `The ICCID must be 19 or 20 digits (this one has ${length} characters)`, { key: 'config.iccidFormat', params: { length } }, err.instancePath, at.offset, at.length)
  }
  if (err.instancePath === '' && err.keyword === 'type') {
    return diagnostic(lines, 'error', 'The configuration must be a JSON object', { key: 'config.notObject' }, '', at.offset, at.length)
  }
  const detail = `${err.instancePath || '/'} ${err.message ?? err.keyword}`
  return diagnostic(lines, 'error', `Schema: ${detail}`, { key: 'config.schema', params: { detail } }, err.instancePath, at.offset, at.length)
}

function luhnWarnings(value: Record<string, unknown>, tree: Node, lines: LineMap): Diagnostic[] {
  const out: Diagnostic[] = []
  for (const carrier of ['jasper', 'atnt']) {
    const iccid = (value[carrier] as { iccid?: unknown } | undefined)?.iccid
    if (typeof iccid !== 'string' || luhnValid(iccid)) continue
    const node = findNodeAtLocation(tree, [carrier, 'iccid']) ?? tree
    out.push(
      diagnostic(
        lines,
        'warning',
        `ICCID ${iccid} fails the Luhn check-digit test; some carriers issue such ICCIDs, so it is accepted — check it was typed correctly`,
        { key: 'config.luhn', params: { iccid } },
        `/${carrier}/iccid`,
        node.offset,
        node.length,
      ),
    )
  }
  return out
}

export function checkExtensionConfig(text: string): ConfigCheck {
  if (text.length > MAX_CONFIG_CHARS) {
    throw AppError.withRef('TOO_LARGE', `The configuration is larger than ${MAX_CONFIG_CHARS / 1024 / 1024} MB`, { key: 'errors.configTooLarge', params: { max: '5 MB' } })
  }
  const lines = new LineMap(text)
  const errors: ParseError[] = []
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
  if (errors.length > 0 || !tree) {
    const syntax = errors.length > 0 ? errors : [{ error: 4 /* ValueExpected */, offset: 0, length: 0 } as ParseError]
    return {
      valid: false,
      diagnostics: syntax.slice(0, 50).map((e) => {
        const detail = printParseErrorCode(e.error)
        return diagnostic(lines, 'error', `JSON syntax error: ${detail}`, { key: 'config.jsonSyntax', params: { detail } }, '', e.offset, e.length)
      }),
    }
  }
  const value: unknown = JSON.parse(text)
  if (validateSchema(value)) {
    const config = value as Record<string, unknown>
    return { valid: true, diagnostics: luhnWarnings(config, tree, lines), value: config }
  }
  return { valid: false, diagnostics: (validateSchema.errors ?? []).map((e) => schemaDiagnostic(e, tree, lines)) }
}

/** The same check for a configuration that arrives as a value (import rows), without positions of use. */
export function checkConfigValue(value: unknown): { valid: boolean; messages: string[] } {
  if (validateSchema(value)) return { valid: true, messages: [] }
  return { valid: false, messages: (validateSchema.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`) }
}
