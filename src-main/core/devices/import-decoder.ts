import { isUtf8 } from 'node:buffer'
import type { MessageRef } from '../../../src-shared/contract'
import { AppError } from '../common/errors'

/** 'utf-8' is the default and refuses what is not UTF-8; 'latin1' (ISO-8859-1) maps every byte, asked for explicitly. */
export type ImportEncoding = 'utf-8' | 'latin1'

/** Where a file's bytes stop being text: the first such place of a line (1-based) and its byte offset (0-based). */
export interface EncodingProblem {
  line: number
  offset: number
  kind: 'invalidUtf8' | 'nul'
  /** The offending byte. */
  byte: number
}

export interface Decoded {
  text: string
  /** In file order, at most one per line. */
  problems: EncodingProblem[]
}

export interface ImportDecoder {
  write(bytes: Uint8Array): Decoded
  end(): Decoded
}

const NEWLINE = 0x0a
const hex = (byte: number) => `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`

export function describeEncodingProblem(p: EncodingProblem): { message: string; ref: MessageRef } {
  if (p.kind === 'nul') {
    return {
      message: `Line ${p.line}, byte offset ${p.offset}: a NUL character; an import file is text, and NUL is refused`,
      ref: { key: 'import.nulCharacter', params: { line: p.line, offset: p.offset } },
    }
  }
  return {
    message: `Line ${p.line}, byte offset ${p.offset}: not UTF-8 (byte ${hex(p.byte)}); save the file as UTF-8, or import it as Latin-1 (--encoding latin1)`,
    ref: { key: 'import.invalidUtf8', params: { line: p.line, offset: p.offset, byte: hex(p.byte) } },
  }
}

/** Bytes looked at before any text is handed on: enough for a byte-order mark and the first code units of a header. */
const SNIFF_BYTES = 64

/**
 * Whether `head` tells whether the file is wide text: a UTF-8 or Latin-1 file, whose first two bytes are not zero, is
 * let through at once (so a short file's bad header is still refused on its first chunk); a byte-order mark or a
 * zero byte waits for SNIFF_BYTES bytes or the end of the file.
 */
function sniffDone(head: Uint8Array, final: boolean): boolean {
  if (final || head.length >= SNIFF_BYTES) return true
  if (head.length < 2) return false
  const [a, b] = head
  if (a === 0xff && b === 0xfe) return head.length >= 4 // UTF-16LE, or UTF-32LE
  if (a === 0xfe && b === 0xff) return true
  if (a === 0xef && b === 0xbb) return head.length >= 3 // UTF-8's byte-order mark, told to a Latin-1 import
  return a !== 0 && b !== 0
}

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
 * A file asked for as Latin-1 that starts with UTF-8's byte-order mark (Excel's "CSV UTF-8", Fieldline's own CSV
 * export) is UTF-8: read as Latin-1, its header's first column became "ï»¿typeId" ("missing: typeId") and every accent
 * two characters. It is refused whole, saying which encoding it is.
 */
const startsWithUtf8Bom = (head: Uint8Array): boolean => head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf

function refuseUtf8AsLatin1(): AppError {
  return AppError.withRef('VALIDATION', 'The file is UTF-8 text (it starts with a UTF-8 byte-order mark), not Latin-1: import it as UTF-8; nothing was imported', { key: 'import.utf8NotLatin1' })
}

function refuseWide(encoding: string): AppError {
  return AppError.withRef('VALIDATION', `The file is ${encoding} text, not UTF-8: save it as UTF-8 and import it again; nothing was imported`, { key: 'import.wideEncoding', params: { encoding } })
}

/**
 * Offsets (in `bytes`) of the first byte of each ill-formed sequence, by the well-formedness table of Unicode §3.9
 * (Table 3-7): overlong forms, surrogates and code points above U+10FFFF are ill-formed too. `isUtf8` says whether
 * there is any; this says where, and runs only then.
 */
