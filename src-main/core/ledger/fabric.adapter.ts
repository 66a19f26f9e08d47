/**
 * The Hyperledger Fabric adapter, on @hyperledger/fabric-gateway (the Gateway API that replaced the deprecated SDKs,
 * docs/wire/ledger.md §1). Not tested yet: no real Fabric network can run on the build machines, and the gRPC stub of
 * the Gateway and Deliver services that would exercise this file (§1.5) is still to be written.
 *
 * - Watson's chaincode convention: `updateAsset` / `readAsset` / `readAssetSchemas`, each taking one JSON string
 *   (§1.3); a route can send positional strings instead.
 * - A submit is endorsed (`prepare`: the signed transaction and its id are known), written down by the queue, then sent
 *   to the orderer. Sending the same signed transaction again after a restart cannot commit it twice: Fabric validates
 *   a transaction id once and marks a repeat DUPLICATE_TXID (§1.2).
 * - Monitoring reads use the system chaincode qscc (GetChainInfo, GetBlockByNumber, GetTransactionByID, §1.4).
 */
import { createPrivateKey } from 'node:crypto'
import * as grpc from '@grpc/grpc-js'
import { connect, GatewayError, hash, signers, type Commit, type Gateway, type Network } from '@hyperledger/fabric-gateway'
import { common, peer } from '@hyperledger/fabric-protos'
import type { AssetView, BlockSummary, FabricTargetSettings, LedgerDescription, LedgerEvent, LedgerFailure, TxDetail } from '../../../src-shared/models/ledger'
import { AppError } from '../common/errors'
import { CallFailure, type Call, type CommitOutcome, type DryRun, type EventPage, type LedgerAdapter, type SendOutcome } from './ledger-adapter'
import { showArg } from './route-transforms'

const DEADLINE_MS = 15_000
/** How long a commit status request waits before the item is looked at again (CommitStatus blocks until commit). */
const COMMIT_WAIT_MS = 2_000
const EVENT_PAGE = 500

/** Validation codes by number (peer.TxValidationCode), for a status or a transaction's detail. */
const VALIDATION_NAMES = new Map<number, string>(Object.entries(peer.TxValidationCode).map(([name, n]) => [n as number, name]))

/** gRPC statuses after which the same request may succeed (the peer restarting, a slow network). */
const TRANSIENT_GRPC = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED])

export function fabricFailure(e: unknown): LedgerFailure {
  if (e instanceof GatewayError) {
    const details = e.details.map((d) => `${d.mspId}@${d.address}: ${d.message}`).join('; ')
    const code = TRANSIENT_GRPC.has(e.code) ? (e.code === grpc.status.DEADLINE_EXCEEDED ? 'TIMEOUT' : 'NETWORK') : 'FABRIC'
    return { code, name: e.name, message: `${e.message}${details ? ` (${details})` : ''}`.slice(0, 500), args: [String(e.code)] }
  }
  if (e instanceof AppError) return { code: e.code, name: e.code, message: e.message }
  return { code: 'INTERNAL', name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message.slice(0, 300) : String(e).slice(0, 300) }
}

const transient = (f: LedgerFailure) => f.code === 'NETWORK' || f.code === 'TIMEOUT'

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

/** The function and arguments of an endorser transaction envelope (Payload → Transaction → … → invocation spec). */
function invocationOf(envelope: common.Envelope): { fn: string | null; args: string[]; events: { name: string; payload: Uint8Array }[] } {
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8())
  const tx = peer.Transaction.deserializeBinary(payload.getData_asU8())
  const action = tx.getActionsList()[0]
  if (!action) return { fn: null, args: [], events: [] }
  const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8())
  const proposalPayload = peer.ChaincodeProposalPayload.deserializeBinary(actionPayload.getChaincodeProposalPayload_asU8())
  const spec = peer.ChaincodeInvocationSpec.deserializeBinary(proposalPayload.getInput_asU8())
  const args = spec.getChaincodeSpec()?.getInput()?.getArgsList_asU8() ?? []
  const events: { name: string; payload: Uint8Array }[] = []
  const endorsed = actionPayload.getAction()
  if (endorsed) {
    const response = peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8())
    const ccAction = peer.ChaincodeAction.deserializeBinary(response.getExtension_asU8())
    const eventBytes = ccAction.getEvents_asU8()
    if (eventBytes.length > 0) {
      const ev = peer.ChaincodeEvent.deserializeBinary(eventBytes)
      events.push({ name: ev.getEventName(), payload: ev.getPayload_asU8() })
    }
  }
  return { fn: args[0] ? utf8(args[0]) : null, args: args.slice(1).map(utf8), events }
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

export interface FabricAdapterOptions {
  settings: FabricTargetSettings
  /** The identity's private key (PEM, from the vault); absent: reads work, submits are refused. */
  privateKey: string | null
}

