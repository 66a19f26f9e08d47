/**
 * A Fabric peer with its Gateway for tests: the gRPC services `/gateway.Gateway/{Evaluate,Endorse,Submit,CommitStatus,
 * ChaincodeEvents}` and `/protos.Deliver/{Deliver,DeliverFiltered}` from @hyperledger/fabric-protos, over TLS with a
 * test-time CA, serving one channel with a Watson-style chaincode and qscc (docs/wire/ledger.md §1.5).
 *
 * It answers as the Gateway of Fabric 2.5 does (`internal/pkg/gateway/api.go`), status codes and messages included:
 * - Evaluate: an endorser's refusal of the proposal (bad signature, unknown MSP) is FAILED_PRECONDITION, a chaincode
 *   error UNKNOWN "chaincode response 500, …", each "evaluate call to endorser returned error: …" with an ErrorDetail.
 * - Endorse: any endorser failure is ABORTED "failed to endorse transaction, see attached details for more info" with
 *   the endorser's message in the details.
 * - Submit: an unsigned transaction is INVALID_ARGUMENT; one the orderer refuses (a creator that is not a member, a
 *   signature that does not verify) ABORTED "received unsuccessful response from orderer: status=FORBIDDEN, …".
 * - CommitStatus and ChaincodeEvents check the signed request (PERMISSION_DENIED); CommitStatus waits for the commit.
 * - Deliver answers a refused or impossible request with a status message (FORBIDDEN, NOT_FOUND, BAD_REQUEST).
 *
 * The orderer is in the same process: submitted transactions are cut into a block after `batchMs` (Fabric's
 * BatchTimeout, 2 s by default, is shortened for tests) or at `maxBatch`, then validated by committer.ts.
 * What it does not do [I]: endorsement policies beyond "one member of the peer's organisation", ACLs beyond channel
 * membership, private data (DeliverWithPrivateData answers UNIMPLEMENTED), several peers or orderers.
 */
import * as grpc from '@grpc/grpc-js'
import { common, gateway, orderer, peer } from '@hyperledger/fabric-protos'
import { BlockStore } from './block-store'
import { commitBlock } from './committer'
import { endorse, preparedTransaction, simulate, unpack, validate, type Unpacked } from './endorser'
import { ChannelMsp, signingIdentity } from './msp'
import type { FabricPki } from './pki'
import { statusDetails } from './proto-wire'

export interface FabricPeerOptions {
  pki: FabricPki
  channel?: string
  chaincode?: string
  mspId?: string
  /** How long the orderer waits for more transactions before it cuts a block. */
  batchMs?: number
  maxBatch?: number
}

