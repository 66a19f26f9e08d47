/**
 * ICO (Windows) and ICNS (macOS) are both directories of PNG images; these write them from PNGs rendered from
 * resources/icon.svg, so no image tool beyond the SVG renderer is needed. Formats: ICONDIR/ICONDIRENTRY with PNG
 * payloads (Windows Vista and later read PNG entries); ICNS as 'icns' + length, then type + length + PNG chunks.
 */

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png) {
  const signature = '89504e470d0a1a0a'
  if (png.subarray(0, 8).toString('hex') !== signature || png.subarray(12, 16).toString('latin1') !== 'IHDR') throw new Error('not a PNG')
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) }
}

/** An ICO holding the given PNGs (each at most 256 px square; 256 is written as 0, as the format says). */
export function encodeIco(pngs) {
  const header = Buffer.alloc(6)
  header.writeUInt16LE(0, 0)
  header.writeUInt16LE(1, 2)
  header.writeUInt16LE(pngs.length, 4)
  let offset = 6 + 16 * pngs.length
  const entries = pngs.map((png) => {
    const { width, height } = pngSize(png)
    if (width > 256 || height > 256) throw new Error(`an ICO entry is at most 256 px, not ${width}`)
    const entry = Buffer.alloc(16)
    entry.writeUInt8(width % 256, 0)
    entry.writeUInt8(height % 256, 1)
    entry.writeUInt16LE(1, 4)
    entry.writeUInt16LE(32, 6)
    entry.writeUInt32LE(png.length, 8)
    entry.writeUInt32LE(offset, 12)
    offset += png.length
    return entry
  })
  return Buffer.concat([header, ...entries, ...pngs])
}

/** Reads an ICO back: the declared size and the PNG of every entry. */
export function decodeIco(ico) {
  if (ico.readUInt16LE(0) !== 0 || ico.readUInt16LE(2) !== 1) throw new Error('not an ICO')
  return Array.from({ length: ico.readUInt16LE(4) }, (_, i) => {
    const at = 6 + 16 * i
    const png = ico.subarray(ico.readUInt32LE(at + 12), ico.readUInt32LE(at + 12) + ico.readUInt32LE(at + 8))
    return { width: ico.readUInt8(at) || 256, height: ico.readUInt8(at + 1) || 256, png }
  })
}

/** ICNS types holding PNG data, by pixel size; the @2x types carry the same pixels for half the point size. */
export const ICNS_TYPES = Object.freeze([
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
])

/** An ICNS from PNGs keyed by pixel size; every size ICNS_TYPES names must be given. */
export function encodeIcns(pngsBySize) {
  const chunks = ICNS_TYPES.map(([type, size]) => {
    const png = pngsBySize.get(size)
    if (!png) throw new Error(`no ${size} px image for ${type}`)
    const head = Buffer.alloc(8)
    head.write(type, 0, 'latin1')
    head.writeUInt32BE(png.length + 8, 4)
    return Buffer.concat([head, png])
  })
  const head = Buffer.alloc(8)
  head.write('icns', 0, 'latin1')
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4)
  return Buffer.concat([head, ...chunks])
}

/** Reads an ICNS back into [type, png] pairs, checking every length. */
export function decodeIcns(icns) {
  if (icns.subarray(0, 4).toString('latin1') !== 'icns' || icns.readUInt32BE(4) !== icns.length) throw new Error('not an ICNS')
  const out = []
  for (let at = 8; at < icns.length;) {
    const length = icns.readUInt32BE(at + 4)
    if (length < 8 || at + length > icns.length) throw new Error(`bad ICNS chunk at ${at}`)
    out.push([icns.subarray(at, at + 4).toString('latin1'), icns.subarray(at + 8, at + length)])
    at += length
  }
  return out
}
