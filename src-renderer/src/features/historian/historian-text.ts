import type { ErrorInfo, MessageRef } from '../../../../src-shared/contract'
import type { BucketInterval, CouchSettings, DestinationState, DestinationStatus, HistorianStatus, KafkaSettings } from '../../../../src-shared/models/historian'
import { wordFor, type Translate } from '../../i18n'
import type { DestinationVerify, ForwarderVerify } from '../../lib/state/historian.svelte'

/** Words for the historian's codes, shared by the Extensions card and the device page. */

export const forwarderStateText = (t: Translate, state: HistorianStatus['state']): string => wordFor(t, 'historian.states', state)

export const mqttStateText = (t: Translate, state: HistorianStatus['mqtt']['state']): string => wordFor(t, 'historian.mqttStates', state)

export const destinationStateText = (t: Translate, state: DestinationState): string => wordFor(t, 'historian.destinationStates', state)

export const intervalText = (t: Translate, interval: BucketInterval): string => wordFor(t, 'historian.intervals', interval)

export const couchAuthText = (t: Translate, auth: CouchSettings['auth']): string => wordFor(t, 'historian.couchAuth', auth)

export const transportText = (t: Translate, transport: KafkaSettings['transport']): string => wordFor(t, 'historian.transports', transport)

export const securityText = (t: Translate, security: KafkaSettings['security']): string => wordFor(t, 'historian.security', security)

export const mechanismText = (t: Translate, mechanism: KafkaSettings['saslMechanism']): string => wordFor(t, 'historian.mechanisms', mechanism)

/** A destination "Verify connection" reached (or, for a REST producer, only checked). */
export function destinationVerified(t: Translate, result: DestinationVerify): string {
  return t(result.contacted ? 'historian.card.verifiedContacted' : 'historian.card.verifiedNotContacted', { values: { where: result.where } })
}

export function forwarderVerified(t: Translate, result: ForwarderVerify): string {
  return t('historian.card.verifiedForwarder', { values: { rules: result.rules, destinations: result.destinations } })
}

/** A duration in whole seconds as the operator reads it: "45 s", "3 min 5 s", "2 h 10 min". */
export function ageText(t: Translate, seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return t('historian.age.seconds', { values: { s } })
  if (s < 3600) return t('historian.age.minutes', { values: { m: Math.floor(s / 60), s: s % 60 } })
  return t('historian.age.hours', { values: { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) } })
}

/** How the forwarder's state line reads: the state's word, its colour, and what the operator must not miss about it. */
export interface ForwarderHeadline {
  state: string
  tone: 'ok' | 'busy' | 'warning' | 'danger' | 'neutral'
  note: string | null
}

/**
 * The forwarder's state as the card's header says it. Stopped after a run that ended without stopping (Fieldline
 * closed or crashed while it ran), it says so: the broker keeps the events of that gap for the next start.
 */
export function forwarderHeadline(t: Translate, status: HistorianStatus | null, time: (iso: string) => string): ForwarderHeadline {
  const state = status?.state ?? 'stopped'
  const word = forwarderStateText(t, state)
  if (state === 'failed') return { state: word, tone: 'danger', note: null }
  if (state === 'starting' || state === 'stopping') return { state: word, tone: 'busy', note: null }
  if (state === 'stopped') {
    const ended = status?.endedAbruptlyAt
    return ended ? { state: word, tone: 'warning', note: t('historian.run.endedAbruptly', { values: { time: time(ended) } }) } : { state: word, tone: 'neutral', note: null }
  }
  // Running is not all well while a destination stores nothing: the header must not say it in the success green.
  const destinations = status?.destinations ?? []
  const total = destinations.length
  const failed = destinations.filter((d) => d.state === 'failed').length
  const backingOff = destinations.filter((d) => d.state === 'backingOff').length
  const troubles = [
    failed > 0 ? t('historian.run.destinationsFailed', { values: { count: failed, total } }) : null,
    backingOff > 0 ? t('historian.run.destinationsBackingOff', { values: { count: backingOff, total } }) : null,
  ].filter((x): x is string => x !== null)
  if (troubles.length > 0) return { state: word, tone: 'warning', note: troubles.join(', ') }
  return { state: word, tone: 'ok', note: null }
}

/** When a destination backing off tries again, from `now`, as the operator reads it at a glance: "in 13 s", "now". */
export function nextTryText(at: string, now: number, locale: string | null | undefined): string {
  const seconds = Math.max(0, Math.round((Date.parse(at) - now) / 1000))
  const relative = new Intl.RelativeTimeFormat(locale ?? 'en', { numeric: 'auto', style: 'short' })
  if (seconds < 60) return relative.format(seconds, 'second')
  if (seconds < 3600) return relative.format(Math.round(seconds / 60), 'minute')
  return relative.format(Math.round(seconds / 3600), 'hour')
}

const sameError = (a: ErrorInfo, b: ErrorInfo): boolean => a.code === b.code && a.message === b.message

/** The reason to show in the State column: none when the Last error column already says the same thing. */
export function stateReason(d: DestinationStatus): ErrorInfo | null {
  if (!d.reason || (d.state !== 'backingOff' && d.state !== 'failed')) return null
  return d.lastError && sameError(d.reason, d.lastError) ? null : d.reason
}

/** An IANA time zone the runtime does not know, as the core refuses it (historian.unknownTimeZone). */
export function timeZoneProblem(zone: string): MessageRef | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return null
  } catch {
    return { key: 'historian.unknownTimeZone', params: { zone: zone.slice(0, 64) } }
  }
}

/** How precise a time axis' end labels are: with seconds when its span is under an hour. */
export function axisTimeStyle(first: number, last: number): 'short' | 'medium' {
  return Math.abs(last - first) < 3_600_000 ? 'medium' : 'short'
}

/** A message that goes on after another: it ends with its full stop, and with one only (an error's text may have its own). */
export function asSentence(text: string): string {
  const trimmed = text.trim()
  return /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`
}

/**
 * How many events a read of a device's history found; null when the destination could not be reached and no local
 * copy of the range exists: nothing is known of its events then, and "No events in this range" misled.
 */
export function historyCountText(t: Translate, read: { fromCache: boolean; asOf: string | null; count: number }): string | null {
  if (read.fromCache && read.asOf === null) return null
  return read.count === 0 ? t('historian.history.empty') : t('historian.history.count', { values: { count: read.count } })
}
