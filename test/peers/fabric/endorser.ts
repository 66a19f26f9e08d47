/**
 * The endorsing peer's side of a proposal (docs/wire/ledger.md §1.5), after Fabric's `core/endorser`:
 *
 * - `unpack`: SignedProposal → Proposal → Header (channel and signature headers) → ChaincodeHeaderExtension →
 *   ChaincodeProposalPayload → ChaincodeInvocationSpec; `args[0]` is the function. The proposal hash covers the
 *   channel header, the signature header and the payload without its transient map.
 * - `validate`: header type, epoch 0, nonce, creator, the transaction id recomputed as SHA-256(nonce ‖ creator), then
 *   the creator and its signature (msp.ts); every refusal is prefixed "error validating proposal: " as the endorser
 *   wraps it. A transaction id already on the ledger is refused ("duplicate transaction found").
 * - `simulate`: runs the chaincode on committed state, recording reads with their versions and the writes.
 * - `endorse`: the ProposalResponsePayload and the peer's endorsement (a signature over payload ‖ endorser); and the
 *   prepared transaction envelope the Gateway returns from Endorse, unsigned (the client signs it).
 */
import { createHash } from 'node:crypto'
import { common, ledger, peer } from '@hyperledger/fabric-protos'
import type { BlockStore } from './block-store'
import type { ChannelMsp, SigningIdentity } from './msp'
import { invokeQscc } from './qscc'
import { invokeWatsonContract, type ChaincodeResponse } from './watson-contract'

export interface Unpacked {
  signed: peer.SignedProposal
  header: common.Header
  channelHeader: common.ChannelHeader
  signatureHeader: common.SignatureHeader
  chaincode: string
  fn: string
  args: string[]
  /** The payload without its transient data, as the transaction carries it. */
  payloadBytes: Uint8Array
  proposalHash: Buffer
}

export function unpack(signed: peer.SignedProposal): Unpacked {
  const proposal = peer.Proposal.deserializeBinary(signed.getProposalBytes_asU8())
  const header = common.Header.deserializeBinary(proposal.getHeader_asU8())
  const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8())
  const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8())
  const extension = peer.ChaincodeHeaderExtension.deserializeBinary(channelHeader.getExtension_asU8())
  const chaincode = extension.getChaincodeId()?.getName()
  if (!chaincode) throw new Error('ChaincodeHeaderExtension.ChaincodeId.Name is empty')
  const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8())
  const spec = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8()).getChaincodeSpec()
  if (!spec) throw new Error('chaincode invocation spec did not contain chaincode spec')
  const input = spec.getInput()
  if (!input) throw new Error('chaincode input did not contain any input')
  const withoutTransient = new peer.ChaincodeProposalPayload()
  withoutTransient.setInput(payload.getInput_asU8())
  const payloadBytes = withoutTransient.serializeBinary()
  const [fn, ...args] = input.getArgsList_asU8().map((a) => Buffer.from(a).toString('utf8'))
  const proposalHash = createHash('sha256').update(header.getChannelHeader_asU8()).update(header.getSignatureHeader_asU8()).update(payloadBytes).digest()
  return { signed, header, channelHeader, signatureHeader, chaincode, fn: fn ?? '', args, payloadBytes, proposalHash }
}

/** Why the endorser refuses the proposal, or null. */
export function validate(up: Unpacked, msp: ChannelMsp, store: BlockStore): string | null {
  const refuse = (why: string) => `error validating proposal: ${why}`
  const ch = up.channelHeader
  if (ch.getType() !== common.HeaderType.ENDORSER_TRANSACTION && ch.getType() !== common.HeaderType.CONFIG) return refuse(`invalid header type ${ch.getType()}`)
  if (ch.getEpoch() !== 0) return refuse('epoch is non-zero')
  const nonce = up.signatureHeader.getNonce_asU8()
  const creator = up.signatureHeader.getCreator_asU8()
  if (nonce.length === 0) return refuse('nonce is empty')
  if (creator.length === 0) return refuse('creator is empty')
  const expected = createHash('sha256').update(nonce).update(creator).digest('hex')
  if (ch.getTxId() !== expected) return refuse(`incorrectly computed txid '${ch.getTxId()}' -- expected '${expected}'`)
  if (up.signed.getSignature_asU8().length === 0) return refuse('empty signature bytes')
  const verdict = msp.check(creator, up.signed.getProposalBytes_asU8(), up.signed.getSignature_asU8())
  if (!verdict.ok) return refuse(verdict.message)
  if (store.tx(ch.getTxId())) return `duplicate transaction found [${ch.getTxId()}]. Creator [${Buffer.from(creator).toString('hex')}]`
  return null
}

