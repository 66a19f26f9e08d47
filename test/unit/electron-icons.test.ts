import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeIcns, decodeIco, encodeIcns, encodeIco, ICNS_TYPES, pngSize } from '../../scripts/packaging/icon-containers.mjs'
import { chromiumPath, ICO_SIZES, LINUX_SIZES, makeIcons } from '../../scripts/packaging/make-icons.mjs'
import { missingService } from '../helpers/system'

/** A real, minimal PNG of the given size (one grey row repeated), so the containers are tested on valid images. */
function png(size: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8)
    head.writeUInt32BE(data.length, 0)
    head.write(type, 4, 'latin1')
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
    return Buffer.concat([head, data, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr.set([8, 0, 0, 0, 0], 8)
  const rows = Buffer.concat(Array.from({ length: size }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(size, 0x80)])))
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))])
}
describe('icon containers', () => {
  it('writes an ICO whose entries declare the sizes of their PNGs, 256 written as 0', () => {
    const ico = encodeIco([png(16), png(256)])
    expect(ico[6 + 16]).toBe(0)
    expect(decodeIco(ico).map((e) => [e.width, pngSize(e.png).width])).toEqual([
      [16, 16],
      [256, 256],
    ])
    expect(() => encodeIco([png(512)])).toThrow(/at most 256/)
  })

  it('writes an ICNS with every type and consistent lengths', () => {
    const icns = encodeIcns(new Map(ICNS_TYPES.map(([, size]) => [size, png(size)])))
    expect(decodeIcns(icns).map(([type, image]) => [type, pngSize(image).width])).toEqual(ICNS_TYPES.map(([type, size]) => [type, size]))
    expect(() => encodeIcns(new Map([[16, png(16)]]))).toThrow(/no 32 px image/)
    expect(() => decodeIcns(icns.subarray(0, icns.length - 1))).toThrow()
  })

  it('refuses what is not a PNG', () => {
    expect(() => pngSize(Buffer.from('GIF89a-------------------'))).toThrow(/not a PNG/)
  })
})

describe('npm run icons', () => {
  const chromium = chromiumPath()
  const skip = missingService('chromium', chromium && existsSync(chromium) ? null : `${chromium ?? '/usr/bin/chromium'} not found (apt-get install chromium, or set FIELDLINE_CHROMIUM)`)
  const out = mkdtempSync(join(tmpdir(), 'fieldline-icons-'))
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it.skipIf(skip !== null)('renders resources/icon.svg into every icon the packaging config names', { timeout: 120_000 }, async () => {
    await makeIcons(undefined, out)
    expect(readdirSync(out).sort()).toEqual([...LINUX_SIZES.map((s) => `${s}x${s}.png`), 'icon.icns', 'icon.ico', 'icon.png'].sort())
    for (const size of LINUX_SIZES) expect(pngSize(readFileSync(join(out, `${size}x${size}.png`)))).toEqual({ width: size, height: size })
    expect(pngSize(readFileSync(join(out, 'icon.png')))).toEqual({ width: 1024, height: 1024 })
    expect(decodeIco(readFileSync(join(out, 'icon.ico'))).map((e) => pngSize(e.png).width)).toEqual([...ICO_SIZES])
    expect(decodeIcns(readFileSync(join(out, 'icon.icns'))).map(([type, image]) => [type, pngSize(image).width])).toEqual(ICNS_TYPES.map(([t, s]) => [t, s]))
  })
})
