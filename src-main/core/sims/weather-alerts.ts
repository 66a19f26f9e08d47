import type { DeviceKey } from '../../../src-shared/models/device-id'
import { WEATHER_RULE_UNITS, type AlertCondition, type AlertRule, type AlertRuleInput } from '../../../src-shared/models/sim-inventory'
import type { Quantity, WeatherUnits } from '../../../src-shared/models/weather'
import { AppError } from '../common/errors'
import type { DeviceDoc } from '../store/devices.store'
import type { Db } from '../store/documents'
import { convert, round, UNIT_SETS } from '../weather/units'
import { readAt, weatherCachePages, type WeatherCacheDoc } from '../weather/weather.store'

type WeatherCondition = Extract<AlertCondition, { kind: 'weather' }>
type WeatherRuleUnit = NonNullable<WeatherCondition['unit']>

export interface WeatherHit {
  key: string
  device: DeviceKey
  value: string
}

/**
 * A weather rule as it is stored: its threshold's unit written in (the workspace's units when none was given), so the
 * rule keeps meaning what the operator typed after the workspace's units change. Refuses a unit of another measure, a
 * negative wind speed, and carriers or accounts (a weather rule is about devices, not SIMs).
 */
export function weatherCondition(input: AlertRuleInput, condition: WeatherCondition, workspaceUnits: WeatherUnits): WeatherCondition {
  if (input.carriers.length > 0 || input.accounts.length > 0) {
    throw AppError.withRef(
      'VALIDATION',
      'A weather rule watches devices: it takes no carriers or accounts',
      { key: 'alerts.weather.noCarriers' },
      { issues: [{ path: 'carriers', message: 'must be empty' }] },
    )
  }
  const unit = condition.unit ?? UNIT_SETS[workspaceUnits][condition.measure === 'temperature' ? 'temperature' : 'speed']
  const allowed: readonly string[] = WEATHER_RULE_UNITS[condition.measure]
  if (!allowed.includes(unit)) {
    throw AppError.withRef(
      'VALIDATION',
      `A ${condition.measure} threshold is in ${allowed.join(', ')}, not ${unit}`,
      { key: 'alerts.weather.unit', params: { unit, units: allowed.join(', ') } },
      { issues: [{ path: 'condition.unit', message: `must be one of ${allowed.join(', ')}` }] },
    )
  }
  if (condition.measure === 'windSpeed' && condition.threshold < 0) {
    throw AppError.withRef(
      'VALIDATION',
      'A wind speed threshold cannot be negative',
      { key: 'alerts.weather.negativeWind' },
      { issues: [{ path: 'condition.threshold', message: 'must be 0 or more' }] },
    )
  }
  return { ...condition, unit }
}

/** The reading's value of the rule's measure in the rule's unit, or null when the reading has none. */
function valueIn(doc: WeatherCacheDoc, c: WeatherCondition, unit: WeatherRuleUnit): number | null {
  const q: Quantity | undefined = c.measure === 'temperature' ? doc.reading?.temperature : doc.reading?.wind?.speed
  if (!q || typeof q.value !== 'number' || !Number.isFinite(q.value)) return null
  const from = q.unit
  if (!(WEATHER_RULE_UNITS[c.measure] as readonly string[]).includes(from)) return null
  return convert(q.value, from, unit)
}

/**
 * The weather rules' conditions that hold now, over the cached reading of every device with a location. A reading
 * taken at another point than the device's location (it moved since) is not the weather at the device: it is passed
 * over until the weather there is fetched. Nothing here asks a provider.
 */
export async function weatherHits(db: Db, rules: readonly AlertRule[]): Promise<Map<string, WeatherHit[]>> {
  const hits = new Map<string, WeatherHit[]>(rules.map((r) => [r.id, []]))
  if (rules.length === 0) return hits
  for await (const page of weatherCachePages(db)) {
    const devices = await db.allDocs({ keys: page.map(({ key }) => `device:${key.typeId}:${key.deviceId}`), include_docs: true })
    page.forEach(({ key, doc }, i) => {
      const row = devices.rows[i]
      const device = row && 'doc' in row ? (row.doc as unknown as DeviceDoc | null | undefined) : null
      const at = device?.location
      if (!readAt(doc.request, at)) return
      for (const rule of rules) {
        const c = rule.condition
        if (c.kind !== 'weather' || !c.unit) continue
        const value = valueIn(doc, c, c.unit)
        if (value === null || !(c.comparison === 'above' ? value > c.threshold : value < c.threshold)) continue
        hits.get(rule.id)!.push({ key: `${key.typeId}:${key.deviceId}`, device: key, value: `${round(value, c.unit)} ${c.unit}` })
      }
    })
  }
  return hits
}
