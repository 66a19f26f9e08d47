import { SIM_STATUSES, type Carrier, type SimStatus } from '../../../../src-shared/models/sim'
import type { Translate } from '../../i18n'

/** Normalised statuses have fixed keys; a value from a newer core still shows, as its code. */
export function statusText(t: Translate, status: SimStatus | string): string {
  return (SIM_STATUSES as readonly string[]).includes(status) ? t(`sim.statuses.${status}`) : status
}

export function carrierText(t: Translate, carrier: Carrier): string {
  return t(`carriers.${carrier}`)
}

const SMS_STATUSES = ['Pending', 'Delivered', 'Failed', 'Cancelled', 'CancelFailed', 'CancelPending', 'Unknown', 'Received'] as const

/** Control Center's SMS statuses (docs/wire/control-center.md §1.10) in words; anything else the carrier says is shown as it is. */
export function smsStatusText(t: Translate, status: string | null): string {
  if (status === null) return t('sim.sms.awaiting')
  return (SMS_STATUSES as readonly string[]).includes(status) ? t(`sim.smsStatuses.${status}`) : status
}

const OVERRIDES = ['DEFAULT', 'TEMPORARY_OVERRIDE', 'PERMANENT_OVERRIDE'] as const

export function overrideText(t: Translate, value: string | null): string {
  if (value === null) return '—'
  return (OVERRIDES as readonly string[]).includes(value) ? t(`sim.overrides.${value}`) : value
}
