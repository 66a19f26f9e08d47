/**
 * What the ledger room asks of a ledger, EVM or Fabric alike (docs/wire/ledger.md §3): describe the contract, encode
 * and dry-run a call, submit it in steps the forward queue can persist between, read blocks, transactions, events and
 * an asset's state.
 *
 * Submitting is split so that a crash at any point neither loses an event nor sends it twice: `prepare` signs (EVM:
 * with the nonce the lane hands out; Fabric: endorses) and gives the transaction id and the signed bytes, which the
 * queue writes down before `send`; after a restart the same bytes are sent again, and a ledger never executes the same
 * signed transaction twice (an EVM nonce is used once, a Fabric transaction id is valid once).
 */
import type { AssetView, BlockSummary, LedgerDescription, LedgerEvent, LedgerFailure, LedgerHead, TxDetail } from '../../../src-shared/models/ledger'
import { AppError } from '../common/errors'
import type { ArgValue } from './route-transforms'

/** A call that failed by name; `transient` when the same call may succeed later. */
export class CallFailure extends Error {
  constructor(
    readonly failure: LedgerFailure,
    readonly transient: boolean,
  ) {
    super(`${failure.name}: ${failure.message}`)
  }
}

/** Network and timeout failures pass; a revert, an endorsement refusal or a transform error do not. */
export function isTransient(f: LedgerFailure): boolean {
  return f.code === 'NETWORK' || f.code === 'TIMEOUT' || f.code === 'UNAVAILABLE'
}

/** A failure as the AppError a channel answers with (LEDGER for the ledger's own refusals). */
export function failureError(f: LedgerFailure): AppError {
  // The ledger refused who we are (Fabric: an MSP, certificate or key the channel does not accept).
  if (f.name === 'AccessDenied') return AppError.withRef('AUTH_FAILED', `${f.name}: ${f.message}`, { key: 'ledger.accessDenied', params: { detail: f.message.slice(0, 200) } })
  const code = f.code === 'NETWORK' || f.code === 'UNAVAILABLE' ? 'NETWORK' : f.code === 'TIMEOUT' ? 'TIMEOUT' : f.code === 'TRANSFORM' ? 'VALIDATION' : 'LEDGER'
  return AppError.withRef(code, `${f.name}: ${f.message}`, { key: 'ledger.failure', params: { name: f.name, detail: f.message.slice(0, 200) } })
}

export type ArgumentStyle = 'abi' | 'json' | 'positional'

/** Resolved arguments by parameter, in the route's row order; undefined for an optional value that is absent. */
export type CallArgs = ReadonlyArray<{ parameter: string; value: ArgValue | undefined }>

export interface Call {
  fn: string
  args: CallArgs
  style: ArgumentStyle
}

export interface Submission {
  /** EVM: the transaction hash; Fabric: the transaction id. Known before anything is sent. */
  txId: string
  /** The signed transaction to send (again after a restart): EVM raw transaction hex, Fabric prepared transaction base64. */
  signed: string
  /** EVM: the nonce it uses (its lane is `lane`). */
  nonce: number | null
  lane: string | null
}

export type SendOutcome =
  | { kind: 'sent' }
  /** Not sent, or not known to have been sent, for a reason that may pass (node down, timeout): send the same bytes later. */
  | { kind: 'retry'; error: LedgerFailure }
  /** The ledger refused the signed transaction for good (EVM nonce already used by another transaction): prepare again. */
  | { kind: 'stale'; error: LedgerFailure }
  /** Refused before anything was recorded (insufficient funds…): prepare again later. */
  | { kind: 'refused'; error: LedgerFailure }

export type CommitOutcome =
  | { kind: 'pending' }
  | { kind: 'committed'; block: string }
  | { kind: 'failed'; block: string | null; error: LedgerFailure }
  /** The ledger does not know the transaction (lost from a restarted node's pool): send the same bytes again. */
  | { kind: 'unknown' }
  /** It can never commit (its nonce was taken by another transaction): prepare again. */
  | { kind: 'stale'; error: LedgerFailure }

/** `result`: what the call returns, as text; null when it returns nothing (a transaction function, most often). */
export type DryRun = { ok: true; result: string | null } | { ok: false; error: LedgerFailure }

export interface EventPage {
  items: LedgerEvent[]
  /** Where the next page starts; pass it back to continue without loss or repetition. */
  checkpoint: { block: string; index: number }
  /** True once the page reached the head. */
  done: boolean
}

/**
 * One page of events read from block `start` to `to` (the head is `head`): those after `checkpoint`, and where the next
 * page starts — after the last event once the head is reached, otherwise at the block after this range.
 */
export function eventPage(events: LedgerEvent[], to: bigint, head: bigint, checkpoint?: { block: string; index: number }): EventPage {
  const items = events.filter((e) => !checkpoint || BigInt(e.block) > BigInt(checkpoint.block) || e.index > checkpoint.index)
  const last = items.at(-1)
  const done = to >= head
  return { items, checkpoint: done && last ? { block: last.block, index: last.index } : { block: (to + 1n).toString(), index: -1 }, done }
}

export interface LedgerAdapter {
  readonly kind: 'evm' | 'fabric'
  /** EVM: the nonce lane (chain id and signer address); Fabric: null (no nonces). */
  readonly lane: string | null
  /** EVM: the node's pending transaction count for the signer. */
  nextNonce(): Promise<number>
  describe(): Promise<LedgerDescription>
  /** Each parameter's type for route-transforms (the ABI's Solidity types; Fabric: 'json' unless the row says). */
  parameterTypes(fn: string): Promise<Map<string, string>>
  /** EVM calldata hex; Fabric the JSON string, or the positional strings as a JSON array. */
  encode(call: Call): Promise<string>
  /** eth_call / Fabric evaluate: what the call would do, with a revert or endorsement error decoded by name. */
  dryRun(call: Call): Promise<DryRun>
  /**
   * Signs the call (EVM: estimated first, with `nonce` from the lane; Fabric: endorsed). Throws CallFailure: `transient`
   * when trying later may succeed (node down), otherwise the call itself is refused (a revert, an endorsement error).
   */
  prepare(call: Call, nonce: number | null): Promise<Submission>
  send(submission: Submission): Promise<SendOutcome>
  commitStatus(submission: Submission): Promise<CommitOutcome>
  /** A read-only call (view function / evaluate) with text arguments. */
  query(fn: string, args: string[]): Promise<unknown>
  /** The chain's head, and why the node did not answer when it did not: Verify says a refused connection apart. */
  head(): Promise<{ head: LedgerHead; failure: LedgerFailure | null }>
  /** `count` blocks ending at `from` (default: the head), newest first. */
  blocks(from: bigint | undefined, count: number): Promise<BlockSummary[]>
  tx(id: string): Promise<TxDetail>
  /** Contract events from block `from`, after `checkpoint` when given, one bounded page at a time. */
  events(from: bigint, checkpoint?: { block: string; index: number }): Promise<EventPage>
  asset(assetId: string, from?: bigint): Promise<AssetView>
  /** Calls `onBlock` for every new block until the returned function is called. */
  watchBlocks(onBlock: (block: BlockSummary) => void, onError: (e: unknown) => void): () => void
  close(): Promise<void>
}
