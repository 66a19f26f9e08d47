/**
 * An alert rule's condition in English words for `fieldline alerts list` (--json keeps the condition as it is stored).
 * The words follow the app's (alerts.ui.describe.* in the renderer's en.json); numbers are grouped as the CLI's other
 * human-readable output (countText).
 */
import type { AlertCondition } from '../../src-shared/models/sim-inventory'
import { countText } from '../../src-shared/models/count-text'

const bytes = (n: number): string => `${countText(n)} ${n === 1 ? 'byte' : 'bytes'}`

export function conditionWords(c: AlertCondition): string {
  switch (c.kind) {
    case 'dataAbove':
      return `data above ${bytes(c.bytes)} this cycle`
    case 'dataShare': {
      const plans = Object.entries(c.allowances).map(([plan, n]) => `${plan} ${bytes(n)}`)
      return `data above ${countText(c.percent)}% of the plan allowance this cycle (${plans.length === 0 ? 'no plan allowance given' : plans.join(', ')})`
    }
    case 'smsAbove':
      return `more than ${countText(c.count)} SMS this cycle`
    case 'statusChanged':
      return c.to.length === 0 ? 'any status change' : `status changed to ${c.to.join(' or ')}`
    case 'noSession':
      return `no data session for ${countText(c.days)} ${c.days === 1 ? 'day' : 'days'}`
    case 'syncFailing':
      return `${countText(c.failures)} failed ${c.failures === 1 ? 'sync' : 'syncs'} in a row`
    case 'smsFailed':
      return 'an SMS that Control Center reports as failed'
    case 'weather':
      return `${c.measure === 'windSpeed' ? 'wind speed' : 'temperature'} ${c.comparison} ${c.threshold}${c.unit ? ` ${c.unit}` : ''}`
  }
}
