/**
 * The two protobuf messages the peer writes whose classes fabric-protos does not export: `google.rpc.Status` with
 * `gateway.ErrorDetail` entries (the `grpc-status-details-bin` trailer the Gateway attaches to its errors,
 * docs/wire/ledger.md §1.1) and `google.protobuf.Timestamp`. Encoded field by field (varints and length-delimited
 * fields only).
 */
import { common, gateway } from '@hyperledger/fabric-protos'

function varint(n: number): Buffer {
  const out: number[] = []
  let v = BigInt(n)
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) byte |= 0x80
    out.push(byte)
  } while (v > 0n)
  return Buffer.from(out)
}

const field = (number: number, wire: 0 | 2) => varint((number << 3) | wire)
const int = (number: number, value: number) => (value === 0 ? Buffer.alloc(0) : Buffer.concat([field(number, 0), varint(value)]))
const bytes = (number: number, value: Uint8Array) => Buffer.concat([field(number, 2), varint(value.length), Buffer.from(value)])

/** google.rpc.Status{code, message, details: [Any{type_url, value: gateway.ErrorDetail}]}. */
export function statusDetails(code: number, message: string, details: gateway.ErrorDetail[]): Buffer {
  const any = (d: gateway.ErrorDetail) => Buffer.concat([bytes(1, Buffer.from('type.googleapis.com/gateway.ErrorDetail')), bytes(2, d.serializeBinary())])
  return Buffer.concat([int(1, code), bytes(2, Buffer.from(message)), ...details.map((d) => bytes(3, any(d)))])
}

/** A channel header carrying `date` as its google.protobuf.Timestamp (field 3). */
export function channelHeaderAt(date: Date): common.ChannelHeader {
  const ms = date.getTime()
  const timestamp = Buffer.concat([int(1, Math.floor(ms / 1000)), int(2, (ms % 1000) * 1_000_000)])
  return common.ChannelHeader.deserializeBinary(bytes(3, timestamp))
}