export interface Simulation {
  response: ChaincodeResponse
  reads: Map<string, { block: number; tx: number } | null>
  writes: Map<string, Buffer>
  event: peer.ChaincodeEvent | null
}

export function simulate(up: Unpacked, store: BlockStore): Simulation {
  const reads: Simulation['reads'] = new Map()
  const writes: Simulation['writes'] = new Map()
  let event: peer.ChaincodeEvent | null = null
  if (up.chaincode === 'qscc') return { response: invokeQscc(up.fn, up.args, store), reads, writes, event }
  const response = invokeWatsonContract(up.fn, up.args, {
    getState(key) {
      const stored = store.get(up.chaincode, key)
      reads.set(key, stored?.version ?? null)
      return stored?.value ?? null
    },
    putState: (key, value) => writes.set(key, value),
    setEvent(name, payload) {
      event = new peer.ChaincodeEvent()
      event.setChaincodeId(up.chaincode)
      event.setTxId(up.channelHeader.getTxId())
      event.setEventName(name)
      event.setPayload(payload)
    },
  })
  return { response, reads, writes, event }
}

function readWriteSet(namespace: string, sim: Simulation): Uint8Array {
  const kv = new ledger.rwset.kvrwset.KVRWSet()
  kv.setReadsList(
    [...sim.reads].map(([key, version]) => {
      const read = new ledger.rwset.kvrwset.KVRead()
      read.setKey(key)
      if (version) {
        const v = new ledger.rwset.kvrwset.Version()
        v.setBlockNum(version.block)
        v.setTxNum(version.tx)
        read.setVersion(v)
      }
      return read
    }),
  )
  kv.setWritesList(
    [...sim.writes].map(([key, value]) => {
      const write = new ledger.rwset.kvrwset.KVWrite()
      write.setKey(key)
      write.setValue(value)
      return write
    }),
  )
  const ns = new ledger.rwset.NsReadWriteSet()
  ns.setNamespace(namespace)
  ns.setRwset(kv.serializeBinary())
  const tx = new ledger.rwset.TxReadWriteSet()
  tx.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV)
  tx.setNsRwsetList([ns])
  return tx.serializeBinary()
}

/** The proposal response payload and this peer's endorsement of it. */
export function endorse(up: Unpacked, sim: Simulation, identity: SigningIdentity): { payload: Uint8Array; endorsement: peer.Endorsement } {
  const response = new peer.Response()
  response.setStatus(sim.response.status)
  response.setMessage(sim.response.message)
  response.setPayload(sim.response.payload)
  const id = new peer.ChaincodeID()
  id.setName(up.chaincode)
  id.setVersion('1.0')
  const action = new peer.ChaincodeAction()
  action.setResults(readWriteSet(up.chaincode, sim))
  if (sim.event) action.setEvents(sim.event.serializeBinary())
  action.setResponse(response)
  action.setChaincodeId(id)
  const prp = new peer.ProposalResponsePayload()
  prp.setProposalHash(up.proposalHash)
  prp.setExtension$(action.serializeBinary())
  const payload = prp.serializeBinary()
  const endorsement = new peer.Endorsement()
  endorsement.setEndorser(identity.bytes)
  endorsement.setSignature(identity.sign(Buffer.concat([payload, identity.bytes])))
  return { payload, endorsement }
}

/** The Gateway's `prepareTransaction`: Payload{proposal header, Transaction{one action}}, not yet signed. */
export function preparedTransaction(up: Unpacked, payload: Uint8Array, endorsements: peer.Endorsement[]): common.Envelope {
  const endorsed = new peer.ChaincodeEndorsedAction()
  endorsed.setProposalResponsePayload(payload)
  endorsed.setEndorsementsList(endorsements)
  const actionPayload = new peer.ChaincodeActionPayload()
  actionPayload.setChaincodeProposalPayload(up.payloadBytes)
  actionPayload.setAction(endorsed)
  const action = new peer.TransactionAction()
  action.setHeader(up.header.getSignatureHeader_asU8())
  action.setPayload(actionPayload.serializeBinary())
  const tx = new peer.Transaction()
  tx.setActionsList([action])
  const body = new common.Payload()
  body.setHeader(up.header)
  body.setData(tx.serializeBinary())
  const envelope = new common.Envelope()
  envelope.setPayload(body.serializeBinary())
  return envelope
}
