import { Ajv, type ErrorObject } from 'ajv'
import type { Node } from 'jsonc-parser'
import type { Diagnostic, MessageRef } from '../../../src-shared/contract'
import schema from '../../../resources/schemas/dm-package.schema.json'
import { capDiagnostics, makeDiagnostic, sortDiagnostics } from '../json/diagnostic'
import type { LineMap } from '../json/line-map'
import { parseJsonDocument } from '../json/parse'
import { childPointer, pointerSegments } from '../json/pointer'
import type { MatchBudget } from '../../../src-shared/models/full-match'
import type { PackageBytes } from '../../../src-shared/models/package-bytes'
import { checkPattern, type PatternCheck } from './patterns'

/**
 * Validator of custom device-management packages (docs/wire/dm-packages.md §4), used by main, the CLI and — through the same
 * JSON Schema file — Monaco in the renderer.
 *
 * Two passes over one parse (the walk runs first; the order only matters for which problems are built once the
 * cap is reached):
 * 1. ajv with resources/schemas/dm-package.schema.json: types, required fields, identifier syntax, lengths,
 *    "at least one" entries. The schema is the single source of these rules, so the editor and the save path
 *    cannot disagree.
 * 2. A walk of jsonc-parser's syntax tree for what a schema cannot say: unknown fields (the schema allows them
 *    because JSON Schema has no "warning", and Monaco would show any schema failure as an error), duplicate keys
 *    (JSON.parse would silently keep the last), parameter names unique within an action, `value` compiling as a
 *    regular expression, `defaultValue` matching it, and the tolerated-but-wrong forms IBM's own samples used
 *    ("required": "true", a number as `value`), which are accepted with a warning and coerced.
 *
 * Hostile input: over 5 MB is refused before anything else; nesting deeper than 64 levels is refused before the
 * (recursive) parser sees it; patterns are compiled but never run by V8 — defaults are checked by a linear-time
 * matcher under a work budget (full-match.ts); diagnostics are capped. The function never throws on any text.
 */

/** Largest package accepted, in bytes of UTF-8 (what a file picker or `ls -l` shows). */
export { MAX_PACKAGE_BYTES } from '../../../src-shared/models/packages'
import { MAX_PACKAGE_BYTES, type DmAction, type DmPackage, type LocaleMap } from '../../../src-shared/models/packages'
import { exceedsBytes } from '../../../src-shared/models/limits'
import { formatMebibytes } from '../../../src-shared/models/byte-format'
/** Real packages nest five levels (root, actions, action, parameters, parameter); unknown fields get room. */
export const MAX_PACKAGE_DEPTH = 64
/** Diagnostics returned at most (one more says how many were left out). */
export const MAX_DIAGNOSTICS = 200
export const IDENTIFIER_MAX = 255
export const PROVIDER_MAX = 1024
/** Worst-case steps of all default-value checks of one package (≈ 0.1 s): value length × pattern size, summed. */
const MATCH_BUDGET = 10_000_000

