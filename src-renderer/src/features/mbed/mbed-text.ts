import type { MbedBridgeState, MbedBridgeStatus, MbedCommandView } from '../../../../src-shared/models/mbed'
import type { MbedSettings } from '../../../../src-shared/models/profiles'
import type { Translate } from '../../i18n'
import type { Output } from '../../../../src-shared/contract'

/** Words for the mbed bridge's codes, shared by the Extensions card and the mbed view. */

export function flavourText(t: Translate, flavour: MbedSettings['flavour']): string {
  return flavour === 'pelion' ? t('mbed.flavours.pelion') : t('mbed.flavours.connector')
}

export function channelKindText(t: Translate, channel: MbedSettings['channel']): string {
  return channel === 'websocket' ? t('mbed.channels.websocket') : t('mbed.channels.longpoll')
}

export function bridgeStateText(t: Translate, state: MbedBridgeState): string {
  switch (state) {
    case 'stopped':
      return t('mbed.view.state.stopped')
    case 'starting':
      return t('mbed.view.state.starting')
    case 'running':
      return t('mbed.view.state.running')
    case 'degraded':
      return t('mbed.view.state.degraded')
    case 'stopping':
      return t('mbed.view.state.stopping')
    case 'failed':
      return t('mbed.view.state.failed')
  }
}

export function channelStateText(t: Translate, state: MbedBridgeStatus['channel']['state']): string {
  switch (state) {
    case 'idle':
      return t('mbed.view.channelState.idle')
    case 'connecting':
      return t('mbed.view.channelState.connecting')
    case 'open':
      return t('mbed.view.channelState.open')
    case 'reconnecting':
      return t('mbed.view.channelState.reconnecting')
    case 'stopping':
      return t('mbed.view.channelState.stopping')
    case 'stopped':
      return t('mbed.view.channelState.stopped')
    case 'failed':
      return t('mbed.view.channelState.failed')
  }
}

/** A command's state as one phrase: "Answered (200)", "Failed (404)". */
export function commandStateText(t: Translate, command: MbedCommandView): string {
  switch (command.state) {
    case 'sending':
      return t('mbed.commands.state.sending')
    case 'pending':
      return t('mbed.commands.state.pending')
    case 'answered':
      return command.status !== null ? t('mbed.commands.state.answeredStatus', { values: { status: command.status } }) : t('mbed.commands.state.answered')
    case 'failed':
      return command.status !== null ? t('mbed.commands.state.failedStatus', { values: { status: command.status } }) : t('mbed.commands.state.failed')
    case 'expired':
      return t('mbed.commands.state.expired')
  }
}

/** What a successful "Verify connection" learnt, in the operator's language. */
export function verifiedDetail(t: Translate, result: Output<'mbed:verify'>): string {
  const parts = [t('mbed.card.verifiedHost', { values: { flavour: flavourText(t, result.flavour), url: result.apiUrl } })]
  const detail = result.detail
  if (detail.kind === 'limits') {
    if (detail.endpointCount !== undefined && detail.endpointQuota !== undefined) {
      parts.push(t('mbed.card.verifiedEndpointsQuota', { values: { count: detail.endpointCount, quota: detail.endpointQuota } }))
    } else if (detail.endpointCount !== undefined) {
      parts.push(t('mbed.card.verifiedEndpoints', { values: { count: detail.endpointCount } }))
    }
  } else if (detail.name) {
    parts.push(t('mbed.card.verifiedKeyName', { values: { name: detail.name } }))
  }
  return parts.join(', ')
}

const numberFormats = new Map<string, Intl.NumberFormat>()

/** Counters in the locale's digits and grouping ("12,345", "12 345"); rates keep one decimal. */
export function formatCount(value: number, locale: string | null | undefined): string {
  const key = locale ?? 'en'
  let format = numberFormats.get(key)
  if (!format) {
    format = new Intl.NumberFormat(key, { maximumFractionDigits: 1 })
    numberFormats.set(key, format)
  }
  return format.format(value)
}

const timeFormats = new Map<string, Intl.DateTimeFormat>()

/** A notification's arrival to the millisecond: at a few thousand a second, seconds alone do not order them. */
export function formatTime(iso: string, locale: string | null | undefined): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  const key = locale ?? 'en'
  let format = timeFormats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat(key, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false })
    timeFormats.set(key, format)
  }
  return format.format(date)
}
