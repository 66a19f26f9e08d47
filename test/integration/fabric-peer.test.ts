/**
 * The Fabric test peer driven by the official client, @hyperledger/fabric-gateway (docs/wire/ledger.md §1.5): what
 * the client sends, the peer parses and checks; what the peer answers, the client parses. A real Fabric network is
 * not run here (none can be installed on the build machines, §1.5): this checks the wire and protobuf contract and the
 * refusals as the Gateway words them, not Fabric itself.
 */
import { createPrivateKey } from 'node:crypto'
import * as grpc from '@grpc/grpc-js'
import { checkpointers, connect, GatewayError, hash, signers, type Gateway, type Identity, type Signer } from '@hyperledger/fabric-gateway'
import { common, gateway, peer } from '@hyperledger/fabric-protos'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { missingService } from '../helpers/system'
import { startFabricPeer, type FabricPeer } from '../peers/fabric/fabric.peer'
import { makeFabricPki, opensslMissing, type FabricPki } from '../peers/fabric/pki'

const skip = missingService('openssl', opensslMissing())
const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8')

describe.skipIf(skip)('the Fabric test peer against fabric-gateway', () => {
  let pki: FabricPki
  let fabric: FabricPeer
  let client: grpc.Client
  const gateways: Gateway[] = []

  beforeAll(async () => {
    pki = await makeFabricPki()
    fabric = await startFabricPeer({ pki })
    client = new grpc.Client(fabric.endpoint, grpc.credentials.createSsl(Buffer.from(pki.tlsCa)))
  })
  afterAll(async () => {
    for (const g of gateways) g.close()
    client?.close()
    await fabric?.close()
    await pki?.cleanup()
  })

  function gatewayAs(identity: Identity, signer: Signer, options: { client?: grpc.Client } = {}): Gateway {
    const g = connect({ client: options.client ?? client, identity, signer, hash: hash.sha256, evaluateOptions: () => ({ deadline: Date.now() + 10_000 }) })
    gateways.push(g)
    return g
  }
  const user = () => gatewayAs({ mspId: 'Org1MSP', credentials: Buffer.from(pki.user.cert) }, signers.newPrivateKeySigner(createPrivateKey(pki.user.key)))
  const contract = (g = user()) => g.getNetwork('mychannel').getContract('iotcontract')
  const qscc = (g = user()) => g.getNetwork('mychannel').getContract('qscc')

  async function refusal(p: Promise<unknown>): Promise<GatewayError> {
    const e = await p.then(
      () => null,
      (x: unknown) => x,
    )
    expect(e).toBeInstanceOf(GatewayError)
    return e as GatewayError
  }

  it('serves only over TLS with its own certificate', async () => {
    const plain = new grpc.Client(fabric.endpoint, grpc.credentials.createInsecure())
    const otherCa = new grpc.Client(fabric.endpoint, grpc.credentials.createSsl(Buffer.from(pki.orgCa)))
    try {
      for (const c of [plain, otherCa]) {
        const e = await refusal(
          contract(gatewayAs({ mspId: 'Org1MSP', credentials: Buffer.from(pki.user.cert) }, signers.newPrivateKeySigner(createPrivateKey(pki.user.key)), { client: c })).evaluateTransaction(
            'readAssetSchemas',
          ),
        )
        expect(e.code).toBe(grpc.status.UNAVAILABLE)
      }
    } finally {
      plain.close()
      otherCa.close()
    }
  })

  it('evaluates, endorses, orders and commits a Watson call with one JSON-string argument', async () => {
    const c = contract()
    expect(Object.keys(JSON.parse(utf8(await c.evaluateTransaction('readAssetSchemas'))) as object)).toEqual(['updateAsset', 'readAsset', 'updateTemperature'])
    const result = await c.submitTransaction('updateAsset', JSON.stringify({ assetID: 'C-1', temperature: 21.5, carrier: 'jasper' }))
    expect(JSON.parse(utf8(result))).toEqual({ assetID: 'C-1', temperature: 21.5, carrier: 'jasper' })
    await c.submitTransaction('updateTemperature', 'C-1', '22.25')
    expect(JSON.parse(utf8(await c.evaluateTransaction('readAsset', JSON.stringify({ assetID: 'C-1' }))))).toEqual({ assetID: 'C-1', temperature: 22.25, carrier: 'jasper' })
    const commit = await c.submitAsync('updateAsset', { arguments: [JSON.stringify({ assetID: 'C-2' })] })
    const status = await commit.getStatus()
    expect(status).toMatchObject({ successful: true, code: peer.TxValidationCode.VALID, transactionId: commit.getTransactionId() })
    expect(status.blockNumber).toBeGreaterThan(0n)
  })

  it('refuses what the Gateway refuses, with its status codes, messages and error details', async () => {
    const c = contract()
    const chaincode = await refusal(c.evaluateTransaction('updateAsset', '{"temperature": 3}'))
    expect(chaincode).toMatchObject({ code: grpc.status.UNKNOWN, details: [{ mspId: 'Org1MSP', message: 'chaincode response 500, assetID is mandatory' }] })
    expect(chaincode.message).toContain('evaluate call to endorser returned error: chaincode response 500, assetID is mandatory')
    const endorse = await refusal(c.submitTransaction('updateAsset', 'not json'))
    expect(endorse).toMatchObject({ name: 'EndorseError', code: grpc.status.ABORTED })
    expect(endorse.message).toContain('failed to endorse transaction, see attached details for more info')
    expect(endorse.details[0]?.message).toMatch(/^chaincode response 500, Invalid JSON/)
    const unknown = await refusal(user().getNetwork('mychannel').getContract('nosuchcc').evaluateTransaction('f'))
    expect(unknown).toMatchObject({ code: grpc.status.FAILED_PRECONDITION })
    expect(unknown.message).toContain('no peers available to evaluate chaincode nosuchcc in channel mychannel')

    // A key that is not the certificate's, a certificate the channel's MSP did not issue, an MSP the channel lacks.
    const wrongKey = gatewayAs({ mspId: 'Org1MSP', credentials: Buffer.from(pki.user.cert) }, signers.newPrivateKeySigner(createPrivateKey(pki.stranger.key)))
    const stranger = gatewayAs({ mspId: 'Org1MSP', credentials: Buffer.from(pki.stranger.cert) }, signers.newPrivateKeySigner(createPrivateKey(pki.stranger.key)))
    const otherMsp = gatewayAs({ mspId: 'Org2MSP', credentials: Buffer.from(pki.user.cert) }, signers.newPrivateKeySigner(createPrivateKey(pki.user.key)))
    for (const [g, text] of [
      [wrongKey, 'access denied: channel [mychannel] creator org [Org1MSP]'],
      [stranger, 'access denied: channel [mychannel] creator org [Org1MSP]'],
      [otherMsp, 'access denied: channel [mychannel] creator org unknown, creator is malformed'],
    ] as const) {
      const evaluated = await refusal(contract(g).evaluateTransaction('readAssetSchemas'))
      expect(evaluated).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: [{ message: `error validating proposal: ${text}` }] })
      const endorsed = await refusal(contract(g).submitTransaction('updateAsset', '{"assetID": "X"}'))
      expect(endorsed).toMatchObject({ code: grpc.status.ABORTED, details: [{ message: `error validating proposal: ${text}` }] })
    }
  })

  it('refuses an unsigned transaction, and one signed by a key that is not the creator’s, at Submit', async () => {
    const tx = await contract()
      .newProposal('updateAsset', { arguments: [JSON.stringify({ assetID: 'S-1' })] })
      .endorse()
    const unsigned = gatewayAs({ mspId: 'Org1MSP', credentials: Buffer.from(pki.user.cert) }, async () => new Uint8Array())
    const e1 = await refusal(unsigned.newTransaction(tx.getBytes()).submit())
    expect(e1).toMatchObject({ name: 'SubmitError', code: grpc.status.INVALID_ARGUMENT })
    expect(e1.message).toContain('prepared transaction must be signed')
    const forger = gatewayAs({ mspId: 'Org1MSP', credentials: Buffer.from(pki.user.cert) }, signers.newPrivateKeySigner(createPrivateKey(pki.stranger.key)))
    const e2 = await refusal(forger.newTransaction(tx.getBytes()).submit())
    expect(e2).toMatchObject({ code: grpc.status.ABORTED })
    expect(e2.message).toContain('received unsuccessful response from orderer: status=FORBIDDEN')
    expect(fabric.store.tx(tx.getTransactionId())).toBeUndefined()
  })

  it('marks a stale read MVCC_READ_CONFLICT and a repeated transaction DUPLICATE_TXID, changing nothing', async () => {
    const c = contract()
    const first = await c.newProposal('updateAsset', { arguments: [JSON.stringify({ assetID: 'M-1', temperature: 1 })] }).endorse()
    const second = await c.newProposal('updateAsset', { arguments: [JSON.stringify({ assetID: 'M-1', temperature: 2 })] }).endorse()
    const [a, b] = [await first.submit(), await second.submit()]
    expect(await a.getStatus()).toMatchObject({ successful: true })
    expect(await b.getStatus()).toMatchObject({ successful: false, code: peer.TxValidationCode.MVCC_READ_CONFLICT })
    expect(JSON.parse(utf8(await c.evaluateTransaction('readAsset', '{"assetID": "M-1"}')))).toMatchObject({ temperature: 1 })

    const before = fabric.validInvocations('updateAsset')
    const again = await user().newTransaction(first.getBytes()).submit()
    // The status of a transaction id is its first commit's; the repeat sits in a later block as DUPLICATE_TXID.
    const status = await again.getStatus()
    expect(status).toMatchObject({ successful: true, blockNumber: (await a.getStatus()).blockNumber })
    await expect.poll(() => fabric.store.height, { timeout: 5000 }).toBeGreaterThan(Number(status.blockNumber) + 1)
    const codes = fabric.store.blocks.flatMap((block) => [...block.getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER]!])
    expect(codes).toContain(peer.TxValidationCode.DUPLICATE_TXID)
    expect(fabric.validInvocations('updateAsset')).toBe(before)
  })

  it('waits in CommitStatus until the transaction commits, and checks who asks', async () => {
    fabric.holdBlocks()
    const commit = await contract().submitAsync('updateAsset', { arguments: [JSON.stringify({ assetID: 'W-1' })] })
    const waited = await refusal(commit.getStatus({ deadline: Date.now() + 300 }))
    expect(waited.code).toBe(grpc.status.DEADLINE_EXCEEDED)
    const later = commit.getStatus()
    fabric.releaseBlocks()
    expect(await later).toMatchObject({ successful: true })
    // The same request (it names the user) signed again with a key that is not the user's.
    const request = gateway.SignedCommitStatusRequest.deserializeBinary(commit.getBytes())
    request.setSignature(new Uint8Array())
    const forger = gatewayAs({ mspId: 'Org1MSP', credentials: Buffer.from(pki.user.cert) }, signers.newPrivateKeySigner(createPrivateKey(pki.stranger.key)))
    const denied = await refusal(forger.newCommit(request.serializeBinary()).getStatus())
    expect(denied.code).toBe(grpc.status.PERMISSION_DENIED)
  })

  it('streams chaincode events of valid transactions only, and resumes after a checkpoint', async () => {
    const c = contract()
    const start = BigInt(fabric.store.height)
    for (const n of [1, 2, 3, 4]) await c.submitTransaction('updateAsset', JSON.stringify({ assetID: `E-${n}` }))
    // An invalid transaction in between emits nothing.
    const x = await c.newProposal('updateAsset', { arguments: ['{"assetID": "E-1", "temperature": 9}'] }).endorse()
    const y = await c.newProposal('updateAsset', { arguments: ['{"assetID": "E-1", "temperature": 8}'] }).endorse()
    await (await x.submit()).getStatus()
    expect((await (await y.submit()).getStatus()).code).toBe(peer.TxValidationCode.MVCC_READ_CONFLICT)
    await c.submitTransaction('updateAsset', JSON.stringify({ assetID: 'E-5' }))

    const checkpointer = checkpointers.inMemory()
    const seen: string[] = []
    const read = async (n: number) => {
      const events = await user().getNetwork('mychannel').getChaincodeEvents('iotcontract', { startBlock: start, checkpoint: checkpointer })
      try {
        for await (const e of events) {
          seen.push(`${e.eventName}:${(JSON.parse(utf8(e.payload)) as { assetID: string; temperature?: number }).assetID}`)
          await checkpointer.checkpointChaincodeEvent(e)
          if (--n === 0) break
        }
      } finally {
        events.close()
      }
    }
    await read(2)
    await read(4)
    expect(seen).toEqual(['assetUpdated:E-1', 'assetUpdated:E-2', 'assetUpdated:E-3', 'assetUpdated:E-4', 'assetUpdated:E-1', 'assetUpdated:E-5'])
  })

  it('delivers blocks and filtered blocks, and answers the monitoring reads of qscc', async () => {
    const g = user()
    const tx = await contract(g).submitAsync('updateAsset', { arguments: ['{"assetID": "Q-1"}'] })
    const { blockNumber } = await tx.getStatus()
    const blocks = await g.getNetwork('mychannel').getBlockEvents({ startBlock: blockNumber })
    for await (const block of blocks) {
      expect(block.getHeader()!.getNumber()).toBe(Number(blockNumber))
      break
    }
    blocks.close()
    const filtered = await g.getNetwork('mychannel').getFilteredBlockEvents({ startBlock: blockNumber })
    for await (const block of filtered) {
      const t = block.getFilteredTransactionsList().find((f) => f.getTxid() === tx.getTransactionId())!
      const event = t.getTransactionActions()!.getChaincodeActionsList()[0]!.getChaincodeEvent()!
      expect([event.getEventName(), event.getPayload_asU8().length]).toEqual(['assetUpdated', 0])
      break
    }
    filtered.close()

    const info = common.BlockchainInfo.deserializeBinary(await qscc(g).evaluateTransaction('GetChainInfo', 'mychannel'))
    expect(info.getHeight()).toBe(fabric.store.height)
    const block = common.Block.deserializeBinary(await qscc(g).evaluateTransaction('GetBlockByNumber', 'mychannel', String(blockNumber)))
    expect(block.getHeader()!.getNumber()).toBe(Number(blockNumber))
    const processed = peer.ProcessedTransaction.deserializeBinary(await qscc(g).evaluateTransaction('GetTransactionByID', 'mychannel', tx.getTransactionId()))
    expect(processed.getValidationcode()).toBe(peer.TxValidationCode.VALID)
    const missing = await refusal(qscc(g).evaluateTransaction('GetTransactionByID', 'mychannel', 'f'.repeat(64)))
    expect(missing.details[0]?.message).toBe(`chaincode response 500, Failed to get transaction with id ${'f'.repeat(64)}, error Entry not found in index`)
  })
})