export interface FabricPeer {
  /** host:port of the Gateway (TLS; its certificate is for localhost and 127.0.0.1). */
  endpoint: string
  port: number
  channel: string
  chaincode: string
  mspId: string
  store: BlockStore
  /** Gateway and Deliver calls by method name, for tests. */
  calls: Map<string, number>
  /** VALID transactions invoking `fn` of the chaincode. */
  validInvocations(fn: string): number
  /** The orderer stops cutting blocks until released (submitted transactions wait, as behind a slow orderer). */
  holdBlocks(): void
  releaseBlocks(): void
  /** Stops serving (the ledger is kept); start() serves again on the same port. */
  stop(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

type Detail = { message: string }

export async function startFabricPeer(options: FabricPeerOptions): Promise<FabricPeer> {
  const channel = options.channel ?? 'mychannel'
  const chaincode = options.chaincode ?? 'iotcontract'
  const mspId = options.mspId ?? 'Org1MSP'
  const batchMs = options.batchMs ?? 20
  const maxBatch = options.maxBatch ?? 50
  const store = new BlockStore(channel)
  const msp = new ChannelMsp(channel, { [mspId]: options.pki.orgCa })
  const identity = signingIdentity(mspId, options.pki.peer)
  const calls = new Map<string, number>()
  let pending: Uint8Array[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  let held = false
  let server: grpc.Server | undefined
  let port = 0
  let address = ''

  const count = (method: string) => calls.set(method, (calls.get(method) ?? 0) + 1)

  function rpcError(code: grpc.status, message: string, details: Detail[] = []): Partial<grpc.StatusObject> {
    const metadata = new grpc.Metadata()
    if (details.length > 0) {
      const entries = details.map((d) => {
        const e = new gateway.ErrorDetail()
        e.setAddress(address)
        e.setMspId(mspId)
        e.setMessage(d.message)
        return e
      })
      metadata.set('grpc-status-details-bin', statusDetails(code, message, entries))
    }
    return { code, details: message, metadata }
  }

  function cut(): void {
    timer = undefined
    if (held || pending.length === 0) return
    const batch = pending.splice(0, maxBatch)
    commitBlock(batch, store, msp, mspId)
    if (pending.length > 0) timer = setTimeout(cut, 0)
  }

  function order(envelope: Uint8Array): void {
    pending.push(envelope)
    if (pending.length >= maxBatch) cut()
    else timer ??= setTimeout(cut, batchMs)
  }

  /** The endorser's answer to a proposal: refused (with the endorser's own message), a chaincode error, or endorsed. */
  type Processed = { kind: 'refused'; message: string } | { kind: 'chaincode'; message: string } | { kind: 'ok'; up: Unpacked; sim: ReturnType<typeof simulate> }
  function process(up: Unpacked): Processed {
    const refusal = validate(up, msp, store)
    if (refusal) return { kind: 'refused', message: refusal }
    const sim = simulate(up, store)
    if (sim.response.status >= 400) return { kind: 'chaincode', message: `chaincode response ${sim.response.status}, ${sim.response.message}` }
    return { kind: 'ok', up, sim }
  }

  const known = (up: Unpacked) => up.channelHeader.getChannelId() === channel && (up.chaincode === chaincode || up.chaincode === 'qscc')

  /** The request's identity is a member and signed it (the channel Readers policy the Gateway's ACLs apply). */
  function readerRefusal(identityBytes: Uint8Array, signed: Uint8Array, signature: Uint8Array, requested: string): string | null {
    const verdict = msp.check(identityBytes, signed, signature)
    if (verdict.ok) return requested === channel ? null : `channel ${requested} not found`
    return `failed evaluating policy on signed data during check policy [/Channel/Application/Readers]: [${verdict.message}]`
  }

  const gatewayService: grpc.UntypedServiceImplementation = {
    evaluate(call: grpc.ServerUnaryCall<gateway.EvaluateRequest, gateway.EvaluateResponse>, callback: grpc.sendUnaryData<gateway.EvaluateResponse>) {
      count('Evaluate')
      const signed = call.request.getProposedTransaction()
      let up: Unpacked
      try {
        if (!signed || signed.getProposalBytes_asU8().length === 0) throw new Error('a signed proposal is required')
        up = unpack(signed)
      } catch (e) {
        return callback(rpcError(grpc.status.INVALID_ARGUMENT, `failed to unpack transaction proposal: ${(e as Error).message}`))
      }
      if (!known(up)) return callback(rpcError(grpc.status.FAILED_PRECONDITION, `no peers available to evaluate chaincode ${up.chaincode} in channel ${up.channelHeader.getChannelId()}`))
      const result = process(up)
      if (result.kind !== 'ok') {
        const code = result.kind === 'refused' ? grpc.status.FAILED_PRECONDITION : grpc.status.UNKNOWN
        return callback(rpcError(code, `evaluate call to endorser returned error: ${result.message}`, [{ message: result.message }]))
      }
      const response = new peer.Response()
      response.setStatus(result.sim.response.status)
      response.setMessage(result.sim.response.message)
      response.setPayload(result.sim.response.payload)
      const answer = new gateway.EvaluateResponse()
      answer.setResult(response)
      callback(null, answer)
    },

    endorse(call: grpc.ServerUnaryCall<gateway.EndorseRequest, gateway.EndorseResponse>, callback: grpc.sendUnaryData<gateway.EndorseResponse>) {
      count('Endorse')
      const signed = call.request.getProposedTransaction()
      if (!signed || signed.getProposalBytes_asU8().length === 0) return callback(rpcError(grpc.status.INVALID_ARGUMENT, 'the proposed transaction must contain a signed proposal'))
      let up: Unpacked
      try {
        up = unpack(signed)
      } catch (e) {
        return callback(rpcError(grpc.status.INVALID_ARGUMENT, (e as Error).message))
      }
      // [I] the discovery service's message when no peer of the channel has the chaincode.
      if (!known(up))
        return callback(
          rpcError(
            grpc.status.FAILED_PRECONDITION,
            `no combination of peers can be derived which satisfy the endorsement policy: chaincode ${up.chaincode} not found in channel ${up.channelHeader.getChannelId()}`,
          ),
        )
      const result = process(up)
      if (result.kind !== 'ok') return callback(rpcError(grpc.status.ABORTED, 'failed to endorse transaction, see attached details for more info', [{ message: result.message }]))
      const { payload, endorsement } = endorse(result.up, result.sim, identity)
      const answer = new gateway.EndorseResponse()
      answer.setPreparedTransaction(preparedTransaction(result.up, payload, [endorsement]))
      callback(null, answer)
    },

    submit(call: grpc.ServerUnaryCall<gateway.SubmitRequest, gateway.SubmitResponse>, callback: grpc.sendUnaryData<gateway.SubmitResponse>) {
      count('Submit')
      const envelope = call.request.getPreparedTransaction()
      if (!envelope) return callback(rpcError(grpc.status.INVALID_ARGUMENT, 'a prepared transaction is required'))
      if (envelope.getSignature_asU8().length === 0) return callback(rpcError(grpc.status.INVALID_ARGUMENT, 'prepared transaction must be signed'))
      // [I] the registry's message for a channel the Gateway has no orderers for.
      if (call.request.getChannelId() !== channel) return callback(rpcError(grpc.status.FAILED_PRECONDITION, `no orderer nodes available for channel ${call.request.getChannelId()}`))
      // The orderer's message filters: a well-formed transaction of this channel, signed by a member (Writers).
      let refusal: string | null
      try {
        const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8())
        const ch = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8())
        const creator = common.SignatureHeader.deserializeBinary(payload.getHeader()!.getSignatureHeader_asU8()).getCreator_asU8()
        refusal =
          ch.getChannelId() !== channel
            ? 'status=BAD_REQUEST, info=channel header does not match the channel'
            : msp.check(creator, envelope.getPayload_asU8(), envelope.getSignature_asU8()).ok
              ? null
              : "status=FORBIDDEN, info=implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied"
      } catch {
        refusal = 'status=BAD_REQUEST, info=bad payload'
      }
      if (refusal) return callback(rpcError(grpc.status.ABORTED, `received unsuccessful response from orderer: ${refusal}`))
      order(envelope.serializeBinary())
      callback(null, new gateway.SubmitResponse())
    },

    commitStatus(call: grpc.ServerUnaryCall<gateway.SignedCommitStatusRequest, gateway.CommitStatusResponse>, callback: grpc.sendUnaryData<gateway.CommitStatusResponse>) {
      count('CommitStatus')
      const bytes = call.request.getRequest_asU8()
      if (bytes.length === 0) return callback(rpcError(grpc.status.INVALID_ARGUMENT, 'a commit status request is required'))
      let request: gateway.CommitStatusRequest
      try {
        request = gateway.CommitStatusRequest.deserializeBinary(bytes)
      } catch (e) {
        return callback(rpcError(grpc.status.INVALID_ARGUMENT, `invalid status request: ${(e as Error).message}`))
      }
      const refusal = readerRefusal(request.getIdentity_asU8(), bytes, call.request.getSignature_asU8(), request.getChannelId())
      if (refusal) return callback(rpcError(refusal.startsWith('channel') ? grpc.status.FAILED_PRECONDITION : grpc.status.PERMISSION_DENIED, refusal))
      const answer = () => {
        const at = store.tx(request.getTransactionId())
        if (!at) return false
        const response = new gateway.CommitStatusResponse()
        response.setResult(at.code as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap])
        response.setBlockNumber(at.block)
        callback(null, response)
        return true
      }
      if (answer()) return
      // Blocks until the transaction commits or the caller gives up (its deadline).
      const stop = store.onBlock(() => {
        if (answer()) stop()
      })
      call.on('cancelled', stop)
    },

    chaincodeEvents(call: grpc.ServerWritableStream<gateway.SignedChaincodeEventsRequest, gateway.ChaincodeEventsResponse>) {
      count('ChaincodeEvents')
      const bytes = call.request.getRequest_asU8()
      if (bytes.length === 0) return call.emit('error', rpcError(grpc.status.INVALID_ARGUMENT, 'a chaincode events request is required'))
      let request: gateway.ChaincodeEventsRequest
      try {
        request = gateway.ChaincodeEventsRequest.deserializeBinary(bytes)
      } catch (e) {
        return call.emit('error', rpcError(grpc.status.INVALID_ARGUMENT, `invalid chaincode events request: ${(e as Error).message}`))
      }
      const refusal = readerRefusal(request.getIdentity_asU8(), bytes, call.request.getSignature_asU8(), request.getChannelId())
      if (refusal) return call.emit('error', rpcError(refusal.startsWith('channel') ? grpc.status.NOT_FOUND : grpc.status.PERMISSION_DENIED, refusal))
      const after = request.getAfterTransactionId()
      const position = request.getStartPosition()
      let next = after && store.tx(after) ? store.tx(after)!.block : position?.hasSpecified() ? position.getSpecified()!.getNumber() : store.height
      let passed = !after
      const send = () => {
        while (next < store.height && !call.cancelled) {
          const events = chaincodeEventsOf(store.blocks[next]!).filter((e) => {
            if (!passed) {
              if (e.getTxId() === after) passed = true
              return false
            }
            return e.getChaincodeId() === request.getChaincodeId()
          })
          if (events.length > 0) {
            const response = new gateway.ChaincodeEventsResponse()
            response.setBlockNumber(next)
            response.setEventsList(events)
            call.write(response)
          }
          next++
        }
      }
      const stop = store.onBlock(send)
      call.on('cancelled', stop)
      send()
    },
  }

