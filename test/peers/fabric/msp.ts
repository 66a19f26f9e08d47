/**
 * The peer's membership service: who a creator is and whether it signed. As Fabric checks a proposal
 * (`core/endorser/msgvalidation.go` `Validate`, docs/wire/ledger.md §1.5): the creator is a `msp.SerializedIdentity`
 * (MSP id and PEM certificate); an MSP the channel does not know is "creator org unknown, creator is malformed"; a
 * certificate its root CA did not issue, or one out of its validity, and a signature that does not verify are the
 * same generic "access denied" naming the org, so a caller learns nothing about which check failed. Signatures are
 * ECDSA P-256 over SHA-256 in DER, with a low S (Fabric's bccsp refuses a high one).
 */
import { createPrivateKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto'
import { msp } from '@hyperledger/fabric-protos'
import type { Identity } from './pki'

/** The order of the P-256 group. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
const HALF_N = N >> 1n

/** The (r, s) of a DER ECDSA signature, or null when it is not one. */
function derSignature(sig: Uint8Array): { r: bigint; s: bigint } | null {
  const b = Buffer.from(sig)
  if (b.length < 8 || b[0] !== 0x30 || b[1] !== b.length - 2) return null
  let at = 2
  const integer = (): bigint | null => {
    if (b[at] !== 0x02) return null
    const len = b[at + 1]!
    const bytes = b.subarray(at + 2, at + 2 + len)
    if (bytes.length !== len || len === 0) return null
    at += 2 + len
    return BigInt(`0x${bytes.toString('hex')}`)
  }
  const r = integer()
  const s = integer()
  return r === null || s === null || at !== b.length ? null : { r, s }
}

function derInteger(n: bigint): Buffer {
  let hex = n.toString(16)
  if (hex.length % 2) hex = `0${hex}`
  let bytes = Buffer.from(hex, 'hex')
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes])
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes])
}

/** Signs like a Fabric node: ECDSA P-256 over SHA-256, S made low. */
export function fabricSign(key: KeyObject, message: Uint8Array): Buffer {
  const sig = derSignature(sign('sha256', message, key))!
  const s = sig.s > HALF_N ? N - sig.s : sig.s
  const body = Buffer.concat([derInteger(sig.r), derInteger(s)])
  return Buffer.concat([Buffer.from([0x30, body.length]), body])
}

export function fabricVerify(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  const sig = derSignature(signature)
  if (!sig || sig.s > HALF_N || sig.s === 0n || sig.r === 0n) return false
  try {
    return verify('sha256', message, key, signature)
  } catch {
    return false
  }
}

export function serializedIdentity(mspId: string, certPem: string): Uint8Array {
  const id = new msp.SerializedIdentity()
  id.setMspid(mspId)
  id.setIdBytes(Buffer.from(certPem))
  return id.serializeBinary()
}

export interface SigningIdentity {
  mspId: string
  /** The serialized identity (creator / endorser bytes). */
  bytes: Uint8Array
  sign(message: Uint8Array): Buffer
}

export function signingIdentity(mspId: string, identity: Identity): SigningIdentity {
  const key = createPrivateKey(identity.key)
  return { mspId, bytes: serializedIdentity(mspId, identity.cert), sign: (m) => fabricSign(key, m) }
}

export type Verdict = { ok: true; mspId: string } | { ok: false; message: string }

/** The channel's MSPs, by id, each with its root CA. */
export class ChannelMsp {
  readonly #roots: Map<string, X509Certificate>

  constructor(
    readonly channel: string,
    roots: Record<string, string>,
  ) {
    this.#roots = new Map(Object.entries(roots).map(([id, pem]) => [id, new X509Certificate(pem)]))
  }

  /** Checks that `creator` is a member of the channel that signed `message` with `signature`. */
  check(creator: Uint8Array, message: Uint8Array, signature: Uint8Array): Verdict {
    let id: msp.SerializedIdentity
    let cert: X509Certificate
    try {
      id = msp.SerializedIdentity.deserializeBinary(creator)
      cert = new X509Certificate(Buffer.from(id.getIdBytes_asU8()))
    } catch {
      return { ok: false, message: `access denied: channel [${this.channel}] creator org unknown, creator is malformed` }
    }
    const root = this.#roots.get(id.getMspid())
    if (!root) return { ok: false, message: `access denied: channel [${this.channel}] creator org unknown, creator is malformed` }
    const denied = { ok: false as const, message: `access denied: channel [${this.channel}] creator org [${id.getMspid()}]` }
    const now = Date.now()
    if (!cert.checkIssued(root) || !cert.verify(root.publicKey) || Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) return denied
    if (!fabricVerify(cert.publicKey, message, signature)) return denied
    return { ok: true, mspId: id.getMspid() }
  }
}
