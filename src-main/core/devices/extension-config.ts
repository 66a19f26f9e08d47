import { Ajv, type ErrorObject } from 'ajv'
import type { Node } from 'jsonc-parser'
import type { Diagnostic } from '../../../src-shared/contract'
import { formatMebibytes } from '../../../src-shared/models/byte-format'
import { exceedsBytes, MAX_CONFIG_BYTES } from '../../../src-shared/models/limits'
import schema from '../../../resources/schemas/extension-config.schema.json'
import { AppError } from '../common/errors'
import { makeDiagnostic } from '../json/diagnostic'
import type { LineMap } from '../json/line-map'
import { parseJsonDocument } from '../json/parse'
import { childPointer, keyNodeAt, nodeAtPointer } from '../json/pointer'
import { luhnCheckDigit } from '../../../src-shared/models/luhn'
import { ORANGE_ICCID_PREFIX, orangeSerialCheckDigitValid } from '../../../src-shared/models/orange'
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

function schemaDiagnostic(err: ErrorObject, tree: Node, lines: LineMap): Diagnostic {
  const at = nodeAtPointer(tree, err.instancePath) ?? tree
  const where = (n: Node | undefined) => n ?? at
  const isIccid = /^\/(jasper|atnt)\/iccid$/.test(err.instancePath)
  const isSerial = err.instancePath === '/orange/serialnumber'
  if (err.keyword === 'additionalProperties') {
    const key = String((err.params as { additionalProperty: string }).additionalProperty)
    const node = where(keyNodeAt(tree, err.instancePath, key))
    const pointer = childPointer(err.instancePath, key)
    return makeDiagnostic(lines, 'error', `Unknown key "${key}" is not allowed here`, { key: 'config.unknownKey', params: { key } }, pointer, node.offset, node.length)
  }
  if (err.keyword === 'required') {
    const field = String((err.params as { missingProperty: string }).missingProperty)
    return makeDiagnostic(lines, 'error', `Missing required property "${field}"`, { key: 'config.missingProperty', params: { field } }, err.instancePath, at.offset, 1)
  }
  if (isIccid && err.keyword === 'type') {
    return makeDiagnostic(
      lines,
      'error',
      'The ICCID must be a string of digits in quotes, not a number (numbers lose digits)',
      { key: 'config.iccidNotString' },
      err.instancePath,
      at.offset,
      at.length,
    )
  }
  if (isIccid && err.keyword === 'pattern') {
    const length = typeof at.value === 'string' ? at.value.length : 0
    return makeDiagnostic(
      lines,
      'error',
      `The ICCID must be 19 or 20 digits (this one has ${length} characters)`,
      { key: 'config.iccidFormat', params: { length } },
      err.instancePath,
      at.offset,
      at.length,
    )
  }
  if (isSerial && err.keyword === 'type') {
    return makeDiagnostic(lines, 'error', 'The Orange serial number must be a string of digits in quotes, not a number', { key: 'config.serialNotString' }, err.instancePath, at.offset, at.length)
  }
  if (isSerial && err.keyword === 'pattern') {
    const value = typeof at.value === 'string' ? at.value : ''
    const serial = serialOfOrangeIccid(value)
    if (serial) {
      return makeDiagnostic(
        lines,
        'error',
        `This is an ICCID; Orange identifies the SIM by its 13-digit serial number, here ${serial}`,
        { key: 'config.serialIsIccid', params: { serial } },
        err.instancePath,
        at.offset,
        at.length,
      )
    }
    return makeDiagnostic(
      lines,
      'error',
      `The Orange serial number must be 13 digits (this one has ${value.length} characters)`,
      { key: 'config.serialFormat', params: { length: value.length } },
      err.instancePath,
      at.offset,
      at.length,
    )
  }
  if (err.instancePath === '' && err.keyword === 'type') {
    return makeDiagnostic(lines, 'error', 'The configuration must be a JSON object', { key: 'config.notObject' }, '', at.offset, at.length)
  }
  const detail = `${err.instancePath || '/'} ${err.message ?? err.keyword}`
  return makeDiagnostic(lines, 'error', `Schema: ${detail}`, { key: 'config.schema', params: { detail } }, err.instancePath, at.offset, at.length)
}

/**
 * The serial number inside an Orange France ICCID (`893301` + 12 digits + check digit + `0`, the SDK's Utility.php):
 * those 12 digits and their own check digit. Null for anything else.
 */
function serialOfOrangeIccid(value: string): string | null {
  const m = new RegExp(`^${ORANGE_ICCID_PREFIX}(\\d{12})\\d0$`).exec(value)
  return m ? `${m[1]}${luhnCheckDigit(m[1]!)}` : null
}

function luhnWarnings(value: Record<string, unknown>, tree: Node, lines: LineMap): Diagnostic[] {
  const out: Diagnostic[] = []
  const serial = (value.orange as { serialnumber?: unknown } | undefined)?.serialnumber
  if (typeof serial === 'string' && !orangeSerialCheckDigitValid(serial)) {
    const node = nodeAtPointer(tree, '/orange/serialnumber') ?? tree
    out.push(
      makeDiagnostic(
        lines,
        'warning',
        `Serial number ${serial} fails its check digit (the last digit is a Luhn digit of the 12 before it); it is accepted — check it was typed correctly`,
        { key: 'config.serialCheckDigit', params: { serial } },
        '/orange/serialnumber',
        node.offset,
        node.length,
      ),
    )
  }
  for (const carrier of ['jasper', 'atnt']) {
    const iccid = (value[carrier] as { iccid?: unknown } | undefined)?.iccid
    if (typeof iccid !== 'string' || luhnValid(iccid)) continue
    const node = nodeAtPointer(tree, `/${carrier}/iccid`) ?? tree
    out.push(
      makeDiagnostic(
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
  if (exceedsBytes(text, MAX_CONFIG_BYTES) !== undefined) {
    const max = formatMebibytes(MAX_CONFIG_BYTES, 'en')
    throw AppError.withRef('TOO_LARGE', `The configuration is larger than ${max}`, { key: 'errors.configTooLarge', params: { max, maxBytes: MAX_CONFIG_BYTES } })
  }
  // An extension configuration is two levels deep; anything far deeper is hostile and is refused unparsed.
  const parsed = parseJsonDocument(text, { syntaxKey: 'config.jsonSyntax', depth: { max: 32, key: 'config.tooDeep' } })
  if (!parsed.ok) return { valid: false, diagnostics: parsed.diagnostics }
  const { tree, value, lines } = parsed
  if (validateSchema(value)) {
    const config = value as Record<string, unknown>
    return { valid: true, diagnostics: luhnWarnings(config, tree, lines), value: config }
  }
  // ajv reports the root's unknown keys before the members' problems: the editor's list and the CLI read top to bottom.
  const diagnostics = (validateSchema.errors ?? []).map((e) => schemaDiagnostic(e, tree, lines)).sort((a, b) => a.line - b.line || a.column - b.column)
  return { valid: false, diagnostics }
}

/** The same check for a configuration that arrives as a value (import rows), without positions of use. */
export function checkConfigValue(value: unknown): { valid: boolean; messages: string[] } {
  if (validateSchema(value)) return { valid: true, messages: [] }
  return { valid: false, messages: (validateSchema.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`) }
}
