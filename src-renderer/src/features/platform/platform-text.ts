import { events, type ErrorInfo } from '../../../../src-shared/contract'
import { wordFor, type Translate } from '../../i18n'
import { errorText } from '../../lib/errors'
import type { BrokerSecurity } from '../../../../src-shared/models/transport-rules'
import type { LinkState } from '../../lib/state/profiles.svelte'

/** Words for the platform link's codes, shared by the platform card and the device-management section. */

const SECURITY_WORDS: Record<BrokerSecurity, string> = { tls: 'tls', 'loopback-plain': 'loopbackPlain', 'plain-remote': 'plainRemote' }

export const securityText = (t: Translate, security: BrokerSecurity): string => wordFor(t, 'platform.security', SECURITY_WORDS[security])

export const linkStateText = (t: Translate, state: LinkState['state']): string => wordFor(t, 'platform.state', state)

const LINK_STATES: readonly string[] = events['platform:state'].shape.state.options

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
