import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contractPayloads, samplePayloads } from '../helpers/contract-fuzz'
import { tempDir, testCore } from '../helpers/core'

/** How many payloads one run sends (README: FIELDLINE_FUZZ_PAYLOADS), and the seed that picks them (FIELDLINE_FUZZ_SEED). */
const COUNT = Number(process.env.FIELDLINE_FUZZ_PAYLOADS ?? 1000)
const SEED = Number(process.env.FIELDLINE_FUZZ_SEED ?? 20_261_204)
/** An answer to a hostile payload stays small, whatever the payload's size. */
const MAX_ANSWER_BYTES = 16 * 1024

describe('every channel, fuzzed with malformed payloads generated from its schema', () => {
  let core: Awaited<ReturnType<typeof testCore>>
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir)
    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-1', description: 'kept', metadata: { site: 'A' } })
    await core.call('settings:set', { language: 'fr' })
  })
  afterAll(async () => {
    await core.close()
    await cleanup()
  })

  /** Everything the workspace holds, replicated or per machine. */
  async function snapshot(): Promise<string> {
    const all = await core.workspace.db.allDocs({ include_docs: true })
    const local = await Promise.all(['_local/settings', '_local/imports'].map((id) => core.workspace.db.get(id).catch(() => null)))
    return JSON.stringify([all.rows.map((r) => r.doc), local])
  }

  it(`answers VALIDATION to each of up to ${COUNT} payloads (seed ${SEED}), briefly, and changes nothing`, async () => {
    const { payloads, noBase } = contractPayloads()
    expect(noBase).toEqual([])
    const chosen = samplePayloads(payloads, COUNT, SEED)
    expect(new Set(chosen.map((p) => p.channel)).size).toBe(new Set(payloads.map((p) => p.channel)).size)
    const before = await snapshot()
    const wrong: string[] = []
    for (const p of chosen) {
      const r = await core.dispatcher.invoke(p.channel, p.make())
      const size = Buffer.byteLength(JSON.stringify(r))
      if (r.ok || r.error.code !== 'VALIDATION' || size > MAX_ANSWER_BYTES)
        wrong.push(`${p.channel} ${p.what}: ${r.ok ? 'accepted' : `${r.error.code}, ${size} bytes: ${r.error.message.slice(0, 160)}`}`)
    }
    expect(wrong).toEqual([])
    expect(await snapshot()).toBe(before)
  })
})
