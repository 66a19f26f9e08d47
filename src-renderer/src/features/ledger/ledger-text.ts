import type { LedgerFailure, LedgerHead, LedgerTarget } from '../../../../src-shared/models/ledger'
import type { Translate } from '../../i18n'
import { formatExactDecimal } from '../../lib/format'

/** Words for the ledger's values, shared by the Extensions card, the route editor and the monitoring page. */

/** A failure by its decoded name (EmptyAssetId, EndorseError, overflow…) with the node's or the rule's words. */
export function failureText(t: Translate, failure: LedgerFailure, where?: string): string {
  // A node that could not be reached is said in the operator's language (the RPC library's message is English and
  // names no cause); an HTTP status is kept, as it tells a proxy's error from a node that is down.
  if (failure.code === 'NETWORK' || failure.code === 'TIMEOUT') {
    const status = /^Http(\d{3})$/.exec(failure.name)?.[1]
    // A queued event's try: which node, and that the queue tries again by itself (cold trial: « La connexion réseau a
    // échoué. » beside a pending event, naming neither the node nor what happens next).
    // A refused connection is not a silence: nothing listens at that address (cold trial: « n’a pas répondu » then).
    if (failure.name === 'Refused') return where !== undefined ? t('ledger.ui.queue.refused', { values: { where } }) : t('ledger.ui.refused')
    if (where !== undefined) return t('ledger.ui.queue.unreachable', { values: { where, status: status ? ` (HTTP ${status})` : '' } })
    return status ? `${t(`errors.code.${failure.code}`)} (HTTP ${status})` : t(`errors.code.${failure.code}`)
  }
  const args = failure.args && failure.args.length > 0 ? `(${failure.args.join(', ')})` : ''
  return t('ledger.ui.failure', { values: { name: `${failure.name}${args}`, message: failure.message } })
}

/** Wei as ether, exactly (no floating point): 1500000000000000000 → "1.5 ETH". */
export function weiText(wei: string, locale: string | null | undefined): string {
  if (!/^\d+$/.test(wei)) return wei
  const padded = wei.padStart(19, '0')
  const whole = BigInt(padded.slice(0, -18))
  const fraction = padded.slice(-18).replace(/0+$/, '')
  return `${formatExactDecimal(whole, fraction, locale)}\u00a0ETH`
}

/** Where a target is: the RPC URL of an EVM node, the Gateway peer of a Fabric network. */
export function targetWhere(target: LedgerTarget): string {
  return target.settings.kind === 'evm' ? target.settings.rpcUrl : target.settings.endpoint
}

/** The chain's height, or that it is not known while the node does not answer (cold trial: « Hauteur 0 » then). */
export function heightText(t: Translate, head: LedgerHead): string {
  return head.height ?? t('ledger.ui.monitor.heightUnknown')
}

/** What "Verify" learnt, said exactly: the chain or channel, its height and the signer. */
export function verifiedText(t: Translate, head: LedgerHead, locale: string | null | undefined): string {
  if (head.kind === 'evm')
    return t('ledger.ui.card.verifiedEvm', { values: { chain: head.network, height: heightText(t, head), signer: head.signer ?? '—', balance: head.balance ? weiText(head.balance, locale) : '—' } })
  return t('ledger.ui.card.verifiedFabric', { values: { channel: head.network, height: heightText(t, head), msp: head.signer ?? '—' } })
}
