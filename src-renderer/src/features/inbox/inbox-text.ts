import type { AlertCondition, Notification } from '../../../../src-shared/models/sim-inventory'
import { localWeatherValue } from '../../../../src-shared/models/weather-units'
import { wordFor, type Translate } from '../../i18n'
import { formatBytes, formatCount, formatNumber, formatPercent } from '../../lib/format'
import { href } from '../../lib/router.svelte'
import { DEFAULT_SIM_VIEW, searchOfSimView, type SimView } from '../../lib/sim-view'

/** What was found, in words: "612 MB of data this cycle", "Status Activated → Retired", "No data session for 41 days". */
export function findingText(t: Translate, locale: string | null | undefined, n: Pick<Notification, 'kind' | 'value' | 'account'>): string {
  const v = n.value
  switch (n.kind) {
    case 'dataAbove':
    case 'dataShare':
      return typeof v === 'number' ? t('inbox.ui.found.data', { values: { amount: formatBytes(v, locale) } }) : String(v)
    case 'smsAbove':
      return typeof v === 'number' ? t('inbox.ui.found.sms', { values: { count: v, shown: formatCount(v, locale) } }) : String(v)
    case 'statusChanged': {
      // The core writes the change as "from→to" with the statuses' codes.
      const [from, to] = String(v).split('→')
      return from && to ? t('inbox.ui.found.status', { values: { from: wordFor(t, 'sim.statuses', from), to: wordFor(t, 'sim.statuses', to) } }) : String(v)
    }
    case 'noSession':
      return typeof v === 'number' ? t('inbox.ui.found.noSession', { values: { days: v } }) : t('inbox.ui.found.neverSession')
    case 'syncFailing':
      return t('inbox.ui.found.syncFailing', { values: { count: typeof v === 'number' ? v : 0, account: n.account ?? '' } })
    case 'smsFailed':
      return t('inbox.ui.found.smsFailed', { values: { smsMsgId: String(v) } })
    case 'weather':
      return localWeatherValue(String(v), locale)
  }
}

/**
 * Where a notification leads: the device whose configuration names the SIM, else the SIMs page searched for the SIM within its
 * carrier (or filtered to the account, for an account-level alert), in the SIMs page's own address form.
 */
export function notificationHref(n: Pick<Notification, 'sim' | 'account' | 'devices' | 'device'>): string {
  if (n.device) return href({ name: 'device', typeId: n.device.typeId, deviceId: n.device.deviceId })
  const device = n.devices[0]
  if (device) {
    const slash = device.indexOf('/')
    return href({ name: 'device', typeId: device.slice(0, slash), deviceId: device.slice(slash + 1) })
  }
  const view: SimView = n.sim ? { ...DEFAULT_SIM_VIEW, text: n.sim.simId, filters: { carrier: [n.sim.carrier] } } : { ...DEFAULT_SIM_VIEW, filters: n.account ? { account: [n.account] } : {} }
  return `#/sims?${searchOfSimView(view)}`
}

/** What the link says: the device, the SIM, or the account. */
export function subjectText(t: Translate, n: Pick<Notification, 'sim' | 'account' | 'devices' | 'device'>): string {
  if (n.device) return t('inbox.ui.subject.device', { values: { device: `${n.device.typeId}/${n.device.deviceId}` } })
  if (n.devices[0]) return t('inbox.ui.subject.device', { values: { device: n.devices[0] } })
  if (n.sim) return t('inbox.ui.subject.sim', { values: { carrier: wordFor(t, 'carriers', n.sim.carrier), simId: n.sim.simId } })
  return t('inbox.ui.subject.account', { values: { account: n.account ?? '' } })
}

/** A rule's condition in words: "Data this cycle above 500 MB", "Over 80 % of the plan allowance (2 plans)". */
export function conditionText(t: Translate, locale: string | null | undefined, c: AlertCondition): string {
  switch (c.kind) {
    case 'dataAbove':
      return t('alerts.ui.describe.dataAbove', { values: { amount: formatBytes(c.bytes, locale) } })
    case 'dataShare':
      return t('alerts.ui.describe.dataShare', {
        values: {
          percent: formatPercent(c.percent, locale),
          plans: Object.entries(c.allowances)
            .map(([plan, bytes]) => `${plan} ${formatBytes(bytes, locale)}`)
            .join(', '),
        },
      })
    case 'smsAbove':
      return t('alerts.ui.describe.smsAbove', { values: { count: formatCount(c.count, locale) } })
    case 'statusChanged':
      return c.to.length === 0 ? t('alerts.ui.describe.anyStatus') : t('alerts.ui.describe.statusTo', { values: { statuses: c.to.map((s) => wordFor(t, 'sim.statuses', s)).join(', ') } })
    case 'noSession':
      return t('alerts.ui.describe.noSession', { values: { days: c.days } })
    case 'syncFailing':
      return t('alerts.ui.describe.syncFailing', { values: { count: c.failures } })
    case 'smsFailed':
      return t('alerts.ui.describe.smsFailed')
    case 'weather':
      return t('alerts.weather.description', {
        values: {
          measure: t(`alerts.weather.measures.${c.measure}`),
          comparison: t(`alerts.weather.comparisons.${c.comparison}`),
          threshold: formatNumber(c.threshold, locale, Number.isInteger(c.threshold) ? 0 : 1),
          unit: c.unit ?? '',
        },
      })
  }
}