export function createFabricAdapter(options: FabricAdapterOptions): LedgerAdapter {
  const { settings } = options
  let connection: { client: grpc.Client; gateway: Gateway; network: Network } | undefined
  /** Commit handles of transactions this process sent; after a restart a send gives a fresh one. */
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
    const info = common.BlockchainInfo.deserializeBinary(await qscc('GetChainInfo'))
    return BigInt(info.getHeight())
  }

  async function readAll(from: bigint, stopAt: bigint, checkpoint?: { block: string; index: number }): Promise<LedgerEvent[]> {
    const start = checkpoint ? BigInt(checkpoint.block) : from
    if (start > stopAt) return []
    const events = await open().network.getChaincodeEvents(settings.chaincode, { startBlock: start })
    const items: LedgerEvent[] = []
    const perBlock = new Map<bigint, number>()
    try {
      for await (const e of events) {
        if (e.blockNumber > stopAt) break
        const index = perBlock.get(e.blockNumber) ?? 0
        perBlock.set(e.blockNumber, index + 1)
        if (!checkpoint || e.blockNumber > BigInt(checkpoint.block) || index > checkpoint.index) {
          items.push({ block: e.blockNumber.toString(), txId: e.transactionId, name: e.eventName, index, args: eventArgs(e.payload) })
        }
        if (items.length >= EVENT_PAGE || e.blockNumber === stopAt) break
      }
    } finally {
      events.close()
    }
    return items
  }

  return {
    kind: 'fabric',
    lane: null,
    nextNonce: async () => 0,

    async describe(): Promise<LedgerDescription> {
      const text = utf8(
        await contract()
          .evaluateTransaction('readAssetSchemas')
          .catch((e: unknown) => Promise.reject(new CallFailure(fabricFailure(e), false))),
      )
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
    },

    async parameterTypes() {
      return new Map()
    },

    async encode(call) {
      return call.style === 'json' ? jsonArgument(call) : JSON.stringify(argumentsOf(call))
    },

    async dryRun(call): Promise<DryRun> {
      try {
        return { ok: true, result: utf8(await contract().evaluate(call.fn, { arguments: argumentsOf(call) })) }
      } catch (e) {
        if (e instanceof AppError) throw e
        return { ok: false, error: fabricFailure(e) }
      }
    },

    async prepare(call) {
      try {
        const proposal = contract().newProposal(call.fn, { arguments: argumentsOf(call) })
        const transaction = await proposal.endorse()
        return { txId: transaction.getTransactionId(), signed: Buffer.from((transaction as unknown as { getBytes(): Uint8Array }).getBytes()).toString('base64'), nonce: null, lane: null }
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
        const failure = fabricFailure(e)
        return transient(failure) ? { kind: 'retry', error: failure } : { kind: 'refused', error: failure }
      }
    },

    async commitStatus(submission): Promise<CommitOutcome> {
      const commit = commits.get(submission.txId)
      if (!commit) return { kind: 'unknown' }
      try {
        const status = await commit.getStatus()
        commits.delete(submission.txId)
        if (status.successful) return { kind: 'committed', block: status.blockNumber.toString() }
        const name = VALIDATION_NAMES.get(status.code) ?? `Code${status.code}`
        return { kind: 'failed', block: status.blockNumber.toString(), error: { code: 'FABRIC', name, message: `the transaction was committed as ${name}` } }
      } catch (e) {
        const failure = fabricFailure(e)
        if (transient(failure)) return { kind: 'pending' }
        commits.delete(submission.txId)
        return { kind: 'unknown' }
      }
    },

    async query(fn, args) {
      const text = utf8(await contract().evaluateTransaction(fn, ...args))
      try {
        return JSON.parse(text) as unknown
      } catch {
        return text
      }
    },

    async head() {
      const at = new Date().toISOString()
      try {
        return { kind: 'fabric', network: settings.channel, height: (await height()).toString(), healthy: true, signer: settings.mspId, balance: null, checkedAt: at }
      } catch (e) {
        if (e instanceof AppError) throw e
        return { kind: 'fabric', network: settings.channel, height: '0', healthy: false, signer: settings.mspId, balance: null, checkedAt: at }
      }
    },

    async blocks(from, count) {
      const top = from ?? (await height()) - 1n
      const out: BlockSummary[] = []
      for (let n = top; n >= 0n && out.length < count; n--) out.push(blockSummary(common.Block.deserializeBinary(await qscc('GetBlockByNumber', n.toString()))))
      return out
    },

    async tx(id): Promise<TxDetail> {
      let processed: peer.ProcessedTransaction
      try {
        processed = peer.ProcessedTransaction.deserializeBinary(await qscc('GetTransactionByID', id))
      } catch (e) {
        throw AppError.withRef('NOT_FOUND', `No transaction ${id} on this channel (${fabricFailure(e).name})`, { key: 'ledger.txNotFound', params: { id } })
      }
      const block = common.Block.deserializeBinary(await qscc('GetBlockByTxID', id))
        .getHeader()
        ?.getNumber()
      const { fn, args, events } = invocationOf(processed.getTransactionenvelope()!)
      return {
        id,
        block: block === undefined ? null : String(block),
        function: fn,
        args: args.map((value, i) => ({ parameter: `#${i}`, type: 'string', value })),
        events: events.map((e, index) => ({ block: String(block ?? ''), txId: id, name: e.name, index, args: eventArgs(e.payload) })),
        status: VALIDATION_NAMES.get(processed.getValidationcode()) ?? `Code${processed.getValidationcode()}`,
        gasUsed: null,
      }
    },

    async events(from, checkpoint): Promise<EventPage> {
      const top = (await height()) - 1n
      const items = await readAll(from, top, checkpoint)
      const last = items.at(-1)
      const done = items.length < EVENT_PAGE
      return { items, checkpoint: last ? { block: last.block, index: last.index } : (checkpoint ?? { block: from.toString(), index: -1 }), done }
    },

    async asset(assetId, from): Promise<AssetView> {
      let state: Record<string, unknown> | null = null
      try {
        const value = JSON.parse(utf8(await contract().evaluateTransaction('readAsset', JSON.stringify({ assetID: assetId })))) as unknown
        state = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : { value }
      } catch (e) {
        if (!(e instanceof GatewayError) && !(e instanceof SyntaxError)) throw e
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
        for await (const block of blocks) onBlock(blockSummary(block))
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