export interface PackageCheck {
  /** No error (warnings allowed). */
  valid: boolean
  /** Sorted by position, at most MAX_DIAGNOSTICS + 1. */
  diagnostics: Diagnostic[]
  /** Present only when valid. */
  value?: DmPackage
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
const ACTION_SCHEMA = schema.properties.actions.additionalProperties
/**
 * The schema file, validated in two parts: the package without its actions' contents, then each action on its
 * own. Same rules, same file; but a hostile package with 500,000 broken actions no longer makes ajv build half a
 * million error objects at once — each action's few errors are mapped (or only counted) and dropped.
 */
const { $id: _id, ...packageSchema } = schema
const validateRoot = ajv.compile({ ...packageSchema, properties: { ...schema.properties, actions: { ...schema.properties.actions, additionalProperties: true } } })
const validateAction = ajv.compile(ACTION_SCHEMA)

// Known fields come from the schema itself, so adding one there is enough to stop it being "unknown".
const ROOT_FIELDS = new Set(Object.keys(schema.properties))
const ACTION_FIELDS = new Set(Object.keys(ACTION_SCHEMA.properties))
const PARAMETER_FIELDS = new Set(Object.keys(ACTION_SCHEMA.properties.parameters.items.properties))
const IDENTIFIER_CHAR = /^[A-Za-z0-9._-]$/u
/**
 * Embedding, override and isolate controls: in a text shown to an operator, one reorders what follows it ("Trojan
 * Source"), so a hostile package can make its names read as something else (an action list "‮evil, x" shows as
 * "x ,live"). The marks U+200E/U+200F, which right-to-left texts do need, are not among them.
 */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u
const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
/** Characters that show as nothing between quotes: spaces of every width, controls, format characters (zero-width space). */
const INVISIBLE = /^[\p{White_Space}\p{Cc}\p{Cf}]$/u

/** Parameters of messages are shown to people; a 5 MB default value is not. */
function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/**
 * The refusal of a package over MAX_PACKAGE_BYTES, as a result rather than an exception: the CLI prints it like
 * any diagnostic (FILE:1:1: error: …) and exits 1, and callers that have only a file size (the CLI, a file picker)
 * can refuse without reading the file at all. A service that wants an AppError can map `dm.tooLarge` to TOO_LARGE.
 */
export function packageTooLarge(bytes: number): PackageCheck {
  const size = formatMebibytes(bytes, 'en', MAX_PACKAGE_BYTES)
  const max = formatMebibytes(MAX_PACKAGE_BYTES, 'en')
  const message = `The package is ${size}; packages larger than ${max} are refused without being read`
  // Built by hand: a LineMap would scan the very text being refused for its size.
  return {
    valid: false,
    diagnostics: [
      { severity: 'error', message, ref: { key: 'dm.tooLarge', params: { size, max, sizeBytes: bytes, maxBytes: MAX_PACKAGE_BYTES } }, pointer: '', line: 1, column: 1, endLine: 1, endColumn: 2 },
    ],
  }
}

/** The refusal of a package file whose bytes are not UTF-8 text (`decodePackageBytes`), as a diagnostic like any other. */
export function packageNotUtf8(refusal: Extract<PackageBytes, { ok: false }>): PackageCheck {
  const { message, ref, line } = refusal
  return { valid: false, diagnostics: [{ severity: 'error', message, ref, pointer: '', line, column: 1, endLine: line, endColumn: 2 }] }
}

export function validatePackage(text: string): PackageCheck {
  const bytes = exceedsBytes(text, MAX_PACKAGE_BYTES)
  if (bytes !== undefined) return packageTooLarge(bytes)
  // A UTF-8 byte-order mark (Windows editors) is not JSON; a space keeps every offset where it was.
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text
  const parsed = parseJsonDocument(source, { syntaxKey: 'dm.jsonSyntax', depth: { max: MAX_PACKAGE_DEPTH, key: 'dm.tooDeep' } })
  if (!parsed.ok) return finish(parsed.diagnostics, parsed.lines, source.length, { errors: 0, warnings: 0 })
  const { tree, value, lines } = parsed
  const checker = new Checker(tree, lines)
  checker.walk()
  if (!validateRoot(value)) checker.schemaErrors(validateRoot.errors ?? [], '')
  const actions = (value as { actions?: unknown }).actions
  if (typeof actions === 'object' && actions !== null && !Array.isArray(actions)) {
    for (const [id, action] of Object.entries(actions)) {
      if (!validateAction(action)) checker.schemaErrors(validateAction.errors ?? [], childPointer('/actions', id))
    }
  }
  const result = finish(checker.diagnostics, lines, source.length, checker.unlisted)
  return result.valid ? { ...result, value: normalise(value as RawPackage) } : result
}

/**
 * Sorts and caps; `unlisted` problems were counted but never built (they only add to the "more" count), which
 * sits at the end of the document, after everything it stands for.
 */
function finish(diagnostics: Diagnostic[], lines: LineMap, length: number, unlisted: { errors: number; warnings: number }): PackageCheck {
  const valid = unlisted.errors === 0 && !diagnostics.some((d) => d.severity === 'error')
  const capped = capDiagnostics(sortDiagnostics(diagnostics), MAX_DIAGNOSTICS, unlisted, (count, severity) => {
    const last = lines.position(length)
    return {
      severity,
      message: `… and ${count} more problems not shown`,
      ref: { key: 'dm.tooManyDiagnostics', params: { count } },
      pointer: '',
      line: last.line,
      column: last.column,
      endLine: last.line,
      endColumn: last.column + 1,
    }
  })
  return { valid, diagnostics: capped }
}

/** `/actions/<id>/parameters/<n>/required`: the only "required" that is a field (a locale or action may be named so). */
const PARAMETER_REQUIRED = /^\/actions\/[^/]*\/parameters\/\d+\/required$/

/** How a field is named in messages: its key, or `parameters[2]` for an array element, `actionId` for a key. */
function fieldName(pointer: string): string {
  const segments = pointerSegments(pointer)
  const last = segments.at(-1)
  if (last === undefined) return '(package)'
  if (segments.length === 2 && segments[0] === 'actions') return last
  return /^\d+$/.test(last) && segments.length >= 2 ? `${segments.at(-2)}[${last}]` : last
}

/** A member of an object in the syntax tree: its key node (where key diagnostics go) and its value node. */
interface Member {
  key: Node
  value: Node
}

class Checker {
  readonly diagnostics: Diagnostic[] = []
  /**
   * Problems beyond MAX_DIAGNOSTICS of one severity are counted, not built: 5 MB of unknown keys would otherwise
   * make 500,000 diagnostics (half a gigabyte) only for the cap to throw them away.
   */
  readonly unlisted = { errors: 0, warnings: 0 }
  readonly #built = { errors: 0, warnings: 0 }
  readonly #patterns = new Map<string, PatternCheck>()
  /** Members of objects by key, for locating schema errors (see #indexed). */
  readonly #index = new Map<Node, Map<string, Member>>()
  readonly #budget: MatchBudget = { remaining: MATCH_BUDGET }

