import type { Carrier, SimStatus } from '../../../../src-shared/models/sim'
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

/**
 * A typed number, with either decimal sign; NaN for anything else (the schema then says what it expects). Empty text
 * is NaN too, not 0.
 */
export function parseAmount(text: string): number {
  const t = text.trim().replace(/\s/g, '').replace(',', '.')
  return t === '' || !/^\d*\.?\d+$/.test(t) ? NaN : Number(t)
}

/** parseAmount with a sign, for temperatures below zero ("-5", "−2,5"). */
export function parseSigned(text: string): number {
  const t = text.trim().replace(/^[-\u2212]/, '')
  return t.length < text.trim().length ? -parseAmount(t) : parseAmount(t)
}

const bytesOf = (amount: string, unit: ByteUnit): number => Math.round(parseAmount(amount) * BYTE_UNITS[unit])

/** An id from the name ("Data > 500 MB" → "data-500-mb"), for operators who do not care to choose one. */
export function slugOf(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '')
}

function condition(d: RuleDraft): AlertCondition {
  switch (d.kind) {
    case 'dataAbove':
      return { kind: 'dataAbove', bytes: bytesOf(d.amount, d.unit) }
    case 'dataShare':
      return { kind: 'dataShare', percent: parseAmount(d.percent), allowances: Object.fromEntries(d.allowances.map((a) => [a.plan.trim(), bytesOf(a.amount, a.unit)])) }
    case 'smsAbove':
      return { kind: 'smsAbove', count: parseAmount(d.count) }
    case 'statusChanged':
      return { kind: 'statusChanged', to: d.statuses }
    case 'noSession':
      return { kind: 'noSession', days: parseAmount(d.days) }
    case 'syncFailing':
      return { kind: 'syncFailing', failures: parseAmount(d.failures) }
    case 'smsFailed':
      return { kind: 'smsFailed' }
    case 'weather':
      return { kind: 'weather', measure: d.measure, comparison: d.comparison, threshold: parseSigned(d.threshold), ...(d.weatherUnit ? { unit: d.weatherUnit } : {}) }
  }
}

/** The alerts:add input the draft stands for, as the schema will judge it. */
export function ruleInput(d: RuleDraft): AlertRuleInput {
  // A weather rule watches devices, not SIMs: no carrier or account limits it (the core refuses them).
  const weather = d.kind === 'weather'
  return { id: d.id.trim(), name: d.name.trim(), condition: condition(d), carriers: weather ? [] : d.carriers, accounts: weather ? [] : d.accounts, emails: d.emails }
}
