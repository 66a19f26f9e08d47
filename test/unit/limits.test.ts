import { describe, expect, it } from 'vitest'
import { channels } from '../../src-shared/contract'
import { exceedsBytes, MAX_EDITOR_TEXT_BYTES, MAX_FRAME_BYTES, MAX_IMPORT_CHUNK_BASE64, MAX_IMPORT_CHUNK_BYTES, utf8Length } from '../../src-shared/models/limits'

/** Deterministic text mixing 1-, 2-, 3- and 4-byte characters, quotes, controls and lone surrogates. */
function mixed(length: number, seed: number): string {
  const pieces = ['a', '"', '\\', '\n', '\u0001', 'é', 'ß', '€', '中', '😀', '\ud800', '\udfff', '\u2028']
  let out = ''
  let x = seed
  while (out.length < length) {
    x = (x * 1103515245 + 12345) % 2 ** 31
    out += pieces[x % pieces.length]
  }
  return out
}

describe('byte limits', () => {
  it('counts UTF-8 bytes exactly as an encoder writes them, lone surrogates included', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const text = mixed(200 + seed * 13, seed)
      expect(utf8Length(text), JSON.stringify(text.slice(0, 20))).toBe(Buffer.byteLength(text, 'utf8'))
    }
    expect(exceedsBytes('é'.repeat(10), 20)).toBeUndefined()
    expect(exceedsBytes('é'.repeat(10), 19)).toBe(20)
  })

  /** Every channel that takes a large text, and where the text goes in its input. */
  const textChannels = [
    ['devices:validateConfig', MAX_EDITOR_TEXT_BYTES, (text: string) => ({ text })],
    ['devices:saveConfig', MAX_EDITOR_TEXT_BYTES, (text: string) => ({ typeId: 't', deviceId: 'd', text })],
    ['devices:saveDraft', MAX_EDITOR_TEXT_BYTES, (text: string) => ({ typeId: 't', deviceId: 'd', text })],
    ['packages:validate', MAX_EDITOR_TEXT_BYTES, (text: string) => ({ text })],
    ['packages:add', MAX_EDITOR_TEXT_BYTES, (text: string) => ({ text, replace: true })],
    ['packages:save', MAX_EDITOR_TEXT_BYTES, (text: string) => ({ bundleId: 'b'.repeat(255), text })],
  ] as const

  it('import:chunk carries at most MAX_IMPORT_CHUNK_BYTES of the file, as base64, and fits in one frame', () => {
    const schema = channels['import:chunk'].input
    const data = Buffer.alloc(MAX_IMPORT_CHUNK_BYTES, 0xff).toString('base64')
    expect(data.length).toBe(MAX_IMPORT_CHUNK_BASE64)
    expect(schema.safeParse({ jobId: 'j'.repeat(64), data }).success).toBe(true)
    expect(schema.safeParse({ jobId: 'j'.repeat(64), data: `${data}AAAA` }).success).toBe(false)
    // Base64 is ASCII without characters JSON escapes: the frame is the text plus its envelope.
    const frame = JSON.stringify({ type: 'invoke', id: Number.MAX_SAFE_INTEGER, channel: 'import:chunk', input: { jobId: 'j'.repeat(64), data } })
    expect(utf8Length(frame)).toBeLessThanOrEqual(MAX_FRAME_BYTES)
  })

  it.each(textChannels)('%s refuses a text one byte over its limit, multi-byte text included', (name, max, input) => {
    const schema = channels[name].input
    expect(schema.safeParse(input('a'.repeat(max))).success).toBe(true)
    // Fewer characters than the limit, more bytes: the limit is in bytes.
    const accented = 'é'.repeat(max / 2 + 1)
    expect(accented.length).toBeLessThan(max)
    const refused = schema.safeParse(input(accented))
    expect(refused.success).toBe(false)
    expect(refused.error!.issues[0]).toMatchObject({ path: ['text'], params: { messageKey: 'errors.textTooLarge' } })
    expect(schema.safeParse(input(`${'a'.repeat(max - 1)}é`)).success).toBe(false)
  })

  it.each(textChannels)('%s: any text it accepts fits in one serve-mode frame, however JSON escapes it', (name, max, input) => {
    // Control characters are the worst case: one byte of text becomes six ("\u0001") in the frame; quotes and
    // lone surrogates only double.
    const text = '\u0001'.repeat(max)
    expect(channels[name].input.safeParse(input(text)).success).toBe(true)
    const frame = JSON.stringify({ type: 'invoke', id: Number.MAX_SAFE_INTEGER, channel: name, input: input(text) })
    expect(utf8Length(frame)).toBeLessThanOrEqual(MAX_FRAME_BYTES)
  })
})
