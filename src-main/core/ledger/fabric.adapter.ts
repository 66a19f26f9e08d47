/**
 * The Hyperledger Fabric adapter, on @hyperledger/fabric-gateway (the Gateway API that replaced the deprecated SDKs,
 * docs/wire/ledger.md §1). Tested against the Fabric test peer (test/peers/fabric/), which speaks the Gateway and
 * Deliver services as Fabric 2.5 does; a real Fabric network is untested here (§1.5).
 *
 * - Watson's chaincode convention: `updateAsset` / `readAsset` / `readAssetSchemas`, each taking one JSON string
 *   (§1.3); a route can send positional strings instead.
 * - A submit is endorsed (`prepare`: the endorsed transaction and its id are known), written down by the queue, then
 *   sent to the orderer. Sending the same transaction again after a restart cannot commit it twice: Fabric validates a
 *   transaction id once and marks a repeat DUPLICATE_TXID, and a status by id is the first commit's (§1.2).
 * - A transaction invalidated by MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT changed nothing and can never commit:
 *   it is endorsed again on the new state (§1.2).
 * - Every request is signed, reads included, so every call needs the private key.
 * - Monitoring reads use the system chaincode qscc (GetChainInfo, GetBlockByNumber, GetTransactionByID, §1.4); events
 *   are read from blocks, a bounded page at a time, because the Gateway's event stream waits at the head for more.
 */
import { createPrivateKey } from 'node:crypto'
import * as grpc from '@grpc/grpc-js'
import { connect, GatewayError, hash, signers, type Commit, type Gateway, type Network } from '@hyperledger/fabric-gateway'
import { common, peer } from '@hyperledger/fabric-protos'
import type { AssetView, BlockSummary, FabricTargetSettings, LedgerDescription, LedgerEvent, LedgerFailure, TxDetail } from '../../../src-shared/models/ledger'
import { AppError } from '../common/errors'
import { CallFailure, eventPage, failureError, type Call, type CommitOutcome, type DryRun, type EventPage, type LedgerAdapter, type SendOutcome } from './ledger-adapter'
import { showArg } from './route-transforms'

const DEADLINE_MS = 15_000
/** How long a commit status request waits before the item is looked at again (CommitStatus blocks until commit). */
const COMMIT_WAIT_MS = 2_000
/** Blocks read per page of events (one qscc read each). */
const EVENT_PAGE_BLOCKS = 100n

/** Validation codes by number (peer.TxValidationCode), for a status or a transaction's detail. */
const VALIDATION_NAMES = new Map<number, string>(Object.entries(peer.TxValidationCode).map(([name, n]) => [n as number, name]))
const VALID = peer.TxValidationCode.VALID
/** Invalidated by a read another transaction changed first: endorsing again on the new state can succeed. */
const READ_CONFLICTS = new Set<number>([peer.TxValidationCode.MVCC_READ_CONFLICT, peer.TxValidationCode.PHANTOM_READ_CONFLICT])

const STATUS_NAMES = new Map<number, string>(Object.entries(grpc.status).flatMap(([name, n]) => (typeof n === 'number' ? [[n, name] as const] : [])))
/** Submit statuses that mean the transaction was not ordered (§1.5: the Gateway's checks, the orderer's refusal). */
const NOT_ORDERED = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.FAILED_PRECONDITION, grpc.status.PERMISSION_DENIED, grpc.status.ABORTED])
/** gRPC statuses after which the same request may succeed (the peer restarting, a slow network). */
const TRANSIENT_GRPC = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED])

/**
 * A Gateway error by name (§1.1): the chaincode's own refusal ("chaincode response 500, …" in the error details),
 * an endorser's "access denied" (MSP, certificate or key), the peer out of reach, or the error class otherwise.
 */
