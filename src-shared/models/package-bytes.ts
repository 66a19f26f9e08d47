import type { MessageRef } from './errors'
import { decodeUtf8, isWide, sniffEncoding } from './text-bytes'

/** A package file's text, or why its bytes are not UTF-8 text (English words and the key the window translates). */
export type PackageBytes = { ok: true; text: string } | { ok: false; message: string; ref: MessageRef; line: number }

/**
 * The text of a package file read as bytes (the CLI, the window's file picker and drop). A package is JSON, which
 * travels as UTF-8 (RFC 8259 §8.1): a Windows-1252 file decoded leniently kept "Pompe à eau" as "Pompe � eau", was
 * validated, kept and uploaded so, and a UTF-16 file (Notepad's "Unicode") read as dozens of JSON syntax errors. Both are
 * refused whole, saying what the file is and what to do; a UTF-8 byte-order mark is dropped.
 */
export function decodePackageBytes(bytes: Uint8Array): PackageBytes {
  const encoding = sniffEncoding(bytes)
  if (isWide(encoding)) {
    return {
      ok: false,
      message: `The file is ${encoding} text, not UTF-8: save it as UTF-8 and add it again`,
      ref: { key: 'dm.wideEncoding', params: { encoding } },
      line: 1,
    }
  }
  const decoded = decodeUtf8(bytes)
  if ('text' in decoded) return { ok: true, text: decoded.text }
  const { line, offset, byte } = decoded.notUtf8
  return {
    ok: false,
    message: `Line ${line}, byte offset ${offset}: not UTF-8 (byte ${byte}, perhaps Latin-1 or Windows-1252): save the file as UTF-8 and add it again`,
    ref: { key: 'dm.invalidUtf8', params: { line, offset, byte } },
    line,
  }
}
