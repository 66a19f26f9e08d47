import type { MbedBridgeCounters, MbedBridgeState, MbedBridgeStatus, MbedCommandView, MbedSubscriptionView } from '../../../../src-shared/models/mbed'
import type { MbedSettings } from '../../../../src-shared/models/profiles'
import { wordFor, type Translate } from '../../i18n'
import type { Output } from '../../../../src-shared/contract'
import { errorText } from '../../lib/errors'

/** Words for the mbed bridge's codes, shared by the Extensions card and the mbed view. */

export const flavourText = (t: Translate, flavour: MbedSettings['flavour']): string => wordFor(t, 'mbed.flavours', flavour)

export const channelKindText = (t: Translate, channel: MbedSettings['channel']): string => wordFor(t, 'mbed.channels', channel)

export const bridgeStateText = (t: Translate, state: MbedBridgeState): string => wordFor(t, 'mbed.view.state', state)

export const channelStateText = (t: Translate, state: MbedBridgeStatus['channel']['state']): string => wordFor(t, 'mbed.view.channelState', state)

/** Whether the notification channel's row speaks of mbed's refusal: the bridge failed on mbed's side. */
export const failedAtMbed = (status: MbedBridgeStatus): boolean => status.state === 'failed' && status.failedSide === 'mbed'

/**
 * The notification channel's row. A bridge that mbed ended never opened its channel (the endpoint list at start is
 * refused first) or had it closed, so the channel's own state ("Not started", "Stopped") would hide why: the row says
 * mbed refused the access key, or that the bridge failed on mbed's side (the reason is shown above it).
 */
export function channelText(t: Translate, status: MbedBridgeStatus): string {
  if (!failedAtMbed(status)) return channelStateText(t, status.channel.state)
  return t(status.reason?.code === 'AUTH_FAILED' ? 'mbed.view.channelKeyRefused' : 'mbed.view.channelFailedAtMbed')
}

/**
 * The line about the messages the last run left in the queue (killed, or stopped while the broker was away): being
 * delivered, with how many still wait, then no longer waiting; none while the bridge is stopped or found none.
 * Counters not yet pushed for this run (null) count all of them as waiting.
 */
export function keptText(t: Translate, status: MbedBridgeStatus | null, counters: MbedBridgeCounters | null): string | null {
  if (!status || status.kept === 0 || status.state === 'stopped') return null
  const queued = counters?.keptQueued ?? status.kept
  return queued > 0 ? t('mbed.view.keptDelivering', { values: { count: status.kept, queued } }) : t('mbed.view.keptDone', { values: { count: status.kept } })
}

/** A command's state as one phrase: "Answered (200)", "Failed (404)". */
export function commandStateText(t: Translate, command: MbedCommandView): string {
  // An answer and a failure carry the device's status when there is one: "Answered (200)".
  const withStatus = (command.state === 'answered' || command.state === 'failed') && command.status !== null
  return withStatus ? t(`mbed.commands.state.${command.state}Status`, { values: { status: command.status ?? 0 } }) : wordFor(t, 'mbed.commands.state', command.state)
}

/** Why a command failed or expired in the operator's words; an answer's own error is mbed's code (TIMEOUT), shown as sent. */
export function commandReasonText(t: Translate, command: MbedCommandView): string {
  return command.reason ? errorText(t, command.reason) : (command.error ?? '')
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

export const subscriptionStateText = (t: Translate, state: MbedSubscriptionView['state']): string => wordFor(t, 'mbed.subscriptions.state', state)

export const subscriptionViaText = (t: Translate, via: MbedSubscriptionView['via']): string => wordFor(t, 'mbed.subscriptions.via', via)

/** What a profile's pre-subscription setting means, in a few words (the card's fact). */
export function presubscriptionsText(t: Translate, rules: MbedSettings['presubscriptions']): string {
  return rules === null ? t('mbed.rules.defaultShort') : t('mbed.rules.count', { values: { count: rules.length } })
}
