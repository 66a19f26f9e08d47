import type { Translate } from '../../i18n'
import { formatNumber } from '../../lib/format'

/** A duration as the operator reads it: seconds under two minutes, minutes under two hours, then hours. */
export function durationText(t: Translate, locale: string | null | undefined, seconds: number): string {
  if (seconds < 120) return t('sims.sync.seconds', { values: { n: formatNumber(Math.ceil(seconds), locale, 0) } })
  if (seconds < 7200) return t('sims.sync.minutes', { values: { n: formatNumber(Math.round(seconds / 60), locale, 0) } })
  return t('sims.sync.hours', { values: { n: formatNumber(seconds / 3600, locale, 1) } })
}
