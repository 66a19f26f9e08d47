import type { EventName } from './contract'

/**
 * The single IPC channel main uses to push contract events; the event name travels inside the message.
 * Request channels are the contract's own names, so this is the only IPC name outside the contract.
 */
export const EVENT_CHANNEL = 'fieldline:event'

export interface EventMessage {
  event: EventName
  payload: unknown
}