  function deliver(filtered: boolean) {
    return (call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) => {
      count(filtered ? 'DeliverFiltered' : 'Deliver')
      let stop: (() => void) | undefined
      const finish = (status: common.StatusMap[keyof common.StatusMap]) => {
        stop?.()
        const r = new peer.DeliverResponse()
        r.setStatus(status)
        call.write(r)
        call.end()
      }
      call.on('cancelled', () => stop?.())
      call.once('data', (envelope: common.Envelope) => {
        let seek: orderer.SeekInfo
        let ch: common.ChannelHeader
        let creator: Uint8Array
        try {
          const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8())
          ch = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8())
          creator = common.SignatureHeader.deserializeBinary(payload.getHeader()!.getSignatureHeader_asU8()).getCreator_asU8()
          seek = orderer.SeekInfo.deserializeBinary(payload.getData_asU8())
        } catch {
          return finish(common.Status.BAD_REQUEST)
        }
        if (ch.getType() !== common.HeaderType.DELIVER_SEEK_INFO) return finish(common.Status.BAD_REQUEST)
        if (ch.getChannelId() !== channel) return finish(common.Status.NOT_FOUND)
        if (!msp.check(creator, envelope.getPayload_asU8(), envelope.getSignature_asU8()).ok) return finish(common.Status.FORBIDDEN)
        const at = (p: orderer.SeekPosition | undefined, newest: number): number =>
          p?.hasSpecified() ? p.getSpecified()!.getNumber() : p?.hasOldest() ? 0 : p?.hasNextCommit() ? store.height : newest
        let next = at(seek.getStart(), store.height - 1)
        const last = at(seek.getStop(), store.height - 1)
        if (next > last) return finish(common.Status.BAD_REQUEST)
        const failIfNotReady = seek.getBehavior() === orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY
        const send = () => {
          while (next < store.height && next <= last && !call.cancelled) {
            const r = new peer.DeliverResponse()
            if (filtered) r.setFilteredBlock(filteredBlock(store.blocks[next]!, channel))
            else r.setBlock(store.blocks[next]!)
            call.write(r)
            next++
          }
          if (next > last) finish(common.Status.SUCCESS)
          else if (failIfNotReady) finish(common.Status.NOT_FOUND)
        }
        stop = store.onBlock(send)
        send()
      })
    }
  }

  const deliverService: grpc.UntypedServiceImplementation = {
    deliver: deliver(false),
    deliverFiltered: deliver(true),
    deliverWithPrivateData: (call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) => {
      call.emit('error', rpcError(grpc.status.UNIMPLEMENTED, 'private data is not served by this test peer'))
    },
  }

  async function start(): Promise<void> {
    server = new grpc.Server()
    server.addService(gateway.GatewayService, gatewayService)
    server.addService(peer.DeliverService, deliverService)
    const credentials = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(options.pki.tls.key), cert_chain: Buffer.from(options.pki.tls.cert) }], false)
    port = await new Promise<number>((resolve, reject) => server!.bindAsync(`127.0.0.1:${port}`, credentials, (e, p) => (e ? reject(e) : resolve(p))))
    address = `localhost:${port}`
  }

  async function stop(): Promise<void> {
    const s = server
    server = undefined
    if (s) await new Promise<void>((resolve) => s.tryShutdown(() => resolve())).then(() => s.forceShutdown())
  }

  await start()
  return {
    get endpoint() {
      return address
    },
    get port() {
      return port
    },
    channel,
    chaincode,
    mspId,
    store,
    calls,
    validInvocations(fn) {
      let n = 0
      store.blocks.forEach((block) => {
        const codes = block.getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER]!
        block
          .getData()!
          .getDataList_asU8()
          .forEach((bytes, i) => {
            if (codes[i] === peer.TxValidationCode.VALID && invocationOf(bytes) === fn) n++
          })
      })
      return n
    },
    holdBlocks() {
      held = true
    },
    releaseBlocks() {
      held = false
      timer ??= setTimeout(cut, 0)
    },
    stop,
    start,
    async close() {
      if (timer) clearTimeout(timer)
      pending = []
      await stop()
    },
  }
}