export function fabricFailure(e: unknown): LedgerFailure {
  if (e instanceof GatewayError) {
    const status = STATUS_NAMES.get(e.code) ?? String(e.code)
    const detail = e.details.map((d) => d.message).find(Boolean) ?? e.message
    const chaincode = /chaincode response (\d+), ([\s\S]*)$/.exec(detail)
    if (chaincode) return { code: 'FABRIC', name: 'ChaincodeError', message: chaincode[2]!.slice(0, 500), args: [chaincode[1]!, status] }
    if (/access denied/.test(detail)) return { code: 'FABRIC', name: 'AccessDenied', message: detail.slice(0, 500), args: [status] }
    if (e.code === grpc.status.DEADLINE_EXCEEDED) return { code: 'TIMEOUT', name: 'Timeout', message: e.message.slice(0, 300), args: [status] }
    // gRPC says a refused connection only in its text ("… Last error: connect ECONNREFUSED 127.0.0.1:7051").
    if (e.code === grpc.status.UNAVAILABLE && /\bECONNREFUSED\b/.test(e.message)) return { code: 'NETWORK', name: 'Refused', message: e.message.slice(0, 300), args: [status] }
    if (TRANSIENT_GRPC.has(e.code)) return { code: 'NETWORK', name: 'Unavailable', message: e.message.slice(0, 300), args: [status] }
    const where = e.details.map((d) => `${d.mspId}@${d.address}: ${d.message}`).join('; ')
    return { code: 'FABRIC', name: e.name, message: `${e.message}${where ? ` (${where})` : ''}`.slice(0, 500), args: [status] }
  }
  if (e instanceof AppError) return { code: e.code, name: e.code, message: e.message }
  return { code: 'INTERNAL', name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message.slice(0, 300) : String(e).slice(0, 300) }
}

const transient = (f: LedgerFailure) => f.code === 'NETWORK' || f.code === 'TIMEOUT'

/** Runs a read; a Gateway error becomes the AppError a channel answers with. */
async function read<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (e) {
    if (e instanceof AppError) throw e
    throw failureError(fabricFailure(e))
  }
}

/** Dotted parameter names nest (`location.latitude`), as Watson's JSON string did (§1.3). */
export function jsonArgument(call: Call): string {
  const root: Record<string, unknown> = {}
  for (const { parameter, value } of call.args) {
    if (value === undefined) continue
    const parts = parameter.split('.')
    let node = root
    for (const part of parts.slice(0, -1)) {
      const next = node[part]
      node = (next !== null && typeof next === 'object' ? next : (node[part] = {})) as Record<string, unknown>
    }
    node[parts.at(-1)!] = typeof value === 'bigint' ? value.toString() : value
  }
  return JSON.stringify(root)
}

function argumentsOf(call: Call): string[] {
  return call.style === 'json' ? [jsonArgument(call)] : call.args.map((a) => showArg(a.value))
}

const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8')

function eventArgs(payload: Uint8Array): Record<string, string> {
  const text = utf8(payload)
  try {
    const value = JSON.parse(text) as unknown
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
    }
  } catch {
    // not JSON: shown as text below
  }
  return { payload: text }
}

interface Invocation {
  txId: string
  fn: string | null
  args: string[]
  events: peer.ChaincodeEvent[]
}

/** The function, arguments and events of an endorser transaction envelope (Payload → Transaction → … → invocation spec). */
function invocationOf(envelope: common.Envelope): Invocation | null {
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8())
  const header = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8())
  if (header.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return null
  const action = peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()[0]
  if (!action) return { txId: header.getTxId(), fn: null, args: [], events: [] }
  const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8())
  const proposalPayload = peer.ChaincodeProposalPayload.deserializeBinary(actionPayload.getChaincodeProposalPayload_asU8())
  const args = peer.ChaincodeInvocationSpec.deserializeBinary(proposalPayload.getInput_asU8()).getChaincodeSpec()?.getInput()?.getArgsList_asU8() ?? []
  const events: peer.ChaincodeEvent[] = []
  const endorsed = actionPayload.getAction()
  if (endorsed) {
    const response = peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8())
    const eventBytes = peer.ChaincodeAction.deserializeBinary(response.getExtension_asU8()).getEvents_asU8()
    if (eventBytes.length > 0) events.push(peer.ChaincodeEvent.deserializeBinary(eventBytes))
  }
  return { txId: header.getTxId(), fn: args[0] ? utf8(args[0]) : null, args: args.slice(1).map(utf8), events }
}

