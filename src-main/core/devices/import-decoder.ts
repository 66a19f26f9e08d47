import { isUtf8 } from 'node:buffer'
import type { MessageRef } from '../../../src-shared/contract'
import { AppError } from '../common/errors'
import { illFormed, isWide, sniffEncoding } from '../../../src-shared/models/text-bytes'

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

/**
 * A file asked for as Latin-1 that starts with UTF-8's byte-order mark (Excel's "CSV UTF-8", Fieldline's own CSV
 * export) is UTF-8: read as Latin-1, its header's first column became "ï»¿typeId" ("missing: typeId") and every accent
 * two characters. It is refused whole, saying which encoding it is.
 */
function refuseUtf8AsLatin1(): AppError {
  return AppError.withRef('VALIDATION', 'The file is UTF-8 text (it starts with a UTF-8 byte-order mark), not Latin-1: import it as UTF-8; nothing was imported', { key: 'import.utf8NotLatin1' })
}

function refuseWide(encoding: string): AppError {
  return AppError.withRef('VALIDATION', `The file is ${encoding} text, not UTF-8: save it as UTF-8 and import it again; nothing was imported`, { key: 'import.wideEncoding', params: { encoding } })
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
 * The first bytes are held back until they tell the file's encoding (`sniffEncoding`): a UTF-16 or UTF-32 file is
 * refused from them, before any of its rows is read, whatever encoding was asked for; a UTF-8 one asked for as Latin-1
 * too. A UTF-8 or Latin-1 file, whose first two bytes are not zero, is let through at once (so a short file's bad
 * header is still refused on its first chunk).
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
    const found = sniffEncoding(head, final)
    if (found === undefined) return null
    const all = head
    head = null
    if (isWide(found)) throw refuseWide(found)
    if (encoding === 'latin1' && found === 'UTF-8') throw refuseUtf8AsLatin1()
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
