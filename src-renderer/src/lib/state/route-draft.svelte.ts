import type { Input, MessageRef } from '../../../../src-shared/contract'
import type { LedgerDescription, Route, RouteRow } from '../../../../src-shared/models/ledger'
import { LEDGER_UNITS } from '../../../../src-shared/models/ledger'
import type { ExtraChecks } from '../form/issues'

export type Unit = (typeof LEDGER_UNITS)[number]
export type SourceKind = RouteRow['source']['kind']
export type TimestampFormat = Extract<RouteRow['source'], { kind: 'serverTimestamp' }>['format']
export type FabricType = NonNullable<RouteRow['type']>
export type ArgumentStyle = NonNullable<Input<'ledger:saveRoute'>['argumentStyle']>
export type FunctionDescription = LedgerDescription['functions'][number]
export type RouteInput = Input<'ledger:saveRoute'>

/** One row "parameter ← source + transform" as the form edits it: every field as typed, numbers as text. */
export interface RowDraft {
  parameter: string
  source: SourceKind
  path: string
  decode: 'none' | 'base64'
  constant: string
  format: TimestampFormat
  type: FabricType | ''
  scale: string
  unitFrom: Unit | ''
  unitTo: Unit | ''
  min: string
  max: string
  required: boolean
  default: string
}

export function blankRow(parameter = ''): RowDraft {
  return { parameter, source: 'path', path: '', decode: 'none', constant: '', format: 'unix-s', type: '', scale: '0', unitFrom: '', unitTo: '', min: '', max: '', required: true, default: '' }
}

/** Text as a number for the contract: empty is "not given", anything else is read as typed (NaN is refused there). */
function numberOf(text: string): number | undefined {
  const trimmed = text.trim()
  return trimmed === '' ? undefined : Number(trimmed)
}

export function rowFromRoute(row: RouteRow): RowDraft {
  const s = row.source
  return {
    ...blankRow(row.parameter),
    source: s.kind,
    path: s.kind === 'path' ? s.path : '',
    decode: s.kind === 'path' ? s.decode : 'none',
    constant: s.kind === 'constant' ? s.value : '',
    format: s.kind === 'serverTimestamp' ? s.format : 'unix-s',
    type: row.type ?? '',
    scale: String(row.scale),
    unitFrom: row.unit?.from ?? '',
    unitTo: row.unit?.to ?? '',
    min: row.min === undefined ? '' : String(row.min),
    max: row.max === undefined ? '' : String(row.max),
    required: row.required,
    default: row.default ?? '',
  }
}

/** The row the contract checks and the core stores; a unit half chosen is sent as chosen, so the schema names it. */
export function rowToSave(d: RowDraft): unknown {
  const source =
    d.source === 'path' ? { kind: 'path', path: d.path.trim(), decode: d.decode } : d.source === 'constant' ? { kind: 'constant', value: d.constant } : { kind: 'serverTimestamp', format: d.format }
  const row: Record<string, unknown> = { parameter: d.parameter.trim(), source, scale: numberOf(d.scale) ?? 0, required: d.required }
  if (d.type !== '') row.type = d.type
  if (d.unitFrom !== '' || d.unitTo !== '') row.unit = { from: d.unitFrom === '' ? undefined : d.unitFrom, to: d.unitTo === '' ? undefined : d.unitTo }
  const min = numberOf(d.min)
  const max = numberOf(d.max)
  if (min !== undefined) row.min = min
  if (max !== undefined) row.max = max
  if (!d.required && d.default !== '') row.default = d.default
  return row
}

/**
 * A route as the editor holds it: the device type and event it listens to, the target and function it calls, and its
 * rows, edited with the keyboard (add, remove, move up and down). The function's parameters come from ledger:describe.
 */
export class RouteDraft {
  id = $state<string | undefined>(undefined)
  name = $state('')
  targetId = $state('')
  deviceType = $state('')
  eventId = $state('')
  fn = $state('')
  argumentStyle = $state<ArgumentStyle>('abi')
  eventIdPath = $state('')
  enabled = $state(true)
  rows = $state<RowDraft[]>([blankRow()])

  constructor(route?: Route, targetId = '') {
    if (!route) {
      this.targetId = targetId
      return
    }
    this.id = route.id
    this.name = route.name
    this.targetId = route.targetId
    this.deviceType = route.deviceType
    this.eventId = route.eventId
    this.fn = route.function
    this.argumentStyle = route.argumentStyle
    this.eventIdPath = route.eventIdPath ?? ''
    this.enabled = route.enabled
    this.rows = route.rows.map(rowFromRoute)
  }

