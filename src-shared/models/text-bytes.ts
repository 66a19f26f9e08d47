/**
 * What a file's first bytes and its ill-formed UTF-8 say about its encoding: pure byte work, shared by the device
 * import (core) and the package files read on either side of the bridge (CLI and window).
 */

/** Bytes looked at before any text is handed on: enough for a byte-order mark and the first code units of a header. */
export const SNIFF_BYTES = 64

/**
 * The encoding of a file that is UTF-16 or UTF-32 rather than UTF-8 or Latin-1 (Excel's "Unicode text", Notepad's
 * "Unicode", PowerShell's default), by its byte-order mark or, without one, by the NUL bytes its ASCII characters
 * carry: a header or a JSON line is ASCII, so three code units in four of the first bytes have one zero byte (the
 * second in little-endian, the first in big-endian). Read byte by byte, such a file is NUL-riddled nonsense whose
 * header names no column; it is refused whole, by what it is.
 */
export function wideEncoding(head: Uint8Array): string | null {
  const [a, b, c, d] = head
  if (a === 0x00 && b === 0x00 && c === 0xfe && d === 0xff) return 'UTF-32BE'
  if (a === 0xff && b === 0xfe && c === 0x00 && d === 0x00 && head.length >= 4) return 'UTF-32LE'
  if (a === 0xfe && b === 0xff) return 'UTF-16BE'
  if (a === 0xff && b === 0xfe) return 'UTF-16LE'
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