function endorserTransaction(bytes: Uint8Array): { txId: string; action: peer.ChaincodeAction; fn: string } | null {
  const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8())
  const ch = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8())
  if (ch.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return null
  const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()[0]!.getPayload_asU8())
  const prp = peer.ProposalResponsePayload.deserializeBinary(actionPayload.getAction()!.getProposalResponsePayload_asU8())
  const spec = peer.ChaincodeInvocationSpec.deserializeBinary(peer.ChaincodeProposalPayload.deserializeBinary(actionPayload.getChaincodeProposalPayload_asU8()).getInput_asU8())
  const fn = Buffer.from(spec.getChaincodeSpec()!.getInput()!.getArgsList_asU8()[0] ?? new Uint8Array()).toString('utf8')
  return { txId: ch.getTxId(), action: peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8()), fn }
}

function invocationOf(bytes: Uint8Array): string | null {
  return endorserTransaction(bytes)?.fn ?? null
}

/** The chaincode events of a block's valid transactions, in order (the Gateway's `chaincodeEventsFromBlock`). */
function chaincodeEventsOf(block: common.Block): peer.ChaincodeEvent[] {
  const codes = block.getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER]!
  const out: peer.ChaincodeEvent[] = []
  block
    .getData()!
    .getDataList_asU8()
    .forEach((bytes, i) => {
      if (codes[i] !== peer.TxValidationCode.VALID) return
      const events = endorserTransaction(bytes)?.action.getEvents_asU8()
      if (events && events.length > 0) out.push(peer.ChaincodeEvent.deserializeBinary(events))
    })
  return out
}