  input(): RouteInput {
    const path = this.eventIdPath.trim()
    return {
      ...(this.id ? { id: this.id } : {}),
      name: this.name.trim(),
      targetId: this.targetId,
      deviceType: this.deviceType.trim(),
      eventId: this.eventId.trim(),
      function: this.fn,
      argumentStyle: this.argumentStyle,
      ...(path ? { eventIdPath: path } : {}),
      rows: this.rows.map(rowToSave) as RouteInput['rows'],
      enabled: this.enabled,
    }
  }

  /** Adds an empty row after `after` (at the end by default); its index. */
  addRow(after = this.rows.length - 1): number {
    const at = Math.max(0, Math.min(this.rows.length, after + 1))
    this.rows = [...this.rows.slice(0, at), blankRow(), ...this.rows.slice(at)]
    return at
  }

  removeRow(index: number): void {
    if (this.rows.length <= 1 || index < 0 || index >= this.rows.length) return
    this.rows = this.rows.filter((_, i) => i !== index)
  }

  /** Moves a row up (-1) or down (+1); its new index (unchanged at either end). */
  moveRow(index: number, by: -1 | 1): number {
    const to = index + by
    if (index < 0 || index >= this.rows.length || to < 0 || to >= this.rows.length) return index
    const rows = [...this.rows]
    ;[rows[index], rows[to]] = [rows[to]!, rows[index]!]
    this.rows = rows
    return to
  }

  /**
   * The function picked: one row per parameter, in the function's order, keeping what was written for a parameter
   * already mapped. An EVM function takes exactly its parameters; a Fabric JSON argument may carry more keys.
   */
  pickFunction(fn: FunctionDescription, kind: 'evm' | 'fabric'): void {
    this.fn = fn.name
    const named = this.rows.filter((r) => r.parameter.trim() !== '')
    const rows = fn.inputs.map((input) => named.find((r) => r.parameter.trim() === input.name) ?? blankRow(input.name))
    const extra = kind === 'fabric' && this.argumentStyle === 'json' ? this.rows.filter((r) => r.parameter.trim() !== '' && !fn.inputs.some((i) => i.name === r.parameter.trim())) : []
    const all = [...rows, ...extra]
    this.rows = all.length > 0 ? all : [blankRow()]
  }
}

const at = (index: number, field: string): string => `rows.${index}.${field}`

/**
 * What the contract's schema cannot say about a route and the core would refuse (docs/wire/ledger.md): a parameter
 * mapped twice, one the EVM function does not take, one it takes that no row maps, a range upside down. Placed at the row's field, in the core's own words.
 */
export function routeChecks(draft: RouteDraft, fn: FunctionDescription | undefined, kind: 'evm' | 'fabric' | undefined): ExtraChecks {
  const found: Record<string, MessageRef> = {}
  const seen: string[] = []
  draft.rows.forEach((row, i) => {
    const parameter = row.parameter.trim()
    if (parameter !== '' && seen.includes(parameter)) found[at(i, 'parameter')] = { key: 'ledger.route.duplicateParameter', params: { parameter } }
    seen.push(parameter)
    if (kind === 'evm' && fn && parameter !== '' && !fn.inputs.some((input) => input.name === parameter)) found[at(i, 'parameter')] ??= { key: 'ledger.route.unknownParameter', params: { parameter } }
    if (kind === 'evm' && row.type !== '') found[at(i, 'type')] = { key: 'ledger.route.evmType' }
    const min = numberOf(row.min)
    const max = numberOf(row.max)
    if (min !== undefined && max !== undefined && min > max) found[at(i, 'min')] = { key: 'ledger.route.minAboveMax', params: { parameter: parameter || '—' } }
  })
  if (fn && kind === 'evm') {
    const missing = fn.inputs.find((input) => !seen.includes(input.name))
    if (missing) found.function = { key: 'ledger.route.unmapped', params: { parameter: missing.name } }
  }
  if (draft.fn === '') found.function = { key: 'ledger.ui.route.pickFunction' }
  if (kind === 'evm' && draft.argumentStyle !== 'abi') found.argumentStyle = { key: 'ledger.route.evmStyle' }
  if (kind === 'fabric' && draft.argumentStyle === 'abi') found.argumentStyle = { key: 'ledger.route.fabricStyle' }
  return found
}