  constructor(
    readonly tree: Node,
    readonly lines: LineMap,
  ) {}

  /** Whether another diagnostic of this severity would be one too many (then it is counted instead). */
  #full(severity: Diagnostic['severity']): boolean {
    const kind = severity === 'error' ? 'errors' : 'warnings'
    if (this.#built[kind] < MAX_DIAGNOSTICS) return false
    this.unlisted[kind]++
    return true
  }

  #add(severity: Diagnostic['severity'], message: string, ref: MessageRef, pointer: string, node: Node): void {
    if (this.#full(severity)) return
    this.#built[severity === 'error' ? 'errors' : 'warnings']++
    this.diagnostics.push(makeDiagnostic(this.lines, severity, message, ref, pointer, node.offset, node.length))
  }

  // ── Pass 1: schema errors, in words an operator can act on ──────────────────────────────────────────────

  /** `base` is the pointer of the value that was validated (errors' paths are relative to it). */
  schemaErrors(errors: ErrorObject[], base: string): void {
    const reported = new Set<string>()
    for (const relative of errors) {
      const err = base ? { ...relative, instancePath: base + relative.instancePath } : relative
      // ajv wraps each failing property name in a `propertyNames` error after the specific one: keep the latter.
      if (err.keyword === 'propertyNames') continue
      // A wrong type makes every other rule on that value noise (`"required": 1` also fails the enum).
      const where = `${err.instancePath}\u0000${err.propertyName ?? ''}`
      if (reported.has(where)) continue
      if (err.keyword === 'type' || PARAMETER_REQUIRED.test(err.instancePath)) reported.add(where)
      // Checked before the lookup of the node, which is what costs.
      if (!this.#full('error')) this.#schemaError(err)
    }
  }

  #schemaError(err: ErrorObject): void {
    const path = err.instancePath
    const node = this.#resolve(path) ?? this.tree
    if (err.propertyName !== undefined) {
      const key = (node.type === 'object' ? this.#indexed(node).get(err.propertyName)?.key : undefined) ?? node
      return this.#identifierError(err, childPointer(path, err.propertyName), 'actionId', err.propertyName, key)
    }
    const field = fieldName(path)
    switch (err.keyword) {
      case 'required': {
        const missing = String((err.params as { missingProperty: string }).missingProperty)
        return this.#add('error', `Missing required field "${missing}"`, { key: 'dm.missingField', params: { field: missing } }, path, { ...node, length: 1 })
      }
      case 'type': {
        if (path === '') return this.#add('error', 'A package must be a JSON object', { key: 'dm.notObject' }, path, node)
        if (PARAMETER_REQUIRED.test(path)) return this.#requiredInvalid(path, node)
        const type = (err.params as { type: string | string[] }).type
        const types = Array.isArray(type) ? type : [type]
        // JSON type names are the same words in every language; the catalogue supplies the sentence around them.
        return this.#add('error', `"${field}" must be of type ${types.join(' or ')}`, { key: 'dm.wrongType', params: { field, expected: types.join(' | ') } }, path, node)
      }
      case 'enum':
        if (PARAMETER_REQUIRED.test(path)) return this.#requiredInvalid(path, node)
        break
      case 'minProperties':
        if (path === '/actions') return this.#add('error', 'The package must define at least one action', { key: 'dm.noActions' }, path, node)
        return this.#add('error', `"${field}" needs at least one entry mapping a locale to a text, for example "en_US": "…"`, { key: 'dm.localeMapEmpty', params: { field } }, path, node)
      case 'minItems':
        return this.#add('error', '"parameters", when present, must list at least one parameter (remove it if the action takes none)', { key: 'dm.noParameters' }, path, node)
      case 'minLength':
      case 'maxLength':
      case 'pattern':
        if (path === '/provider') {
          const length = typeof node.value === 'string' ? [...node.value].length : 0
          return this.#add('error', `"provider" is ${length} characters long; at most ${PROVIDER_MAX} are allowed`, { key: 'dm.providerTooLong', params: { length, max: PROVIDER_MAX } }, path, node)
        }
        return this.#identifierError(err, path, field, typeof node.value === 'string' ? node.value : '', node)
    }
    // A rule added to the schema without a message of its own yet: still reported, in ajv's words.
    const detail = `${path || '/'} ${err.message ?? err.keyword}`
    this.#add('error', `Schema: ${detail}`, { key: 'dm.schema', params: { detail } }, path, node)
  }

  /**
   * The value node at a pointer, through member maps (#indexed): constant time per step even in an object of
   * 100,000 actions, and, for a duplicated key, the last member — the one JSON.parse (and so ajv) kept.
   */
  #resolve(pointer: string): Node | undefined {
    let node: Node | undefined = this.tree
    for (const segment of pointerSegments(pointer)) {
      if (!node) return undefined
      if (node.type === 'object') node = this.#indexed(node).get(segment)?.value
      else if (node.type === 'array' && /^\d+$/.test(segment)) node = node.children?.[Number(segment)]
      else return undefined
    }
    return node
  }

