/**
 * The channel's ledger as a peer keeps it: blocks in order (block 0 holds the channel's configuration), the
 * transaction-id index, and the world state with each key's version (the block and transaction that wrote it).
 *
 * - Block header hashes as Fabric computes them (`protoutil.BlockHeaderHash`: SHA-256 of the ASN.1 DER sequence of
 *   number, previous hash and data hash); the data hash is SHA-256 over the envelopes in order.
 * - The transaction-id index keeps every occurrence and answers with the first (`blkstorage/blockindex.go` keys it by
 *   id, block and position and reads the lowest): a repeat marked DUPLICATE_TXID never hides the original.
 * - Metadata slot TRANSACTIONS_FILTER holds one validation code per envelope.
 */
import { createHash } from 'node:crypto'
import { common } from '@hyperledger/fabric-protos'
import { channelHeaderAt } from './proto-wire'

export interface TxLocation {
  block: number
  index: number
  code: number
}

export interface Versioned {
  value: Buffer
  version: { block: number; tx: number }
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes = Buffer.from(n.toString(16).padStart(n > 0xff ? 4 : 2, '0'), 'hex')
  return Buffer.concat([Buffer.from([0x80 | bytes.length]), bytes])
}

function der(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body])
}

function derUnsigned(n: number): Buffer {
  let hex = n.toString(16)
  if (hex.length % 2) hex = `0${hex}`
  let bytes = Buffer.from(hex, 'hex')
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes])
  return der(0x02, bytes)
}

export function headerHash(header: common.BlockHeader): Buffer {
  const body = Buffer.concat([derUnsigned(header.getNumber()), der(0x04, Buffer.from(header.getPreviousHash_asU8())), der(0x04, Buffer.from(header.getDataHash_asU8()))])
  return createHash('sha256').update(der(0x30, body)).digest()
}

export class BlockStore {
  readonly blocks: common.Block[] = []
  readonly #txIndex = new Map<string, TxLocation>()
  readonly #state = new Map<string, Versioned>()
  readonly #listeners = new Set<(block: common.Block) => void>()

  constructor(readonly channel: string) {
    this.append([genesisEnvelope(channel)], [0])
  }

  get height(): number {
    return this.blocks.length
  }

  tx(txId: string): TxLocation | undefined {
    return this.#txIndex.get(txId)
  }

  envelope(location: Pick<TxLocation, 'block' | 'index'>): common.Envelope {
    return common.Envelope.deserializeBinary(this.blocks[location.block]!.getData()!.getDataList_asU8()[location.index]!)
  }

  get(namespace: string, key: string): Versioned | undefined {
    return this.#state.get(`${namespace}\u0000${key}`)
  }

  put(namespace: string, key: string, value: Buffer, version: Versioned['version']): void {
    this.#state.set(`${namespace}\u0000${key}`, { value, version })
  }

  /** Appends a block of `envelopes` with their validation codes; `txIds` index them (first occurrence wins). */
  append(envelopes: Uint8Array[], codes: number[], txIds: (string | null)[] = []): common.Block {
    const number = this.blocks.length
    const data = new common.BlockData()
    data.setDataList(envelopes)
    const header = new common.BlockHeader()
    header.setNumber(number)
    header.setPreviousHash(number === 0 ? new Uint8Array() : headerHash(this.blocks[number - 1]!.getHeader()!))
    header.setDataHash(
      createHash('sha256')
        .update(Buffer.concat(envelopes.map((e) => Buffer.from(e))))
        .digest(),
    )
    const metadata = new common.BlockMetadata()
    const empty = new common.Metadata().serializeBinary()
    metadata.setMetadataList([empty, empty, Uint8Array.from(codes), empty, empty])
    const block = new common.Block()
    block.setHeader(header)
    block.setData(data)
    block.setMetadata(metadata)
    this.blocks.push(block)
    txIds.forEach((id, index) => {
      if (id && !this.#txIndex.has(id)) this.#txIndex.set(id, { block: number, index, code: codes[index]! })
    })
    for (const listener of [...this.#listeners]) listener(block)
    return block
  }

  /** Calls `listener` with every block appended from now on, until the returned function is called. */
  onBlock(listener: (block: common.Block) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  info(): common.BlockchainInfo {
    const info = new common.BlockchainInfo()
    info.setHeight(this.height)
    info.setCurrentblockhash(headerHash(this.blocks.at(-1)!.getHeader()!))
    info.setPreviousblockhash(this.height > 1 ? headerHash(this.blocks.at(-2)!.getHeader()!) : new Uint8Array())
    return info
  }
}

/** Block 0: the channel's configuration transaction [I: its ConfigEnvelope is left empty; nothing here reads it]. */
function genesisEnvelope(channel: string): Uint8Array {
  const channelHeader = channelHeaderAt(new Date())
  channelHeader.setType(common.HeaderType.CONFIG)
  channelHeader.setChannelId(channel)
  const header = new common.Header()
  header.setChannelHeader(channelHeader.serializeBinary())
  header.setSignatureHeader(new common.SignatureHeader().serializeBinary())
  const payload = new common.Payload()
  payload.setHeader(header)
  payload.setData(new common.ConfigEnvelope().serializeBinary())
  const envelope = new common.Envelope()
  envelope.setPayload(payload.serializeBinary())
  return envelope.serializeBinary()
}
