/**
 * The committing peer's validation of an ordered block, one transaction after the other (docs/wire/ledger.md §1.2,
 * §1.5), with Fabric's validation codes:
 *
 * - an envelope that does not parse, or is not an endorser transaction: BAD_PAYLOAD / UNKNOWN_TX_TYPE;
 * - a creator that is not a member or whose signature over the payload does not verify: BAD_CREATOR_SIGNATURE;
 * - a transaction id already on the ledger or earlier in the block: DUPLICATE_TXID (changes nothing);
 * - a proposal response that is not for this proposal: BAD_RESPONSE_PAYLOAD [I: Fabric's check of the hash];
 * - no valid endorsement by a member of the peer's organisation (the stub's one endorsement policy): ENDORSEMENT_POLICY_FAILURE;
 * - a key read at a version another transaction has since changed (earlier in this block included): MVCC_READ_CONFLICT;
 * - otherwise VALID, and its writes are applied with the version (block, position).
 */
import { createHash } from 'node:crypto'
import { common, ledger, peer } from '@hyperledger/fabric-protos'
import type { BlockStore } from './block-store'
import type { ChannelMsp } from './msp'

const CODE = peer.TxValidationCode

interface Verdict {
  code: number
  txId: string | null
  writes: { namespace: string; key: string; value: Buffer }[]
}

function sameVersion(read: ledger.rwset.kvrwset.KVRead, current: { block: number; tx: number } | undefined): boolean {
  const v = read.getVersion()
  if (!v) return current === undefined
  return current !== undefined && current.block === v.getBlockNum() && current.tx === v.getTxNum()
}

function check(bytes: Uint8Array, store: BlockStore, msp: ChannelMsp, peerMsp: string, seen: Set<string>): Verdict {
  const fail = (code: number, txId: string | null = null): Verdict => ({ code, txId, writes: [] })
  let payload: common.Payload
  let channelHeader: common.ChannelHeader
  let envelope: common.Envelope
  try {
    envelope = common.Envelope.deserializeBinary(bytes)
    payload = common.Payload.deserializeBinary(envelope.getPayload_asU8())
    channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8())
  } catch {
    return fail(CODE.BAD_PAYLOAD)
  }
  const txId = channelHeader.getTxId()
  if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return fail(CODE.UNKNOWN_TX_TYPE, txId)
  const signatureHeader = common.SignatureHeader.deserializeBinary(payload.getHeader()!.getSignatureHeader_asU8())
  if (!msp.check(signatureHeader.getCreator_asU8(), envelope.getPayload_asU8(), envelope.getSignature_asU8()).ok) return fail(CODE.BAD_CREATOR_SIGNATURE, txId)
  if (seen.has(txId) || store.tx(txId)) return fail(CODE.DUPLICATE_TXID, txId)
  seen.add(txId)
  const action = peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()[0]
  if (!action) return fail(CODE.NIL_TXACTION, txId)
  const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8())
  const endorsed = actionPayload.getAction()
  if (!endorsed) return fail(CODE.INVALID_ENDORSER_TRANSACTION, txId)
  const prpBytes = endorsed.getProposalResponsePayload_asU8()
  const prp = peer.ProposalResponsePayload.deserializeBinary(prpBytes)
  const header = payload.getHeader()!
  const hash = createHash('sha256').update(header.getChannelHeader_asU8()).update(header.getSignatureHeader_asU8()).update(actionPayload.getChaincodeProposalPayload_asU8()).digest()
  if (!hash.equals(Buffer.from(prp.getProposalHash_asU8()))) return fail(CODE.BAD_RESPONSE_PAYLOAD, txId)
  const endorsedByOrg = endorsed.getEndorsementsList().some((e) => {
    const verdict = msp.check(e.getEndorser_asU8(), Buffer.concat([prpBytes, e.getEndorser_asU8()]), e.getSignature_asU8())
    return verdict.ok && verdict.mspId === peerMsp
  })
  if (!endorsedByOrg) return fail(CODE.ENDORSEMENT_POLICY_FAILURE, txId)
  const ccAction = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8())
  const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(ccAction.getResults_asU8())
  const writes: Verdict['writes'] = []
  for (const ns of rwset.getNsRwsetList()) {
    const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8())
    if (kv.getReadsList().some((r) => !sameVersion(r, store.get(ns.getNamespace(), r.getKey())?.version))) return fail(CODE.MVCC_READ_CONFLICT, txId)
    for (const w of kv.getWritesList()) writes.push({ namespace: ns.getNamespace(), key: w.getKey(), value: Buffer.from(w.getValue_asU8()) })
  }
  return { code: CODE.VALID, txId, writes }
}

/** Validates `envelopes` in order and appends them as the next block. */
export function commitBlock(envelopes: Uint8Array[], store: BlockStore, msp: ChannelMsp, peerMsp: string): common.Block {
  const number = store.height
  const seen = new Set<string>()
  const codes: number[] = []
  const txIds: (string | null)[] = []
  envelopes.forEach((bytes, index) => {
    const verdict = check(bytes, store, msp, peerMsp, seen)
    codes.push(verdict.code)
    txIds.push(verdict.txId)
    // Applied at once, so that a later transaction of the same block that read the old version conflicts.
    for (const w of verdict.writes) store.put(w.namespace, w.key, w.value, { block: number, tx: index })
  })
  return store.append(envelopes, codes, txIds)
}
