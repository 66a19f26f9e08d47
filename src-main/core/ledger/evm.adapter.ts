/**
 * The EVM adapter, on viem (chosen over ethers: it decodes a revert by its custom error's name and watches blocks and
 * events over WebSocket, docs/wire/ledger.md §2). Standard JSON-RPC only, so anvil in tests, Besu/QBFT and L2s alike.
 *
 * - The RPC URL is https:// or wss://; http:// and ws:// only to this computer (the project's secure-URL rule).
 * - The node's eth_chainId must equal the target's before anything is signed; every transaction is signed for that
 *   chain id (EIP-155), so a node of another chain could not accept it anyway.
 * - Transactions are signed here with the vault's key and an explicit nonce from the lane (nonce-lanes.ts); viem's
 *   own nonce handling and caches are never used for a nonce. The key is held by a viem account object only.
 * - A call is estimated first (eth_estimateGas runs it): a revert is decoded by name before a nonce is taken.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  decodeErrorResult,
  decodeFunctionData,
  encodeFunctionData,
  getAddress,
  http,
  HttpRequestError,
  isAddress,
  keccak256,
  parseEventLogs,
  RpcRequestError,
  TimeoutError,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  webSocket,
  WebSocketRequestError,
  type Abi,
  type AbiFunction,
  type Hex,
  type Log,
  type PublicClient,
} from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import type { AssetView, BlockSummary, EvmTargetSettings, LedgerEvent, LedgerFailure } from '../../../src-shared/models/ledger'
import { AppError } from '../common/errors'
import { assertSecureUrl } from '../http/secure-url'
import { classifyTransportError } from '../http/transport-errors'
import { describeAbi, parseAbiOrThrow } from './abi'
import { CallFailure, eventPage, isTransient, type Call, type CommitOutcome, type DryRun, type EventPage, type LedgerAdapter, type SendOutcome, type Submission } from './ledger-adapter'
import { showArg } from './route-transforms'

/** eth_getLogs ranges are capped by many nodes (Besu and public RPCs refuse large ones); one page spans at most this. */
const LOG_PAGE_BLOCKS = 2_000n
const FEE_CACHE_MS = 1_000
/** Margin over eth_estimateGas: a state change between the estimate and the block must not run the call out of gas. */
const GAS_MARGIN_PERCENT = 120n

/** https:// or wss://, and http:// or ws:// only to a loopback host (the rule of http/secure-url.ts, for WebSocket too). */
export function assertRpcUrl(text: string): URL {
  const ws = /^wss?:\/\//i.test(text)
  const checked = assertSecureUrl(ws ? text.replace(/^ws/i, 'http') : text)
  return ws ? new URL(checked.href.replace(/^http/, 'ws')) : checked
}

export function checksumAddress(text: string): Hex {
  // isAddress (strict) refuses a mixed-case address whose EIP-55 checksum is wrong; an all-lower-case one is checksummed.
  if (!isAddress(text.trim(), { strict: true })) throw AppError.withRef('VALIDATION', `Not a valid contract address (checksummed, EIP-55): ${text.slice(0, 64)}`, { key: 'ledger.badAddress' })
  return getAddress(text.trim())
}

/** A viem error as a failure by name: the custom error or revert reason, else the JSON-RPC error, else the transport. */
export function evmFailure(e: unknown, abi?: Abi): LedgerFailure {
  if (e instanceof BaseError) {
    const revert = e.walk((x) => x instanceof ContractFunctionRevertedError)
    if (revert instanceof ContractFunctionRevertedError) {
      if (revert.data) return { code: 'REVERT', name: revert.data.errorName, message: revert.shortMessage, args: (revert.data.args ?? []).map((a) => showArg(a as never)) }
      const raw = revert.raw
      if (raw && abi) {
        try {
          const decoded = decodeErrorResult({ abi, data: raw })
          return { code: 'REVERT', name: decoded.errorName, message: revert.shortMessage, args: (decoded.args ?? []).map((a) => showArg(a as never)) }
        } catch {
          // not one of the ABI's errors: reported with its raw selector below
        }
      }
      return { code: 'REVERT', name: revert.reason ?? (raw ? raw.slice(0, 10) : 'Reverted'), message: revert.shortMessage }
    }
    const timeout = e.walk((x) => x instanceof TimeoutError)
    if (timeout) return { code: 'TIMEOUT', name: 'Timeout', message: timeout instanceof BaseError ? timeout.shortMessage : 'timeout' }
    const rpc = e.walk((x) => x instanceof RpcRequestError)
    if (rpc instanceof RpcRequestError) return { code: 'RPC', name: `RpcError${rpc.code}`, message: rpc.shortMessage.slice(0, 500) }
    const transport = e.walk((x) => x instanceof HttpRequestError || x instanceof WebSocketRequestError)
    if (transport instanceof HttpRequestError && transport.status !== undefined) return { code: 'NETWORK', name: `Http${transport.status}`, message: transport.shortMessage.slice(0, 300) }
    // Nothing listening (ECONNREFUSED) is named apart: the node is down or the URL's port is wrong, which "did not
    // answer" hid (cold trial).
    if (transport)
      return { code: 'NETWORK', name: classifyTransportError(transport)?.code === 'ECONNREFUSED' ? 'Refused' : 'Unreachable', message: (transport as BaseError).shortMessage.slice(0, 300) }
    return { code: 'RPC', name: e.name, message: e.shortMessage.slice(0, 500) }
  }
  return { code: 'INTERNAL', name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message.slice(0, 300) : String(e).slice(0, 300) }
}

