import { SIM_STATUSES, type Carrier, type SimStatus } from '../../../../src-shared/models/sim'
import type { Translate } from '../../i18n'
import type { SmsDataCoding } from '../../lib/state/sim-panel.svelte'

/** Control Center's limits per dataCoding (docs/wire/control-center.md §1.10); without one, two concatenated parts. */
export const SMS_ENCODINGS = [
  { value: '', coding: undefined, max: 320, label: 'sim.sms.encodings.default' },
  { value: '0', coding: 0, max: 160, label: 'sim.sms.encodings.gsm7' },
  { value: '1', coding: 1, max: 160, label: 'sim.sms.encodings.ascii' },
  { value: '3', coding: 3, max: 160, label: 'sim.sms.encodings.latin1' },
  { value: '4', coding: 4, max: 140, label: 'sim.sms.encodings.binary' },
  { value: '8', coding: 8, max: 70, label: 'sim.sms.encodings.ucs2' },
] as const satisfies readonly { value: string; coding: SmsDataCoding | undefined; max: number; label: string }[]

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