/** The chaincode's events in a block, from its valid transactions only (as the Gateway's event service gives them). */
function blockEvents(block: common.Block, chaincode: string): LedgerEvent[] {
  const number = String(block.getHeader()!.getNumber())
  const codes = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array()
  const out: LedgerEvent[] = []
  block
    .getData()
    ?.getDataList_asU8()
    .forEach((bytes, i) => {
      if (codes[i] !== VALID) return
      for (const e of invocationOf(common.Envelope.deserializeBinary(bytes))?.events ?? []) {
        if (e.getChaincodeId() === chaincode) out.push({ block: number, txId: e.getTxId(), name: e.getEventName(), index: out.length, args: eventArgs(e.getPayload_asU8()) })
      }
    })
  return out
}

function blockSummary(block: common.Block): BlockSummary {
  const header = block.getHeader()!
  const data = block.getData()?.getDataList_asU8() ?? []
  let time: string | null = null
  if (data[0]) {
    const env = common.Envelope.deserializeBinary(data[0])
    const ch = common.ChannelHeader.deserializeBinary(common.Payload.deserializeBinary(env.getPayload_asU8()).getHeader()!.getChannelHeader_asU8())
    const ts = ch.getTimestamp()
    if (ts) time = new Date(ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6)).toISOString()
  }
  return { number: String(header.getNumber()), hash: Buffer.from(header.getDataHash_asU8()).toString('hex'), time, txCount: data.length }
}

function outcomeOf(code: number, block: string): CommitOutcome {
  if (code === VALID) return { kind: 'committed', block }
  const name = VALIDATION_NAMES.get(code) ?? `Code${code}`
  const error: LedgerFailure = { code: 'FABRIC', name, message: `the transaction was committed as ${name}` }
  return READ_CONFLICTS.has(code) ? { kind: 'stale', error } : { kind: 'failed', block, error }
}

export interface FabricAdapterOptions {
  settings: FabricTargetSettings
  /** The identity's private key (PEM, from the vault); absent: every call is refused (Fabric requests are signed). */
  privateKey: string | null
}

