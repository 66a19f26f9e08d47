/**
 * A contract ABI as the operator pastes it or reads it from a file (docs/wire/ledger.md §2): JSON checked with line and
 * column (the shared json module), then the shape of each item. What the mapper needs is described: functions with
 * their inputs, events, custom errors.
 */
import type { Abi } from 'viem'
import { z } from 'zod'
import type { Diagnostic } from '../../../src-shared/contract'
import type { LedgerDescription } from '../../../src-shared/models/ledger'
import { MAX_ABI_CHARS } from '../../../src-shared/models/ledger'
import { AppError } from '../common/errors'
import { makeDiagnostic } from '../json/diagnostic'
import { LineMap } from '../json/line-map'
import { parseJsonDocument } from '../json/parse'
import { issueDiagnostic } from '../json/schema-diagnostics'

/** Solidity's elementary types and tuples, with any array suffixes. */
const SOLIDITY_TYPE =
  /^(?:u?int(?:8|16|24|32|40|48|56|64|72|80|88|96|104|112|120|128|136|144|152|160|168|176|184|192|200|208|216|224|232|240|248|256)?|address|bool|string|bytes(?:[1-9]|[12]\d|3[0-2])?|tuple|function)(?:\[\d*\])*$/

interface Param {
  name?: string | undefined
  type: string
  indexed?: boolean | undefined
  internalType?: string | undefined
  components?: Param[] | undefined
}

const paramSchema: z.ZodType<Param> = z.lazy(() =>
  z
    .object({
      name: z.string().max(200).optional(),
      type: z.string().regex(SOLIDITY_TYPE, { message: 'is not a Solidity type' }),
      indexed: z.boolean().optional(),
      internalType: z.string().max(400).optional(),
      components: z.array(paramSchema).max(100).optional(),
    })
    .strict(),
)
const params = z.array(paramSchema).max(100)
const name = z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,99}$/, { message: 'is not a Solidity identifier' })
const mutability = z.enum(['pure', 'view', 'nonpayable', 'payable'])

const abiItemSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('function'), name, inputs: params, outputs: params.default([]), stateMutability: mutability }).strict(),
  z.object({ type: z.literal('event'), name, inputs: params, anonymous: z.boolean().default(false) }).strict(),
  z.object({ type: z.literal('error'), name, inputs: params }).strict(),
  z.object({ type: z.literal('constructor'), inputs: params, stateMutability: mutability }).strict(),
  z.object({ type: z.literal('fallback'), stateMutability: mutability }).strict(),
  z.object({ type: z.literal('receive'), stateMutability: z.literal('payable') }).strict(),
])
const abiSchema = z.array(abiItemSchema).max(2000)

export type AbiCheck = { valid: true; abi: Abi; description: LedgerDescription; diagnostics: [] } | { valid: false; diagnostics: Diagnostic[] }

export function describeAbi(abi: Abi): LedgerDescription {
  const inputs = (list: readonly { name?: string | undefined; type: string }[]) => list.map((p, i) => ({ name: p.name || `#${i}`, type: p.type }))
  return {
    functions: abi.flatMap((i) => (i.type === 'function' ? [{ name: i.name, inputs: inputs(i.inputs), mutates: i.stateMutability !== 'view' && i.stateMutability !== 'pure' }] : [])),
    events: abi.flatMap((i) => (i.type === 'event' ? [{ name: i.name, inputs: i.inputs.map((p, n) => ({ name: p.name || `#${n}`, type: p.type, indexed: p.indexed === true })) }] : [])),
    errors: abi.flatMap((i) => (i.type === 'error' ? [{ name: i.name, inputs: inputs(i.inputs) }] : [])),
  }
}

export function checkAbi(text: string): AbiCheck {
  if (text.length > MAX_ABI_CHARS) {
    return {
      valid: false,
      diagnostics: [makeDiagnostic(new LineMap(text), 'error', `The ABI is longer than ${MAX_ABI_CHARS} characters`, { key: 'ledger.abi.tooLong', params: { max: MAX_ABI_CHARS } }, '', 0, 1)],
    }
  }
  const doc = parseJsonDocument(text, { syntaxKey: 'ledger.abi.syntax', depth: { max: 64, key: 'ledger.abi.tooDeep' } })
  if (!doc.ok) return { valid: false, diagnostics: doc.diagnostics }
  const parsed = abiSchema.safeParse(doc.value)
  if (!parsed.success) {
    return { valid: false, diagnostics: parsed.error.issues.slice(0, 50).map((issue) => issueDiagnostic(doc.tree, doc.lines, issue, { key: 'ledger.abi.invalid', params: { detail: issue.message } })) }
  }
  const abi = parsed.data as unknown as Abi
  return { valid: true, abi, description: describeAbi(abi), diagnostics: [] }
}

/** The ABI of saved settings, or VALIDATION naming the first problem with its line and column. */
export function parseAbiOrThrow(text: string): Abi {
  const check = checkAbi(text)
  if (check.valid) return check.abi
  const first = check.diagnostics[0]!
  throw AppError.withRef(
    'VALIDATION',
    `The ABI is not valid: line ${first.line}, column ${first.column}: ${first.message}`,
    { key: 'ledger.abi.invalidAt', params: { line: first.line, column: first.column } },
    { diagnostics: check.diagnostics },
  )
}
