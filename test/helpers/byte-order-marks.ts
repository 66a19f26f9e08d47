import type { SniffedEncoding } from '../../src-shared/models/text-bytes'

/** The text in `encoding`, with its byte-order mark. */
export function withBom(encoding: SniffedEncoding, text: string): Buffer {
  const le16 = Buffer.from(`\uFEFF${text}`, 'utf16le')
  if (encoding === 'UTF-8') return Buffer.from(`\uFEFF${text}`, 'utf8')
  if (encoding === 'UTF-16LE') return le16
  if (encoding === 'UTF-16BE') return Buffer.from(le16).swap16()
  const points = [...`\uFEFF${text}`].map((c) => c.codePointAt(0)!)
  const out = Buffer.alloc(points.length * 4)
  points.forEach((p, i) => (encoding === 'UTF-32LE' ? out.writeUInt32LE(p, i * 4) : out.writeUInt32BE(p, i * 4)))
  return out
}
