/**
 * The query system chaincode `qscc` as Fabric's `core/scc/qscc/query.go` answers it (docs/wire/ledger.md §1.4): the
 * channel is the first argument; blocks, chain info and processed transactions come back as serialized protobuf; a
 * miss is a chaincode error (status 500) with query.go's texts. The ledger's own "not found" text is Fabric 2.x's
 * `blkstorage` one ("Entry not found in index"); older peers said "no such transaction ID [id] in index".
 */
import { peer } from '@hyperledger/fabric-protos'
import type { BlockStore } from './block-store'
import type { ChaincodeResponse } from './watson-contract'

const ok = (payload: Uint8Array): ChaincodeResponse => ({ status: 200, message: '', payload: Buffer.from(payload) })
const error = (message: string): ChaincodeResponse => ({ status: 500, message, payload: Buffer.alloc(0) })
const NOT_FOUND = 'Entry not found in index'

export function invokeQscc(fn: string, args: string[], store: BlockStore): ChaincodeResponse {
  if (args.length < 1) return error(`Incorrect number of arguments, ${args.length + 1}`)
  const [cid, third] = args as [string, string | undefined]
  if (fn !== 'GetChainInfo' && third === undefined) return error(`missing 3rd argument for ${fn}`)
  if (cid !== store.channel) return error(`Invalid chain ID, ${cid}`)
  switch (fn) {
    case 'GetChainInfo':
      return ok(store.info().serializeBinary())
    case 'GetBlockByNumber': {
      if (!/^\d+$/.test(third!)) return error(`Failed to parse block number with error strconv.ParseUint: parsing ${JSON.stringify(third)}: invalid syntax`)
      const block = store.blocks[Number(third)]
      return block ? ok(block.serializeBinary()) : error(`Failed to get block number ${third}, error ${NOT_FOUND}`)
    }
    case 'GetTransactionByID': {
      const at = store.tx(third!)
      if (!at) return error(`Failed to get transaction with id ${third}, error ${NOT_FOUND}`)
      const processed = new peer.ProcessedTransaction()
      processed.setTransactionenvelope(store.envelope(at))
      processed.setValidationcode(at.code)
      return ok(processed.serializeBinary())
    }
    case 'GetBlockByTxID': {
      const at = store.tx(third!)
      return at ? ok(store.blocks[at.block]!.serializeBinary()) : error(`Failed to get block for txID ${third}, error ${NOT_FOUND}`)
    }
    default:
      return error(`Requested function ${fn} not found.`)
  }
}