export function createFabricAdapter(options: FabricAdapterOptions): LedgerAdapter {
  const { settings } = options
  let connection: { client: grpc.Client; gateway: Gateway; network: Network } | undefined
  /** Commit handles of transactions this process sent; after a restart the ledger is asked by transaction id. */
  const commits = new Map<string, Commit>()

  function open() {
    if (connection) return connection
    if (!options.privateKey) throw AppError.withRef('VALIDATION', 'The target has no private key: set it first', { key: 'ledger.noPrivateKey' })
    const client = new grpc.Client(
      settings.endpoint,
      grpc.credentials.createSsl(Buffer.from(settings.tlsCa)),
      settings.hostnameOverride ? { 'grpc.ssl_target_name_override': settings.hostnameOverride } : {},
    )
    const deadline = (ms: number) => () => ({ deadline: Date.now() + ms })
    const gateway = connect({
      client,
      identity: { mspId: settings.mspId, credentials: Buffer.from(settings.certificate) },
      signer: signers.newPrivateKeySigner(createPrivateKey(options.privateKey)),
      hash: hash.sha256,
      evaluateOptions: deadline(DEADLINE_MS),
      endorseOptions: deadline(DEADLINE_MS),
      submitOptions: deadline(DEADLINE_MS),
      commitStatusOptions: deadline(COMMIT_WAIT_MS),
    })
    connection = { client, gateway, network: gateway.getNetwork(settings.channel) }
    return connection
  }

  const contract = () => open().network.getContract(settings.chaincode)
  const qscc = async (fn: string, ...args: string[]) =>
    open()
      .network.getContract('qscc')
      .evaluateTransaction(fn, settings.channel, ...args)

  async function height(): Promise<bigint> {
    return BigInt(common.BlockchainInfo.deserializeBinary(await qscc('GetChainInfo')).getHeight())
  }

  const block = async (n: bigint) => common.Block.deserializeBinary(await qscc('GetBlockByNumber', n.toString()))

  /** The transaction's validation code and block, or null when the ledger does not have it. */
  async function committed(txId: string): Promise<{ code: number; block: string } | null> {
    let processed: peer.ProcessedTransaction
    try {
      processed = peer.ProcessedTransaction.deserializeBinary(await qscc('GetTransactionByID', txId))
    } catch (e) {
      if (fabricFailure(e).name === 'ChaincodeError') return null
      throw e
    }
    const number = common.Block.deserializeBinary(await qscc('GetBlockByTxID', txId))
      .getHeader()!
      .getNumber()
    return { code: processed.getValidationcode(), block: String(number) }
  }

  return {
    kind: 'fabric',
    lane: null,
    nextNonce: async () => 0,

    describe: () =>
      read(async (): Promise<LedgerDescription> => {
        const text = utf8(await contract().evaluateTransaction('readAssetSchemas'))
        let schemas: unknown
        try {
          schemas = JSON.parse(text)
        } catch {
          throw AppError.withRef('LEDGER', 'readAssetSchemas did not answer JSON', { key: 'ledger.badSchemas' })
        }
        if (schemas === null || typeof schemas !== 'object' || Array.isArray(schemas)) throw AppError.withRef('LEDGER', 'readAssetSchemas did not answer a JSON object', { key: 'ledger.badSchemas' })
        return {
          functions: Object.entries(schemas as Record<string, { properties?: Record<string, { type?: string }> }>).map(([name, schema]) => ({
            name,
            inputs: Object.entries(schema?.properties ?? {}).map(([p, s]) => ({ name: p, type: typeof s?.type === 'string' ? s.type : 'json' })),
            mutates: !/^read/.test(name),
          })),
          events: [],
          errors: [],
        }
      }),

    async parameterTypes() {
      return new Map()
    },

    async encode(call) {
      return call.style === 'json' ? jsonArgument(call) : JSON.stringify(argumentsOf(call))
    },

    async dryRun(call): Promise<DryRun> {
      try {
        const result = utf8(await contract().evaluate(call.fn, { arguments: argumentsOf(call) }))
        return { ok: true, result: result === '' ? null : result }
      } catch (e) {
        if (e instanceof AppError) throw e
        return { ok: false, error: fabricFailure(e) }
      }
    },

    async prepare(call) {
      try {
        const transaction = await contract()
          .newProposal(call.fn, { arguments: argumentsOf(call) })
          .endorse()
        // The endorsed transaction; it is signed when sent, and its id is fixed by the proposal (§1.2).
        return { txId: transaction.getTransactionId(), signed: Buffer.from(transaction.getBytes()).toString('base64'), nonce: null, lane: null }
      } catch (e) {
        if (e instanceof AppError) throw e
        const failure = fabricFailure(e)
        throw new CallFailure(failure, transient(failure))
      }
    },

    async send(submission): Promise<SendOutcome> {
      try {
        const tx = open().gateway.newTransaction(Buffer.from(submission.signed, 'base64'))
        commits.set(submission.txId, await tx.submit())
        return { kind: 'sent' }
      } catch (e) {
        if (e instanceof AppError) throw e
        const failure = fabricFailure(e)
        // Only the Gateway's and orderer's own refusals say the transaction was not ordered; anything else may have
        // been, so the same transaction is sent again later (a repeat is DUPLICATE_TXID), never endorsed anew.
        return e instanceof GatewayError && NOT_ORDERED.has(e.code) ? { kind: 'refused', error: failure } : { kind: 'retry', error: failure }
      }
    },

    async commitStatus(submission): Promise<CommitOutcome> {
      const commit = commits.get(submission.txId)
      try {
        if (!commit) {
          // Sent by an earlier run (or never): the ledger says whether it committed; if not, it is sent again.
          const known = await committed(submission.txId)
          return known ? outcomeOf(known.code, known.block) : { kind: 'unknown' }
        }
        const status = await commit.getStatus()
        commits.delete(submission.txId)
        return outcomeOf(status.code, status.blockNumber.toString())
      } catch (e) {
        if (e instanceof AppError) throw e
        const failure = fabricFailure(e)
        if (transient(failure)) return { kind: 'pending' }
        commits.delete(submission.txId)
        throw new CallFailure(failure, false)
      }
    },

    query: (fn, args) =>
      read(async () => {
        const text = utf8(await contract().evaluateTransaction(fn, ...args))
        try {
          return JSON.parse(text) as unknown
        } catch {
          return text
        }
      }),

    async head() {
      const at = new Date().toISOString()
      try {
        return { head: { kind: 'fabric', network: settings.channel, height: (await height()).toString(), healthy: true, signer: settings.mspId, balance: null, checkedAt: at }, failure: null }
      } catch (e) {
        if (e instanceof AppError) throw e
        const failure = fabricFailure(e)
        // Out of reach is a state to show; a refusal (access denied, no such channel) is an answer to report.
        if (!transient(failure)) throw failureError(failure)
        return { head: { kind: 'fabric', network: settings.channel, height: null, healthy: false, signer: settings.mspId, balance: null, checkedAt: at }, failure }
      }
    },

    blocks: (from, count) =>
      read(async () => {
        const top = from ?? (await height()) - 1n
        const out: BlockSummary[] = []
        for (let n = top; n >= 0n && out.length < count; n--) out.push(blockSummary(await block(n)))
        return out
      }),

    tx: (id) =>
      read(async (): Promise<TxDetail> => {
        let processed: peer.ProcessedTransaction
        try {
          processed = peer.ProcessedTransaction.deserializeBinary(await qscc('GetTransactionByID', id))
        } catch (e) {
          const failure = fabricFailure(e)
          if (failure.name !== 'ChaincodeError') throw e
          throw AppError.withRef('NOT_FOUND', `No transaction ${id} on this channel (${failure.message.slice(0, 200)})`, { key: 'ledger.txNotFound', params: { id } })
        }
        const number = String(
          common.Block.deserializeBinary(await qscc('GetBlockByTxID', id))
            .getHeader()!
            .getNumber(),
        )
        const invocation = invocationOf(processed.getTransactionenvelope()!)
        return {
          id,
          block: number,
          function: invocation?.fn ?? null,
          args: (invocation?.args ?? []).map((value, i) => ({ parameter: `#${i}`, type: 'string', value })),
          events: (invocation?.events ?? []).map((e, index) => ({ block: number, txId: id, name: e.getEventName(), index, args: eventArgs(e.getPayload_asU8()) })),
          status: VALIDATION_NAMES.get(processed.getValidationcode()) ?? `Code${processed.getValidationcode()}`,
          gasUsed: null,
        }
      }),

    events: (from, checkpoint) =>
      read(async (): Promise<EventPage> => {
        const head = (await height()) - 1n
        const start = checkpoint ? BigInt(checkpoint.block) : from
        if (start > head) return { items: [], checkpoint: checkpoint ?? { block: from.toString(), index: -1 }, done: true }
        const to = start + EVENT_PAGE_BLOCKS - 1n < head ? start + EVENT_PAGE_BLOCKS - 1n : head
        const events: LedgerEvent[] = []
        for (let n = start; n <= to; n++) events.push(...blockEvents(await block(n), settings.chaincode))
        return eventPage(events, to, head, checkpoint)
      }),

    async asset(assetId, from): Promise<AssetView> {
      let state: Record<string, unknown> | null = null
      try {
        const value = JSON.parse(utf8(await contract().evaluateTransaction('readAsset', JSON.stringify({ assetID: assetId })))) as unknown
        state = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : { value }
      } catch (e) {
        // The chaincode's "no such asset" (or an answer that is not JSON) leaves the state empty; anything else is reported.
        if (!(e instanceof SyntaxError) && fabricFailure(e).name !== 'ChaincodeError') throw e instanceof AppError ? e : failureError(fabricFailure(e))
      }
      const history: LedgerEvent[] = []
      let page: EventPage | undefined
      do {
        page = await this.events(from ?? 0n, page?.checkpoint)
        history.push(...page.items.filter((e) => Object.values(e.args).includes(assetId)))
      } while (!page.done && history.length < 1000)
      return { assetId, state, history }
    },

    watchBlocks(onBlock, onError) {
      let stopped = false
      let close: (() => void) | undefined
      void (async () => {
        const start = await height()
        const blocks = await open().network.getBlockEvents({ startBlock: start })
        close = () => blocks.close()
        if (stopped) return close()
        for await (const b of blocks) onBlock(blockSummary(b))
      })().catch((e: unknown) => {
        if (!stopped) onError(e)
      })
      return () => {
        stopped = true
        close?.()
      }
    },

    async close() {
      connection?.gateway.close()
      connection?.client.close()
      connection = undefined
    },
  }
}
