import type { Carrier, SimStatus } from '../../../../src-shared/models/sim'
import { parseNumber } from '../../lib/format'
import type { ALERT_KINDS, AlertCondition, AlertRuleInput, WEATHER_RULE_COMPARISONS, WEATHER_RULE_MEASURES, WEATHER_RULE_UNITS } from '../../../../src-shared/models/sim-inventory'

export type AlertKind = (typeof ALERT_KINDS)[number]

/** Decimal units, as carriers bill (1 MB = 1,000,000 bytes), the same as the figures shown everywhere else. */
export const BYTE_UNITS = { MB: 1e6, GB: 1e9 } as const
export type ByteUnit = keyof typeof BYTE_UNITS

export interface AllowanceRow {
  plan: string
  amount: string
  unit: ByteUnit
}

/** What the rule form holds: texts as typed (a French "1,5" included), turned into the contract's input on submit. */
export interface RuleDraft {
  id: string
  name: string
  kind: AlertKind
  amount: string
  unit: ByteUnit
  percent: string
  count: string
  days: string
  failures: string
  measure: (typeof WEATHER_RULE_MEASURES)[number]
  comparison: (typeof WEATHER_RULE_COMPARISONS)[number]
  threshold: string
  /** '' for the workspace's weather units, which the core then writes into the rule. */
  weatherUnit: '' | (typeof WEATHER_RULE_UNITS)[keyof typeof WEATHER_RULE_UNITS][number]
  statuses: SimStatus[]
  allowances: AllowanceRow[]
  carriers: Carrier[]
  accounts: string[]
  emails: string[]
}

export function blankDraft(): RuleDraft {
  return {
    id: '',
    name: '',
    kind: 'dataAbove',
    amount: '',
    unit: 'MB',
    percent: '80',
    count: '',
    days: '30',
    failures: '3',
    measure: 'windSpeed',
    comparison: 'above',
    threshold: '',
    weatherUnit: '',
    statuses: [],
    allowances: [{ plan: '', amount: '', unit: 'GB' }],
    carriers: [],
    accounts: [],
    emails: [],
  }
}

/** parseNumber with a sign, for temperatures below zero ("-5", "−2,5"). */
export function parseSigned(text: string, locale: string | null | undefined): number {
  const t = text.trim().replace(/^[-\u2212]/, '')
  return t.length < text.trim().length ? -parseNumber(t, locale) : parseNumber(t, locale)
}

const bytesOf = (amount: string, unit: ByteUnit, locale: string | null | undefined): number => Math.round(parseNumber(amount, locale) * BYTE_UNITS[unit])

function condition(d: RuleDraft, locale: string | null | undefined): AlertCondition {
  switch (d.kind) {
    case 'dataAbove':
      return { kind: 'dataAbove', bytes: bytesOf(d.amount, d.unit, locale) }
    case 'dataShare':
      return { kind: 'dataShare', percent: parseNumber(d.percent, locale), allowances: Object.fromEntries(d.allowances.map((a) => [a.plan.trim(), bytesOf(a.amount, a.unit, locale)])) }
    case 'smsAbove':
      return { kind: 'smsAbove', count: parseNumber(d.count, locale) }
    case 'statusChanged':
      return { kind: 'statusChanged', to: d.statuses }
    case 'noSession':
      return { kind: 'noSession', days: parseNumber(d.days, locale) }
    case 'syncFailing':
      return { kind: 'syncFailing', failures: parseNumber(d.failures, locale) }
    case 'smsFailed':
      return { kind: 'smsFailed' }
    case 'weather':
      return { kind: 'weather', measure: d.measure, comparison: d.comparison, threshold: parseSigned(d.threshold, locale), ...(d.weatherUnit ? { unit: d.weatherUnit } : {}) }
  }
}

/** The alerts:add input the draft stands for, as the schema will judge it; amounts are read in `locale`. */
export function ruleInput(d: RuleDraft, locale: string | null | undefined): AlertRuleInput {
  // A weather rule watches devices, not SIMs: no carrier or account limits it (the core refuses them).
  const weather = d.kind === 'weather'
  return { id: d.id.trim(), name: d.name.trim(), condition: condition(d, locale), carriers: weather ? [] : d.carriers, accounts: weather ? [] : d.accounts, emails: d.emails }
}