  #identifierError(err: ErrorObject, pointer: string, field: string, text: string, node: Node): void {
    if (err.keyword === 'minLength') return this.#add('error', `"${field}" must not be empty`, { key: 'dm.identifierEmpty', params: { field } }, pointer, node)
    if (err.keyword === 'maxLength') {
      const length = [...text].length
      return this.#add(
        'error',
        `"${field}" is ${length} characters long; at most ${IDENTIFIER_MAX} are allowed`,
        { key: 'dm.identifierTooLong', params: { field, length, max: IDENTIFIER_MAX } },
        pointer,
        node,
      )
    }
    const char = [...text].find((c) => !IDENTIFIER_CHAR.test(c)) ?? ''
    if (INVISIBLE.test(char)) {
      // Quoted as itself, a space or a no-break space read as « » (nothing between the quotes): name it by its code point.
      const code = codePoint(char)
      const message = `"${field}" contains a space or another invisible character (${code}): only letters, digits, '-', '_' and '.' are allowed`
      return this.#add('error', message, { key: 'dm.identifierInvisibleChar', params: { field, code } }, pointer, node)
    }
    this.#add('error', `"${field}" contains "${char}": only letters, digits, '-', '_' and '.' are allowed`, { key: 'dm.identifierChars', params: { field, char } }, pointer, node)
  }

  #requiredInvalid(pointer: string, node: Node): void {
    this.#add('error', '"required" must be true or false', { key: 'dm.requiredInvalid' }, pointer, node)
  }

  // ── Pass 2: the rules a schema cannot say ─────────────────────────────────────────────────────────────

  walk(): void {
    if (this.tree.type !== 'object') return
    const root = this.#members(this.tree, '', ROOT_FIELDS)
    for (const field of ['displayName', 'description']) {
      const map = root.get(field)
      if (map?.type === 'object') this.#texts(map, `/${field}`)
    }
    const provider = root.get('provider')
    if (provider) this.#bidi(provider, '/provider')
    const actions = root.get('actions')
    if (actions?.type !== 'object') return
    for (const [id, action] of this.#members(actions, '/actions', undefined)) {
      if (action.type === 'object') this.#action(action, childPointer('/actions', id))
    }
  }

  /**
   * An object's members by key: key and value nodes, the last of duplicates (the one JSON.parse, and so ajv,
   * kept). Built once per object and only when a schema error needs it: a valid package never pays for it.
   */
  #indexed(object: Node): Map<string, Member> {
    let members = this.#index.get(object)
    if (!members) {
      members = new Map()
      for (const property of object.children ?? []) {
        const [key, value] = property.children ?? []
        if (key && value) members.set(String(key.value), { key, value })
      }
      this.#index.set(object, members)
    }
    return members
  }

  /**
   * An object's member values by key (the last of duplicates), reporting duplicate keys and — when `known` is
   * given — unknown ones.
   */
  #members(object: Node, pointer: string, known: Set<string> | undefined): Map<string, Node> {
    const members = new Map<string, Node>()
    for (const property of object.children ?? []) {
      const key = property.children?.[0]
      const value = property.children?.[1]
      if (!key || !value) continue
      const name = String(key.value)
      if (members.has(name)) {
        this.#add('error', `Duplicate key "${clip(name)}": a JSON reader keeps only the last one`, { key: 'dm.duplicateKey', params: { key: clip(name) } }, childPointer(pointer, name), key)
      }
      if (known && !known.has(name)) this.#add('warning', `Unknown field "${clip(name)}" is ignored`, { key: 'dm.unknownField', params: { field: clip(name) } }, childPointer(pointer, name), key)
      // An action id or a locale is kept as a key, and the workspace's store copies keys by assignment, where
      // "__proto__" sets the copy's prototype instead: the action (or text) would vanish from the stored package.
      if (!known && name === '__proto__') {
        this.#add(
          'error',
          `"__proto__" cannot be used as a key: it would be lost when the package is stored; rename it`,
          { key: 'dm.reservedKey', params: { key: name } },
          childPointer(pointer, name),
          key,
        )
      }
      members.set(name, value)
    }
    return members
  }

  /** A locale map's texts, which the window and the platform show to operators. */
  #texts(map: Node, pointer: string): void {
    for (const [locale, value] of this.#members(map, pointer, undefined)) this.#bidi(value, childPointer(pointer, locale))
  }

  #bidi(value: Node, pointer: string): void {
    if (value.type !== 'string') return
    const char = BIDI_CONTROL.exec(String(value.value))?.[0]
    if (char === undefined) return
    const code = codePoint(char)
    const message = `The text contains a bidirectional control character (${code}): it shows what follows in another order than written; remove it`
    this.#add('error', message, { key: 'dm.bidiControl', params: { code } }, pointer, value)
  }

  #action(action: Node, pointer: string): void {
    const members = this.#members(action, pointer, ACTION_FIELDS)
    for (const field of ['actionDisplayName', 'description']) {
      const map = members.get(field)
      if (map?.type === 'object') this.#texts(map, childPointer(pointer, field))
    }
    const parameters = members.get('parameters')
    if (parameters?.type !== 'array') return
    const names = new Set<string>()
    parameters.children?.forEach((parameter, index) => {
      if (parameter.type !== 'object') return
      const at = childPointer(childPointer(pointer, 'parameters'), index)
      const name = this.#parameter(parameter, at)
      if (name?.type !== 'string') return
      const text = String(name.value)
      if (names.has(text)) {
        this.#add('error', `Parameter "${clip(text)}" is already defined in this action`, { key: 'dm.duplicateParameter', params: { name: clip(text) } }, childPointer(at, 'name'), name)
      }
      names.add(text)
    })
  }

  /** Checks one parameter; returns its name node for the uniqueness check. */
  #parameter(parameter: Node, pointer: string): Node | undefined {
    const members = this.#members(parameter, pointer, PARAMETER_FIELDS)
    const required = members.get('required')
    if (required?.type === 'string' && (required.value === 'true' || required.value === 'false')) {
      const value = String(required.value)
      this.#add(
        'warning',
        `"required" should be the boolean ${value}, not the string "${value}"; it is read as ${value}`,
        { key: 'dm.requiredString', params: { value } },
        childPointer(pointer, 'required'),
        required,
      )
    }
    const valueNode = members.get('value')
    let pattern: string | undefined
    if (valueNode?.type === 'string') pattern = String(valueNode.value)
    else if (valueNode?.type === 'number') {
      pattern = String(valueNode.value)
      this.#add(
        'warning',
        `The pattern is the number ${pattern}; it is read as the text "${pattern}"`,
        { key: 'dm.valueNumber', params: { value: pattern } },
        childPointer(pointer, 'value'),
        valueNode,
      )
    }
    const check = pattern === undefined ? undefined : this.#pattern(pattern, childPointer(pointer, 'value'), valueNode!)

    const defaultNode = members.get('defaultValue')
    let defaultValue: string | undefined
    if (defaultNode?.type === 'string') defaultValue = String(defaultNode.value)
    else if (defaultNode?.type === 'number' || defaultNode?.type === 'boolean') {
      defaultValue = String(defaultNode.value)
      this.#add(
        'warning',
        `"defaultValue" should be text; ${defaultValue} is read as "${defaultValue}"`,
        { key: 'dm.defaultCoerced', params: { value: defaultValue } },
        childPointer(pointer, 'defaultValue'),
        defaultNode,
      )
    }
    if (defaultValue !== undefined && pattern !== undefined && check?.compiles) {
      this.#defaultMatches(defaultValue, pattern, check, childPointer(pointer, 'defaultValue'), defaultNode!)
    }
    return members.get('name')
  }

  /** Compiles each distinct pattern once per package: real packages repeat theirs (`\w+` for every plugin id). */
  #pattern(pattern: string, pointer: string, node: Node): PatternCheck {
    let check = this.#patterns.get(pattern)
    if (!check) {
      check = checkPattern(pattern)
      this.#patterns.set(pattern, check)
    }
    if (!check.compiles) {
      if (check.java) {
        const construct = clip(check.java, 40)
        this.#add(
          'error',
          `Not a valid JavaScript regular expression: ${construct} is Java syntax that JavaScript does not support (${check.detail})`,
          { key: 'dm.regexJava', params: { construct, detail: check.detail } },
          pointer,
          node,
        )
      } else {
        // The window says the problem in words (regexProblem); the engine's reason stays for the one it cannot name.
        this.#add(
          'error',
          `Not a valid regular expression: ${check.detail}`,
          { key: check.problem === 'other' ? 'dm.regexInvalidOther' : 'dm.regexInvalid', params: { regexProblem: check.problem, detail: check.detail } },
          pointer,
          node,
        )
      }
    } else {
      if (check.javaDiffers) {
        const construct = clip(check.javaDiffers, 40)
        this.#add(
          'warning',
          `${construct} is Java regular-expression syntax; JavaScript, which Fieldline uses to check values, reads it differently`,
          { key: 'dm.regexJavaDiffers', params: { construct } },
          pointer,
          node,
        )
      }
      if (pattern === '') {
        this.#add('warning', 'An empty pattern accepts only an empty value; remove "value" to accept any value', { key: 'dm.regexEmpty' }, pointer, node)
      }
    }
    return check
  }

  #defaultMatches(value: string, pattern: string, check: PatternCheck & { compiles: true }, pointer: string, node: Node): void {
    const matcher = check.matcher()
    if (!matcher.ok && matcher.reason === 'unsupported') {
      const construct = clip(matcher.construct, 40)
      this.#add(
        'warning',
        `The default value was not checked: the pattern uses ${construct}, which cannot be checked safely`,
        { key: 'dm.defaultUncheckedFeature', params: { construct } },
        pointer,
        node,
      )
      return
    }
    const matches = matcher.ok ? matcher.test(value, this.#budget) : undefined
    if (matches === undefined) {
      this.#add('warning', 'The default value was not checked: the pattern or the value is too large to check safely', { key: 'dm.defaultUncheckedSize' }, pointer, node)
    } else if (!matches) {
      const params = { value: clip(value), pattern: clip(pattern) }
      this.#add('error', `The default value "${params.value}" does not match the pattern ${params.pattern} (the whole value must match)`, { key: 'dm.defaultMismatch', params }, pointer, node)
    }
  }
}

