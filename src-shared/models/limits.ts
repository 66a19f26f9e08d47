/**
 * Size limits of what crosses the IPC transport, in bytes of UTF-8 (what a file picker or `ls -l` shows), never in
 * characters: 1 Mi characters of accented or Asian text is 2–3 MiB on the wire. The serve-mode frame limit is derived
 * from the largest text a channel accepts, so every input the contract accepts fits in one WebSocket frame.
 */
import { z } from 'zod'
import { formatMebibytes } from './byte-format'

const MIB = 1024 * 1024

/** Largest extension configuration the core checks; a larger one is refused as TOO_LARGE with `errors.configTooLarge`. */
export const MAX_CONFIG_BYTES = 5 * MIB

/**
 * Largest piece of an import file carried in one call, in bytes of the file. Chunks carry the file's bytes (base64),
 * not text, so that the core decodes them and can name the line and byte offset of anything that is not UTF-8.
 */
export const MAX_IMPORT_CHUNK_BYTES = 768 * 1024
/** The same piece as base64 text on the wire: exactly 1 MiB. */
export const MAX_IMPORT_CHUNK_BASE64 = Math.ceil(MAX_IMPORT_CHUNK_BYTES / 3) * 4

/**
 * Largest text the editor channels accept (configurations, drafts, packages). It is above the documents' own limits
 * (MAX_CONFIG_BYTES, MAX_PACKAGE_BYTES) so that a document a little too large is answered by the check that names
 * its limit, not by a generic refusal of the input.
 */
export const MAX_EDITOR_TEXT_BYTES = 6 * MIB

/** JSON writes one byte of text as at most six ("\u0001" for a control character). */
const JSON_ESCAPE_FACTOR = 6
/** Everything in a frame but its one large text: type, id, channel and the small fields beside the text. */
const FRAME_ENVELOPE_BYTES = 64 * 1024

/**
 * Largest serve-mode WebSocket frame, in bytes. Derived, not chosen: the largest accepted text, escaped in the worst
 * case, plus the envelope. The server closes a socket that sends more with 1009; the renderer refuses to send more.
 */
export const MAX_FRAME_BYTES = MAX_EDITOR_TEXT_BYTES * JSON_ESCAPE_FACTOR + FRAME_ENVELOPE_BYTES

/**
 * The UTF-8 length of `text` when it exceeds `max`, else undefined. Counted without encoding (no copy of a large
 * text), and only when the UTF-16 length leaves it open: each code unit is one to three bytes.
 */
export function exceedsBytes(text: string, max: number): number | undefined {
  if (text.length * 3 <= max) return undefined
  const bytes = utf8Length(text)
  return bytes > max ? bytes : undefined
}

/** Bytes of `text` in UTF-8; a lone surrogate counts as the three bytes of the U+FFFD an encoder writes for it. */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

/**
 * A string of at most `max` bytes of UTF-8, refused with a translated message. The byte count is skipped when the
 * length alone settles it (see exceedsBytes).
 */
export function byteLimitedString(max: number) {
  return z.string().refine((text) => exceedsBytes(text, max) === undefined, {
    message: `must be at most ${formatMebibytes(max, 'en')} (${max} bytes of UTF-8)`,
    // maxBytes lets a reader of the schema (the contract's own tests) see the bound a refinement hides.
    params: { messageKey: 'errors.textTooLarge', messageParams: { max: formatMebibytes(max, 'en'), maxBytes: max }, maxBytes: max },
  })
}