function filteredBlock(block: common.Block, channel: string): peer.FilteredBlock {
  const codes = block.getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER]!
  const fb = new peer.FilteredBlock()
  fb.setChannelId(channel)
  fb.setNumber(block.getHeader()!.getNumber())
  fb.setFilteredTransactionsList(
    block
      .getData()!
      .getDataList_asU8()
      .map((bytes, i) => {
        const ft = new peer.FilteredTransaction()
        const ch = common.ChannelHeader.deserializeBinary(common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8()).getHeader()!.getChannelHeader_asU8())
        ft.setTxid(ch.getTxId())
        ft.setType(ch.getType() as common.HeaderTypeMap[keyof common.HeaderTypeMap])
        ft.setTxValidationCode(codes[i] as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap])
        const tx = ch.getType() === common.HeaderType.ENDORSER_TRANSACTION ? endorserTransaction(bytes) : null
        const events = tx?.action.getEvents_asU8()
        if (events && events.length > 0) {
          // Filtered: the event's name and transaction, without its payload.
          const full = peer.ChaincodeEvent.deserializeBinary(events)
          const event = new peer.ChaincodeEvent()
          event.setChaincodeId(full.getChaincodeId())
          event.setTxId(full.getTxId())
          event.setEventName(full.getEventName())
          const action = new peer.FilteredChaincodeAction()
          action.setChaincodeEvent(event)
          const actions = new peer.FilteredTransactionActions()
          actions.setChaincodeActionsList([action])
          ft.setTransactionActions(actions)
        }
        return ft
      }),
  )
  return fb
}
