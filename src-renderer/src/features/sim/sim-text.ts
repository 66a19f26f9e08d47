import { SIM_STATUSES, type Carrier, type SimStatus } from '../../../../src-shared/models/sim'
import type { Translate } from '../../i18n'
import type { SmsDataCoding } from '../../lib/state/sim-panel.svelte'

/**
 * The codings the operator can choose (docs/wire/control-center.md §1.10); Default sends none, and the service codes
 * the text itself (320 characters). Each one's limit and how a text is counted in it are src-shared's (sms-length.ts).
 */
export const SMS_ENCODINGS = [
  { value: '', coding: undefined, label: 'sim.sms.encodings.default' },
  { value: '0', coding: 0, label: 'sim.sms.encodings.gsm7' },
  { value: '1', coding: 1, label: 'sim.sms.encodings.ascii' },
  { value: '3', coding: 3, label: 'sim.sms.encodings.latin1' },
  { value: '4', coding: 4, label: 'sim.sms.encodings.binary' },
  { value: '8', coding: 8, label: 'sim.sms.encodings.ucs2' },
] as const satisfies readonly { value: string; coding: SmsDataCoding | undefined; label: string }[]

/** A coding's name; an unknown one (from a newer core) as its number. */
export function encodingText(t: Translate, coding: number | null | undefined): string {
  const option = SMS_ENCODINGS.find((e) => e.coding === (coding ?? undefined))
  return option ? t(option.label) : String(coding)
}

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