function illFormed(bytes: Uint8Array): number[] {
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

/** Length of `bytes` without a trailing sequence that is still incomplete (its rest is in the next chunk). */
function completeLength(bytes: Uint8Array): number {
  const n = bytes.length
  for (let back = 1; back <= Math.min(4, n); back++) {
    const b = bytes[n - back]!
    if ((b & 0xc0) === 0x80) continue
    const length = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 1
    return length > back ? n - back : n
  }
  return n
}

/**
 * Turns an import file's bytes into text chunk by chunk, and locates what must not be imported: ill-formed UTF-8
 * (a Latin-1 line in a UTF-8 file) and NUL characters. Ill-formed bytes become U+FFFD in the text so that the
 * parser keeps the file's structure (such a byte is never a quote, a comma or a line break); the rows holding them
 * are refused by the caller, which knows where rows begin and end. Line numbers count '\n' from 1, offsets count
 * bytes from 0, both from the start of the file.
 *
 * The first bytes are held back until they tell whether the file is UTF-16 or UTF-32 (`sniffDone`): such a file is
 * refused from them (`wideEncoding`), before any of its rows is read, whatever encoding was asked for.
 */
export function createDecoder(encoding: ImportEncoding): ImportDecoder {
  let head: Uint8Array | null = new Uint8Array(0)
  let carry: Uint8Array = new Uint8Array(0)
  let offset = 0
  let line = 1
  let lastProblemLine = 0
  // One decoder for the whole file, so a byte-order mark is dropped at the start only.
  const utf8 = new TextDecoder('utf-8')
  const latin1 = new TextDecoder('latin1')

  /** Problems at `positions` (sorted, relative to `bytes`), with line numbers; advances past all of `bytes`. */
  function locate(bytes: Uint8Array, found: { at: number; kind: EncodingProblem['kind'] }[]): EncodingProblem[] {
    const problems: EncodingProblem[] = []
    let from = 0
    for (const { at, kind } of found) {
      for (let nl = bytes.indexOf(NEWLINE, from); nl !== -1 && nl < at; nl = bytes.indexOf(NEWLINE, nl + 1)) line++
      from = at
      if (lastProblemLine !== line) problems.push({ line, offset: offset + at, kind, byte: bytes[at]! })
      lastProblemLine = line
    }
    for (let nl = bytes.indexOf(NEWLINE, from); nl !== -1; nl = bytes.indexOf(NEWLINE, nl + 1)) line++
    offset += bytes.length
    return problems
  }

  function nuls(bytes: Uint8Array): { at: number; kind: 'nul' }[] {
    const out: { at: number; kind: 'nul' }[] = []
    for (let at = bytes.indexOf(0); at !== -1; at = bytes.indexOf(0, at + 1)) out.push({ at, kind: 'nul' })
    return out
  }

  function decodeComplete(bytes: Uint8Array, final: boolean): Decoded {
    const found: { at: number; kind: EncodingProblem['kind'] }[] = nuls(bytes)
    if (encoding === 'utf-8' && !isUtf8(bytes)) {
      for (const at of illFormed(bytes)) found.push({ at, kind: 'invalidUtf8' })
      found.sort((a, b) => a.at - b.at)
    }
    const text = encoding === 'latin1' ? latin1.decode(bytes, { stream: !final }) : utf8.decode(bytes, { stream: !final })
    return { text, problems: locate(bytes, found) }
  }

  function write(bytes: Uint8Array): Decoded {
    if (encoding === 'latin1') return decodeComplete(bytes, false)
    const all = carry.length > 0 ? concat(carry, bytes) : bytes
    const cut = completeLength(all)
    carry = all.slice(cut)
    return decodeComplete(all.subarray(0, cut), false)
  }

  /** The first bytes, once there are enough of them to tell (or the file ended): refused if the file is wide text. */
  function sniffed(bytes: Uint8Array, final: boolean): Uint8Array | null {
    if (head === null) return bytes
    head = concat(head, bytes)
    if (!sniffDone(head, final)) return null
    const all = head
    head = null
    const wide = wideEncoding(all)
    if (wide) throw refuseWide(wide)
    if (encoding === 'latin1' && startsWithUtf8Bom(all)) throw refuseUtf8AsLatin1()
    return all
  }

  return {
    write(bytes) {
      const ready = sniffed(bytes, false)
      return ready ? write(ready) : { text: '', problems: [] }
    },
    end() {
      const ready = sniffed(new Uint8Array(0), true)
      const first = ready && ready.length > 0 ? write(ready) : { text: '', problems: [] }
      const rest = carry
      carry = new Uint8Array(0)
      // What is left is a sequence the file never completed: ill-formed.
      const last = decodeComplete(rest, true)
      return { text: first.text + last.text, problems: [...first.problems, ...last.problems] }
    },
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
