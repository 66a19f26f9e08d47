import { decodeUtf8, sniffEncoding, type NotUtf8 } from '../../src-shared/models/text-bytes'

/** Why a JSON file's bytes are not text Fieldline reads, in words that end "…: save it as UTF-8 …". */
export type UnreadableText = { encoding: string } | NotUtf8

/**
 * The text of a JSON file the CLI is given (`devices config set`), or why it cannot be read as text: UTF-8, its
 * byte-order mark dropped (Notepad's "UTF-8 with BOM"), or UTF-16 in either byte order (Notepad's "Unicode",
 * PowerShell 5's `>`), found as `devices import` finds it (sniffEncoding: its byte-order mark, or the zero bytes of
 * its ASCII characters). Cold trial: read as UTF-8, either was "JSON syntax error at 1:1". JSON is small and whole
 * here, so UTF-16 is decoded rather than refused as an import refuses it; UTF-32, which nothing common writes and
 * TextDecoder cannot read, is refused by its name. Bytes that are not UTF-8 (Latin-1, Windows-1252) are refused where
 * they first are, as a package file's are: decoded leniently, "Pompe à eau" would be saved as "Pompe � eau".
 */
export function jsonFileText(bytes: Uint8Array): { text: string } | { unreadable: UnreadableText } {
  const encoding = sniffEncoding(bytes)
  if (encoding === 'UTF-16LE' || encoding === 'UTF-16BE') return { text: new TextDecoder(encoding.toLowerCase()).decode(bytes) }
  if (encoding === 'UTF-32LE' || encoding === 'UTF-32BE') return { unreadable: { encoding } }
  // UTF-8, its byte-order mark dropped by the decoder, or bytes that are not UTF-8.
  const decoded = decodeUtf8(bytes)
  return 'text' in decoded ? decoded : { unreadable: decoded.notUtf8 }
}
