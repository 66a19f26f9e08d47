import { promisify } from 'node:util'
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib'
import { AppError } from '../common/errors'

type Decoder = (bytes: Uint8Array, options: ZlibOptions) => Promise<Buffer>

const gunzipAsync = promisify(gunzip) as Decoder
const inflateAsync = promisify(inflate) as Decoder
const inflateRawAsync = promisify(inflateRaw) as Decoder
const brotliAsync = promisify(brotliDecompress) as Decoder

/** RFC 9110 §8.4.1: "deflate" is the zlib format, but some servers send raw deflate data under that name. */
async function deflate(bytes: Uint8Array, options: ZlibOptions): Promise<Buffer> {
  try {
    return await inflateAsync(bytes, options)
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw e
    return inflateRawAsync(bytes, options)
  }
}

const DECODERS: Record<string, Decoder> = { gzip: gunzipAsync, 'x-gzip': gunzipAsync, deflate, br: brotliAsync }

/**
 * Undoes a response's Content-Encoding (TWC answers gzip, and requires clients to ask for it: docs/wire/weather.md §4.1). Codings are listed in the order they were applied, so they are undone from the last. The decoded size is
 * capped like the body itself, so a small compressed answer cannot expand to fill memory.
 */
export async function decodeContentEncoding(bytes: Uint8Array, header: string | undefined, maxBytes: number, service: string): Promise<Uint8Array> {
  if (header === undefined || bytes.byteLength === 0) return bytes
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity')
  let out: Uint8Array = bytes
  for (const coding of codings.reverse()) {
    const decode = DECODERS[coding]
    if (!decode) {
      throw AppError.withRef('NETWORK', `${service} answered in a content encoding Fieldline cannot read (${coding.slice(0, 40)})`, {
        key: 'errors.badContentEncoding',
        params: { encoding: coding.slice(0, 40) },
      })
    }
    try {
      out = await decode(out, { maxOutputLength: maxBytes })
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw AppError.withRef('TOO_LARGE', `${service} sent an answer larger than ${maxBytes} bytes once decompressed`, { key: 'errors.responseTooLarge', params: { max: maxBytes } })
      }
      throw AppError.withRef('NETWORK', `${service} sent a damaged ${coding} answer`, { key: 'errors.badContentEncoding', params: { encoding: coding } })
    }
  }
  return out
}
