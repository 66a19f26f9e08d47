import type { ErrorInfo } from '../../../../src-shared/contract'
import type { Translate } from '../../i18n'
import { errorText } from '../../lib/errors'
import type { BrokerSecurity } from '../../../../src-shared/models/transport-rules'
import type { LinkState } from '../../lib/state/profiles.svelte'

/** Words for the platform link's codes, shared by the platform card and the device-management section. */

export function securityText(t: Translate, security: BrokerSecurity): string {
  switch (security) {
    case 'tls':
      return t('platform.security.tls')
    case 'loopback-plain':
      return t('platform.security.loopbackPlain')
    case 'plain-remote':
      return t('platform.security.plainRemote')
  }
}

export function linkStateText(t: Translate, state: LinkState['state']): string {
  switch (state) {
    case 'idle':
      return t('platform.state.idle')
    case 'connecting':
      return t('platform.state.connecting')
    case 'connected':
      return t('platform.state.connected')
    case 'reconnecting':
      return t('platform.state.reconnecting')
    case 'stopped':
      return t('platform.state.stopped')
    case 'failed':
      return t('platform.state.failed')
  }
}

const LINK_STATES: readonly string[] = ['idle', 'connecting', 'connected', 'reconnecting', 'stopped', 'failed']

function isLinkState(value: unknown): value is LinkState['state'] {
  return typeof value === 'string' && LINK_STATES.includes(value)
}

/** errorText, with the link state the core names by its code ("connecting") put in the operator's words. */
export function platformErrorText(t: Translate, error: ErrorInfo): string {
  const ref = error.details?.ref
  const state = ref?.params?.state
  if (!ref || ref.key !== 'platform.notConnected' || !isLinkState(state)) return errorText(t, error)
  return errorText(t, { ...error, details: { ...error.details, ref: { ...ref, params: { ...ref.params, state: linkStateText(t, state).toLowerCase() } } } })
}