/** Node answers that mean the signed bytes already reached it, or can never be mined. */
const ALREADY_KNOWN = /already known|known transaction|already imported|transaction already exists/i
const NONCE_TOO_LOW = /nonce too low|nonce.*(?:already|has been) used|invalid nonce|OldNonce/i
/**
 * Refusals that mean the node did not take the transaction (docs/wire/ledger.md §2): only these let the call be signed
 * again with its nonce given back. Any other error is ambiguous (the node may have taken the bytes before failing):
 * the same bytes are sent again later, which cannot commit twice.
 */
const NOT_TAKEN =
  /insufficient funds|underpriced|fee cap|max ?fee per gas less than|base ?fee|intrinsic gas|exceeds (?:the )?block gas limit|gas limit reached|oversized|exceeds the configured cap|tx type not supported|invalid sender/i

function toText(v: unknown): string {
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'string') return v
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? ''
}

export interface EvmAdapterOptions {
  settings: EvmTargetSettings
  /** The signer (from the vault); absent when the target has no key yet: reads work, submits are refused. */
  account: PrivateKeyAccount | null
  /** Transport timeout per request. */
  timeoutMs?: number
  /** Block polling for HTTP watchers. */
  pollingMs?: number
}

export function createEvmAdapter(options: EvmAdapterOptions): LedgerAdapter {
  const { settings, account } = options
  const url = assertRpcUrl(settings.rpcUrl)
  const abi = parseAbiOrThrow(settings.abi)
  const address = checksumAddress(settings.contract)
  const timeout = options.timeoutMs ?? 15_000
  const transport = url.protocol.startsWith('ws') ? webSocket(url.href, { timeout, retryCount: 0, reconnect: true }) : http(url.href, { timeout, retryCount: 0, batch: { wait: 0, batchSize: 100 } })
  const chain = { id: settings.chainId, name: `chain ${settings.chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [url.href] } } } as const
  // cacheTime 0: no answer of the node is reused (block numbers, transaction counts).
  const client: PublicClient = createPublicClient({ chain, transport, cacheTime: 0, pollingInterval: options.pollingMs ?? 1_000 })
  const lane = account ? `${settings.chainId}:${account.address}` : null
  let chainChecked: Promise<void> | undefined
  let fees: { at: number; value: Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> } | undefined

  function checkChain(): Promise<void> {
    chainChecked ??= (async () => {
      const actual = await client.getChainId()
      if (actual !== settings.chainId) {
        throw AppError.withRef('VALIDATION', `The node at ${url.origin} is chain ${actual}, not chain ${settings.chainId}`, {
          key: 'ledger.chainIdMismatch',
          params: { expected: settings.chainId, actual },
        })
      }
    })().catch((e: unknown) => {
      chainChecked = undefined
      throw e
    })
    return chainChecked
  }

  function fn(name: string): AbiFunction {
    const item = abi.find((i): i is AbiFunction => i.type === 'function' && i.name === name)
    if (!item) throw AppError.withRef('VALIDATION', `The ABI has no function ${name}`, { key: 'ledger.noFunction', params: { name } })
    return item
  }

  function zero(type: string): unknown {
    if (/^u?int/.test(type)) return 0n
    if (type === 'bool') return false
    if (type === 'address') return '0x0000000000000000000000000000000000000000'
    if (type === 'string') return ''
    if (type === 'bytes') return '0x'
    const fixed = /^bytes(\d+)$/.exec(type)
    if (fixed) return `0x${'00'.repeat(Number(fixed[1]))}`
    throw AppError.withRef('VALIDATION', `A value of type ${type} is required`, { key: 'ledger.valueRequired', params: { type } })
  }

  function argsOf(call: Call): unknown[] {
    const f = fn(call.fn)
    const given = new Map(call.args.map((a) => [a.parameter, a.value]))
    return f.inputs.map((input, i) => {
      const v = given.get(input.name || `#${i}`)
      return v === undefined ? zero(input.type) : v
    })
  }

  function contractCall(call: Call) {
    return { address, abi, functionName: call.fn, args: argsOf(call) }
  }

  function calldata(call: Call): Hex {
    return encodeFunctionData({ abi, functionName: call.fn, args: argsOf(call) } as Parameters<typeof encodeFunctionData>[0])
  }

  function needAccount(): PrivateKeyAccount {
    if (!account) throw AppError.withRef('VALIDATION', 'The target has no signer key: set it first', { key: 'ledger.noSignerKey' })
    return account
  }

  async function currentFees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    if (!fees || Date.now() - fees.at > FEE_CACHE_MS) {
      const value = client.estimateFeesPerGas().then((f) => ({ maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas }))
      fees = { at: Date.now(), value }
      value.catch(() => (fees = undefined))
    }
    return fees.value
  }

  function decodeLogs(logs: Log[]): LedgerEvent[] {
    const ours = logs.filter((l) => l.address.toLowerCase() === address.toLowerCase())
    return parseEventLogs({ abi, logs: ours, strict: false }).map((l) => ({
      block: (l.blockNumber ?? 0n).toString(),
      txId: l.transactionHash ?? '',
      name: l.eventName ?? 'unknown',
      index: l.logIndex ?? 0,
      args: Object.fromEntries(Object.entries((l.args ?? {}) as Record<string, unknown>).map(([k, v]) => [k, toText(v)])),
    }))
  }

  async function summary(n: bigint): Promise<BlockSummary> {
    const b = await client.getBlock({ blockNumber: n })
    return { number: b.number.toString(), hash: b.hash, time: new Date(Number(b.timestamp) * 1000).toISOString(), txCount: b.transactions.length }
  }

  /** The receipt of the signed transaction, or null when the node says it has none; a node out of reach throws. */
  async function minedByUs(sub: Submission): Promise<CommitOutcome | null> {
    const receipt = await client.getTransactionReceipt({ hash: sub.txId as Hex }).catch((e: unknown) => {
      if (e instanceof TransactionReceiptNotFoundError) return null
      throw e
    })
    if (!receipt) return null
    if (receipt.status === 'success') return { kind: 'committed', block: receipt.blockNumber.toString() }
    return { kind: 'failed', block: receipt.blockNumber.toString(), error: await replayRevert(sub, receipt.blockNumber) }
  }

  /** Why a mined transaction reverted: the same call replayed on the state before its block. */
  async function replayRevert(sub: Submission, block: bigint): Promise<LedgerFailure> {
    try {
      const tx = await client.getTransaction({ hash: sub.txId as Hex })
      await client.call({ account: tx.from, to: tx.to ?? address, data: tx.input, blockNumber: block - 1n, gas: tx.gas })
      return { code: 'REVERT', name: 'Reverted', message: 'the transaction reverted in its block' }
    } catch (e) {
      const raw = e instanceof BaseError ? (e.walk((x) => 'data' in (x as object) && typeof (x as { data?: unknown }).data === 'string') as { data?: Hex } | null)?.data : undefined
      if (raw && raw.length >= 10) {
        try {
          const d = decodeErrorResult({ abi, data: raw })
          return { code: 'REVERT', name: d.errorName, message: 'the transaction reverted in its block', args: (d.args ?? []).map((a) => toText(a)) }
        } catch {
          // fall through to the generic description
        }
      }
      return { ...evmFailure(e, abi), code: 'REVERT' }
    }
  }

  return {
    kind: 'evm',
    lane,

    async nextNonce() {
      const signer = needAccount()
      try {
        return await client.getTransactionCount({ address: signer.address, blockTag: 'pending' })
      } catch (e) {
        const failure = evmFailure(e, abi)
        throw new CallFailure(failure, isTransient(failure))
      }
    },

    async describe() {
      return describeAbi(abi)
    },

    async parameterTypes(name) {
      return new Map(fn(name).inputs.map((p, i) => [p.name || `#${i}`, p.type]))
    },

    async encode(call) {
      return calldata(call)
    },

    async dryRun(call): Promise<DryRun> {
      await checkChain()
      const request = contractCall(call)
      try {
        const { result } = await client.simulateContract({ ...request, ...(account ? { account: account.address } : {}) } as Parameters<typeof client.simulateContract>[0])
        return { ok: true, result: result === undefined || result === null ? null : toText(result) }
      } catch (e) {
        return { ok: false, error: evmFailure(e, abi) }
      }
    },

    async prepare(call, nonce) {
      const signer = needAccount()
      if (nonce === null) throw new Error('an EVM transaction needs a nonce from its lane')
      const request = contractCall(call)
      let gas: bigint
      let fee: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
      try {
        await checkChain()
        ;[gas, fee] = await Promise.all([client.estimateContractGas({ ...request, account: signer.address } as Parameters<typeof client.estimateContractGas>[0]), currentFees()])
      } catch (e) {
        if (e instanceof AppError) throw e
        const failure = evmFailure(e, abi)
        throw new CallFailure(failure, isTransient(failure))
      }
      const signed = await signer.signTransaction({
        type: 'eip1559',
        chainId: settings.chainId,
        to: address,
        data: calldata(call),
        nonce,
        gas: (gas * GAS_MARGIN_PERCENT) / 100n,
        value: 0n,
        ...fee,
      })
      return { txId: keccak256(signed), signed, nonce, lane }
    },

    async send(sub): Promise<SendOutcome> {
      try {
        await client.request({ method: 'eth_sendRawTransaction', params: [sub.signed as Hex] })
        return { kind: 'sent' }
      } catch (e) {
        const failure = evmFailure(e, abi)
        const text = e instanceof BaseError ? `${e.shortMessage} ${e.details ?? ''}` : String(e)
        if (ALREADY_KNOWN.test(text)) return { kind: 'sent' }
        if (failure.code === 'NETWORK' || failure.code === 'TIMEOUT') return { kind: 'retry', error: failure }
        if (NONCE_TOO_LOW.test(text)) {
          // Stale only if the node answers that these bytes were not mined; not knowing is not an answer.
          const mined = await minedByUs(sub).catch(() => undefined)
          if (mined === undefined) return { kind: 'retry', error: failure }
          if (mined) return { kind: 'sent' }
          return { kind: 'stale', error: { ...failure, name: 'NonceTooLow' } }
        }
        return NOT_TAKEN.test(text) ? { kind: 'refused', error: failure } : { kind: 'retry', error: failure }
      }
    },

    async commitStatus(sub): Promise<CommitOutcome> {
      const mined = await minedByUs(sub)
      if (mined) return mined
      if (sub.nonce !== null && account) {
        const latest = await client.getTransactionCount({ address: account.address, blockTag: 'latest' })
        if (latest > sub.nonce) {
          // Its nonce is used: these bytes were mined just now (asked again, after the count) or never will be.
          const now = await minedByUs(sub)
          return now ?? { kind: 'stale', error: { code: 'NONCE', name: 'NonceTaken', message: `nonce ${sub.nonce} was used by another transaction` } }
        }
      }
      const known = await client.getTransaction({ hash: sub.txId as Hex }).then(
        () => true,
        (e: unknown) => {
          if (e instanceof TransactionNotFoundError) return false
          throw e
        },
      )
      return known ? { kind: 'pending' } : { kind: 'unknown' }
    },

    async query(name, args) {
      await checkChain()
      const f = fn(name)
      const values = f.inputs.map((p, i) => (/^u?int/.test(p.type) ? BigInt(args[i] ?? '0') : p.type === 'bool' ? args[i] === 'true' : (args[i] ?? '')))
      return client.readContract({ address, abi, functionName: name, args: values } as Parameters<typeof client.readContract>[0])
    },

    async head() {
      const at = new Date().toISOString()
      try {
        await checkChain()
        const [height, balance] = await Promise.all([client.getBlockNumber({ cacheTime: 0 }), account ? client.getBalance({ address: account.address }) : Promise.resolve(null)])
        return {
          head: { kind: 'evm', network: String(settings.chainId), height: height.toString(), healthy: true, signer: account?.address ?? null, balance: balance?.toString() ?? null, checkedAt: at },
          failure: null,
        }
      } catch (e) {
        if (e instanceof AppError) throw e
        return { head: { kind: 'evm', network: String(settings.chainId), height: null, healthy: false, signer: account?.address ?? null, balance: null, checkedAt: at }, failure: evmFailure(e) }
      }
    },

    async blocks(from, count) {
      await checkChain()
      const top = from ?? (await client.getBlockNumber({ cacheTime: 0 }))
      const numbers: bigint[] = []
      for (let n = top; n >= 0n && numbers.length < count; n--) numbers.push(n)
      return Promise.all(numbers.map(summary))
    },

    async tx(id) {
      await checkChain()
      if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw AppError.withRef('VALIDATION', 'An EVM transaction id is 0x and 64 hex digits', { key: 'ledger.badTxId' })
      const tx = await client.getTransaction({ hash: id as Hex }).catch((e: unknown) => {
        throw AppError.withRef('NOT_FOUND', `No transaction ${id} on this node (${evmFailure(e).name})`, { key: 'ledger.txNotFound', params: { id } })
      })
      const receipt = await client.getTransactionReceipt({ hash: id as Hex }).catch(() => null)
      let fnName: string | null = null
      let args: { parameter: string; type: string; value: string }[] = []
      try {
        const decoded = decodeFunctionData({ abi, data: tx.input })
        fnName = decoded.functionName
        const inputs = fn(decoded.functionName).inputs
        args = (decoded.args ?? []).map((v, i) => ({ parameter: inputs[i]?.name || `#${i}`, type: inputs[i]?.type ?? '', value: toText(v) }))
      } catch {
        // not a call of this contract's ABI: shown without a decoded function
      }
      const status = receipt ? (receipt.status === 'success' ? 'success' : 'reverted') : 'pending'
      return { id, block: receipt?.blockNumber.toString() ?? null, function: fnName, args, events: receipt ? decodeLogs(receipt.logs) : [], status, gasUsed: receipt?.gasUsed.toString() ?? null }
    },

    async events(from, checkpoint): Promise<EventPage> {
      await checkChain()
      const head = await client.getBlockNumber({ cacheTime: 0 })
      const start = checkpoint ? BigInt(checkpoint.block) : from
      const to = start + LOG_PAGE_BLOCKS - 1n < head ? start + LOG_PAGE_BLOCKS - 1n : head
      if (start > head) return { items: [], checkpoint: checkpoint ?? { block: from.toString(), index: -1 }, done: true }
      const logs = await client.getLogs({ address, fromBlock: start, toBlock: to })
      return eventPage(decodeLogs(logs), to, head, checkpoint)
    },

    async asset(assetId, from): Promise<AssetView> {
      await checkChain()
      let state: Record<string, unknown> | null = null
      const read = abi.find((i): i is AbiFunction => i.type === 'function' && i.name === 'readAsset' && i.inputs.length === 1)
      if (read) {
        const value = await client.readContract({ address, abi, functionName: 'readAsset', args: [assetId] } as Parameters<typeof client.readContract>[0])
        state = value !== null && typeof value === 'object' ? (JSON.parse(toText(value)) as Record<string, unknown>) : { value: toText(value) }
      }
      const hashed = keccak256(new TextEncoder().encode(assetId))
      const history: LedgerEvent[] = []
      let page: EventPage | undefined
      do {
        page = await this.events(from ?? 0n, page?.checkpoint)
        history.push(...page.items.filter((e) => Object.values(e.args).some((v) => v === assetId || v === hashed)))
      } while (!page.done && history.length < 1000)
      return { assetId, state, history }
    },

    watchBlocks(onBlock, onError) {
      const onBlockNumber = (n: bigint) => {
        summary(n).then(onBlock, onError)
      }
      // Over WebSocket the node pushes new heads (eth_subscribe); over HTTP the client polls.
      return url.protocol.startsWith('ws')
        ? client.watchBlockNumber({ emitMissed: true, poll: false, onBlockNumber, onError } as unknown as Parameters<typeof client.watchBlockNumber>[0])
        : client.watchBlockNumber({ emitMissed: true, poll: true, onBlockNumber, onError })
    },

    async close() {
      if (url.protocol.startsWith('ws')) {
        const { getWebSocketRpcClient } = await import('viem/utils')
        const socket = await getWebSocketRpcClient(url.href).catch(() => null)
        socket?.close()
      }
    },
  }
}
