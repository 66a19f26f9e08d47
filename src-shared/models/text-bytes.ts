/**
 * What a file's first bytes and its ill-formed UTF-8 say about its encoding: pure byte work, shared by the device
 * import (core), the package files read on either side of the bridge (CLI and window) and the CLI's JSON files.
 */

/** Bytes looked at before any text is handed on: enough for a byte-order mark and the first code units of a header. */
const SNIFF_BYTES = 64

/** The encodings the first bytes of a file can name: by a byte-order mark, or (UTF-16) by the zero bytes of its ASCII. */
export type SniffedEncoding = 'UTF-8' | 'UTF-16LE' | 'UTF-16BE' | 'UTF-32LE' | 'UTF-32BE'

/** UTF-16 or UTF-32: text whose ASCII characters take more than one byte each (not UTF-8, nor a single-byte encoding). */
export function isWide(encoding: SniffedEncoding | null): encoding is Exclude<SniffedEncoding, 'UTF-8'> {
  return encoding !== null && encoding !== 'UTF-8'
}

/** Whether a stream's first bytes, not all there yet, cannot tell yet: a byte-order mark cut short, or a zero byte. */
function undecided(head: Uint8Array): boolean {
  if (head.length >= SNIFF_BYTES) return false
  if (head.length < 2) return true
  const [a, b] = head
  if (a === 0xff && b === 0xfe) return head.length < 4 // UTF-16LE, or UTF-32LE
  if (a === 0xfe && b === 0xff) return false
  if (a === 0xef && b === 0xbb) return head.length < 3 // UTF-8's byte-order mark
  // A UTF-8 or Latin-1 file, whose first two bytes are not zero, is let through at once.
  return a === 0 || b === 0
}

/**
 * The one decision of what encoding a file's bytes are in, for every reader of files (the device import, package files
 * on either side of the bridge, the CLI's JSON files); each reader keeps its own policy (decode or refuse) and words.
 *
 * By its byte-order mark: UTF-8 (EF BB BF, Notepad's "UTF-8 with BOM", Excel's "CSV UTF-8"), UTF-16 in either byte
 * order, UTF-32 in either. Without one, UTF-16 (Excel's "Unicode text", Notepad's "Unicode", PowerShell's default) by the
 * NUL bytes its ASCII characters carry: a header or a JSON line is ASCII, so three code units in four of the first
 * bytes have one zero byte (the second in little-endian, the first in big-endian). Read byte by byte, such a file is
 * NUL-riddled nonsense whose header names no column.
 *
 * null: the first bytes say nothing (no byte-order mark, not wide): UTF-8 without a mark, or a single-byte encoding
 * such as Latin-1, which the caller's decoding tells apart. `final` false: `head` is the start of a stream still
 * arriving, and undefined says it cannot tell yet (give more bytes).
 */
export function sniffEncoding(head: Uint8Array): SniffedEncoding | null
export function sniffEncoding(head: Uint8Array, final: boolean): SniffedEncoding | null | undefined
export function sniffEncoding(head: Uint8Array, final = true): SniffedEncoding | null | undefined {
  if (!final && undecided(head)) return undefined
  const [a, b, c, d] = head
  if (a === 0x00 && b === 0x00 && c === 0xfe && d === 0xff) return 'UTF-32BE'
  // FF FE 00 00 is UTF-32LE's mark, or UTF-16LE's followed by a NUL character, which no text file starts with.
  if (a === 0xff && b === 0xfe && c === 0x00 && d === 0x00) return 'UTF-32LE'
  if (a === 0xfe && b === 0xff) return 'UTF-16BE'
  if (a === 0xff && b === 0xfe) return 'UTF-16LE'
  if (a === 0xef && b === 0xbb && c === 0xbf) return 'UTF-8'
  return wideByZeros(head)
}

/** UTF-16 without a byte-order mark, by where the zero bytes of its first code units are; null when it is not. */
function wideByZeros(head: Uint8Array): 'UTF-16LE' | 'UTF-16BE' | null {
  const [a, b] = head
  const units = Math.floor(Math.min(head.length, SNIFF_BYTES) / 2)
  // The first character of a header or a JSON line is ASCII: without one zero byte in the first code unit, it is not wide.
  if (units < 2 || (a !== 0) === (b !== 0)) return null
  let le = 0
  let be = 0
  for (let i = 0; i < units; i++) {
    const first = head[2 * i]!
    const second = head[2 * i + 1]!
    if (first !== 0 && second === 0) le++
    else if (first === 0 && second !== 0) be++
  }
  const enough = Math.max(2, Math.ceil((units * 3) / 4))
  return le >= enough ? 'UTF-16LE' : be >= enough ? 'UTF-16BE' : null
}

/**
 * Offsets (in `bytes`) of the first byte of each ill-formed sequence, by the well-formedness table of Unicode §3.9
 * (Table 3-7): overlong forms, surrogates and code points above U+10FFFF are ill-formed too. `isUtf8` says whether
 * there is any; this says where, and runs only then.
 */
export function illFormed(bytes: Uint8Array): number[] {
  const out: number[] = []
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
      continue
    }
    let need = 0
    let lo = 0x80
    let hi = 0xbf
    if (b >= 0xc2 && b <= 0xdf) need = 1
    else if (b === 0xe0) [need, lo] = [2, 0xa0]
    else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) need = 2
    else if (b === 0xed) [need, hi] = [2, 0x9f]
    else if (b === 0xf0) [need, lo] = [3, 0x90]
    else if (b >= 0xf1 && b <= 0xf3) need = 3
    else if (b === 0xf4) [need, hi] = [3, 0x8f]
    let j = i + 1
    let ok = need > 0
    for (let k = 0; ok && k < need; k++, j++) {
      const c = bytes[j]
      ok = c !== undefined && (k === 0 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xbf)
      if (!ok) break
    }
    if (ok) {
      i = j
    } else {
      out.push(i)
      // Skip the maximal well-formed prefix, as decoders do when they put one U+FFFD in its place.
      i = Math.max(j, i + 1)
    }
  }
  return out
}

/** Where bytes first stop being UTF-8: its line (from 1), its byte offset, and that byte as `0xE0`. */
export interface NotUtf8 {
  line: number
  offset: number
  byte: string
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** The UTF-8 text of `bytes` (a byte-order mark dropped), or where it first is not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { notUtf8: NotUtf8 } {
  try {
    return { text: strictUtf8.decode(bytes) }
  } catch {
    const offset = illFormed(bytes)[0] ?? 0
    let line = 1
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++
    return { notUtf8: { line, offset, byte: `0x${(bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0')}` } }
  }
}
