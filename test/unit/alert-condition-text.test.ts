/** Cold trial: `fieldline alerts list` printed each rule's condition as raw JSON; it prints it in words, one phrase per kind. */
import { describe, expect, it } from 'vitest'
import { conditionWords } from '../../src-main/cli/alert-condition-text'
import { ALERT_KINDS, type AlertCondition } from '../../src-shared/models/sim-inventory'

const EXAMPLES: Record<(typeof ALERT_KINDS)[number], [AlertCondition, string][]> = {
  dataAbove: [[{ kind: 'dataAbove', bytes: 1_048_576 }, 'data above 1,048,576 bytes this cycle']],
  dataShare: [[{ kind: 'dataShare', percent: 80, allowances: { 'Meter 10MB': 10_000_000 } }, 'data above 80% of the plan allowance this cycle (Meter 10MB 10,000,000 bytes)']],
  smsAbove: [[{ kind: 'smsAbove', count: 5 }, 'more than 5 SMS this cycle']],
  statusChanged: [
    [{ kind: 'statusChanged', to: [] }, 'any status change'],
    [{ kind: 'statusChanged', to: ['suspended', 'deactivated'] }, 'status changed to suspended or deactivated'],
  ],
  noSession: [
    [{ kind: 'noSession', days: 1 }, 'no data session for 1 day'],
    [{ kind: 'noSession', days: 30 }, 'no data session for 30 days'],
  ],
  syncFailing: [[{ kind: 'syncFailing', failures: 3 }, '3 failed syncs in a row']],
  smsFailed: [[{ kind: 'smsFailed' }, 'an SMS that Control Center reports as failed']],
  weather: [
    [{ kind: 'weather', measure: 'temperature', comparison: 'above', threshold: 35, unit: '°C' }, 'temperature above 35 °C'],
    [{ kind: 'weather', measure: 'windSpeed', comparison: 'below', threshold: 2.5 }, 'wind speed below 2.5'],
  ],
}

describe('alert conditions in words', () => {
  it.each(ALERT_KINDS)('words %s as a phrase, not JSON', (kind) => {
    for (const [condition, words] of EXAMPLES[kind]) expect(conditionWords(condition)).toBe(words)
  })
})