// ── The normalised value ──────────────────────────────────────────────────────────────────────────────────

/** The shape the schema guarantees once it has passed (before coercion). */
interface RawParameter {
  name: string
  value?: string | number
  required?: boolean | 'true' | 'false'
  defaultValue?: string | number | boolean
}
interface RawAction {
  actionDisplayName: LocaleMap
  description?: LocaleMap
  parameters?: RawParameter[]
}
interface RawPackage {
  bundleId: string
  version?: string
  provider?: string
  displayName: LocaleMap
  description?: LocaleMap
  actions: Record<string, RawAction>
}

// Object.fromEntries defines own properties, so no key of the package can reach a prototype (a "__proto__" key is
// refused above, since the store would not keep it).
const copyMap = (map: LocaleMap): LocaleMap => Object.fromEntries(Object.entries(map))

function normalise(raw: RawPackage): DmPackage {
  const actions = Object.entries(raw.actions).map(([id, a]): [string, DmAction] => [
    id,
    {
      actionDisplayName: copyMap(a.actionDisplayName),
      ...(a.description ? { description: copyMap(a.description) } : {}),
      ...(a.parameters
        ? {
            parameters: a.parameters.map((p) => ({
              name: p.name,
              ...(p.value !== undefined ? { value: String(p.value) } : {}),
              required: p.required === true || p.required === 'true',
              ...(p.defaultValue !== undefined ? { defaultValue: String(p.defaultValue) } : {}),
            })),
          }
        : {}),
    },
  ])
  return {
    bundleId: raw.bundleId,
    ...(raw.version !== undefined ? { version: raw.version } : {}),
    ...(raw.provider !== undefined ? { provider: raw.provider } : {}),
    displayName: copyMap(raw.displayName),
    ...(raw.description ? { description: copyMap(raw.description) } : {}),
    actions: Object.fromEntries(actions),
  }
}
