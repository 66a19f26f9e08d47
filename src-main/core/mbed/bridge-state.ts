/**
 * The bridge's state, derived from its notification channel's and its MQTT link's:
 * - 'failed' (with the reason and the side) when either stopped (bad key, certificate, replaced channel, an unexpected
 *   error in the channel's loop, link closed…);
 * - 'running' when the channel is open and the link connected;
 * - 'degraded' (with the reason) when either is reconnecting — but while starting, only once either side has actually
 *   met trouble: a normal start goes starting → running.
 * A pure function, so the rules can be read and tested apart from the bridge's timers and sockets.
 */
import type { MbedBridgeState, MbedFailedSide } from '../../../src-shared/models/mbed'
import { AppError } from '../common/errors'
import type { ChannelState } from './channel'
import type { LinkState } from '../platform/link'

export interface Side<S> {
  state: S
  lastError: AppError | undefined
}

export type StateVerdict = { next: 'failed'; reason: AppError; side: MbedFailedSide } | { next: 'running' } | { next: 'degraded'; reason: AppError } | null

/**
 * What the bridge's state should become, or null to leave it. `launched`: start() has started the channel and the
 * link, so their states now drive the bridge's.
 */
export function deriveBridgeState(current: MbedBridgeState, launched: boolean, channel: Side<ChannelState>, link: Side<LinkState>, apiUrl: string): StateVerdict {
  if (current !== 'running' && current !== 'degraded' && !(current === 'starting' && launched)) return null
  if (channel.state === 'failed') {
    return { next: 'failed', reason: channel.lastError ?? AppError.withRef('NETWORK', 'The notification channel stopped', { key: 'mbed.channelStopped' }), side: 'mbed' }
  }
  if (link.state === 'failed') {
    return { next: 'failed', reason: link.lastError ?? linkClosed(), side: 'link' }
  }
  // Closed under the bridge (its platform profile was saved or removed: mbed.service.ts): the closing is the cause,
  // whatever the link met before it (its last error may be an old outage's).
  if (link.state === 'stopped') return { next: 'failed', reason: linkClosed(), side: 'link' }
  if (channel.state === 'open' && link.state === 'connected') return { next: 'running' }
  if (current !== 'starting' || channel.state === 'reconnecting' || link.state === 'reconnecting') return { next: 'degraded', reason: degradedReason(channel, link, apiUrl) }
  return null
}

const linkClosed = (): AppError =>
  AppError.withRef('NETWORK', 'The MQTT link was closed (its platform profile was changed or removed); start the bridge again to use the profile as it is now', {
    key: 'mbed.linkClosed',
  })

/**
 * The channel's or the link's last error, marked `retrying`: both try again by themselves, and the view says when, so
 * the operator's text must not ask to try again, as the HTTP layer's and the link's shared sentences do.
 */
function degradedReason(channel: Side<ChannelState>, link: Side<LinkState>, apiUrl: string): AppError {
  if (channel.state !== 'open') {
    return retrying(channel.lastError ?? AppError.withRef('NETWORK', `Connecting to mbed at ${apiUrl}`, { key: 'mbed.waitingForMbed', params: { url: apiUrl } }))
  }
  return retrying(link.lastError ?? AppError.withRef('NETWORK', 'Connecting to the MQTT broker; notifications are queued meanwhile', { key: 'mbed.waitingForBroker' }))
}

function retrying(error: AppError): AppError {
  return error.details?.retrying ? error : new AppError(error.code, error.message, { ...error.details, retrying: true })
}
