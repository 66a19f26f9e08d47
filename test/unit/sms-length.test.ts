/**
 * One reckoning of an SMS's coding and length (src-shared/models/sms-length.ts) for the SIM panel, the core's check
 * before sending or queuing, and a bulk job's pre-flight: each refuses the same texts with the same translated message.
 * A text without a chosen coding is sent without one by the panel and the core (320 characters, the carrier codes it)
 * and in the coding it needs by a bulk job, so there each is held to what it sends.
 */
import { describe, expect, it } from 'vitest'
import { checkSms } from '../../src-main/core/carriers/control-center/control-center.client'
import { isAppError } from '../../src-main/core/common/errors'
import { parseOrThrow } from '../../src-main/core/common/validation'
import { inputSchemaOf } from '../../src-main/core/ipc/dispatcher'
import { preflightRows } from '../../src-main/core/jobs/preflight'
import type { JobDoc, JobRowDoc } from '../../src-main/core/jobs/jobs.store'
import type { SmsDataCoding } from '../../src-shared/models/sms-length'
import { sentSmsLength, smsLength, smsRefusal } from '../../src-shared/models/sms-length'

const ICCID = '8988216716970004975'

/** What a bulk SMS job's pre-flight says of one row with this text (the SIM read as activated). */
async function preflight(text: string, dataCoding?: SmsDataCoding) {
  const job = { operation: 'sms', carrier: 'jasper', params: dataCoding === undefined ? { text } : { text, dataCoding } } as unknown as JobDoc
  const row = { seq: 1, source: 'line 2', id: ICCID, rawParams: {}, issues: [], before: null, after: null, error: null } as unknown as JobRowDoc
  await preflightRows(job, [row], { readSim: async () => ({ found: true, status: 'activated', ratePlan: 'p' }), ratePlans: null })
  return { state: row.state, after: row.after, issues: row.issues.filter((i) => i.severity === 'error') }
}

/** The core's refusal (sent or queued), as the key and values the window translates; null when it would send. */
function coreRefusal(text: string, dataCoding?: SmsDataCoding) {
  try {
    checkSms(text, dataCoding === undefined ? {} : { dataCoding })
    return null
  } catch (e) {
    return isAppError(e) ? e.details?.ref : e
  }
}

describe('SMS coding and length', () => {
  it('counts GSM 7-bit septets (an extension-table character twice) and UCS-2 units, and picks the coding the text needs', () => {
    expect(smsLength('wake up')).toEqual({ dataCoding: 0, length: 7, max: 160, uncarried: null })
    expect(smsLength('€[]')).toEqual({ dataCoding: 0, length: 6, max: 160, uncarried: null })
    expect(smsLength('é'.repeat(160))).toMatchObject({ dataCoding: 0, length: 160 })
    expect(smsLength('жж')).toEqual({ dataCoding: 8, length: 2, max: 70, uncarried: null })
    expect(smsLength('ok 👍')).toEqual({ dataCoding: 8, length: 5, max: 70, uncarried: null })
    expect(smsLength('abc', 4)).toEqual({ dataCoding: 4, length: 3, max: 140, uncarried: null })
    expect(smsLength('Arrêt', 1)).toMatchObject({ dataCoding: 1, uncarried: 'ê' })
  })

  const cases: { name: string; text: string; dataCoding?: SmsDataCoding; refusal: ReturnType<typeof smsRefusal> }[] = [
    { name: '159 characters with a € (160 septets)', text: `${'a'.repeat(158)}€`, refusal: null },
    { name: '160 characters with a € (161 septets)', text: `${'a'.repeat(159)}€`, refusal: { key: 'sim.smsTooLong', params: { length: 161, max: 160 } } },
    { name: '160 characters with a [ in GSM 7-bit chosen', text: `[${'a'.repeat(159)}`, dataCoding: 0, refusal: { key: 'sim.smsTooLong', params: { length: 161, max: 160 } } },
    { name: '35 emoji (70 UCS-2 units)', text: '🙂'.repeat(35), refusal: null },
    { name: 'an emoji and 69 letters: 70 characters, 71 UCS-2 units', text: `🙂${'a'.repeat(69)}`, refusal: { key: 'sim.smsTooLong', params: { length: 71, max: 70 } } },
    { name: 'an emoji with GSM 7-bit chosen', text: 'Alerte 🙂', dataCoding: 0, refusal: { key: 'sim.smsCharacter', params: { character: '🙂', coding: '0' } } },
  ]

  it.each(cases)('a bulk job refuses $name as measured, and the core as it sends it', async ({ text, dataCoding, refusal }) => {
    expect(smsRefusal(smsLength(text, dataCoding))).toEqual(refusal)
    // With a chosen coding, the core sends that coding and refuses the same; without, it sends none (320 characters).
    expect(coreRefusal(text, dataCoding)).toEqual(dataCoding === undefined ? null : refusal)
    const row = await preflight(text, dataCoding)
    if (refusal === null) {
      expect(row).toMatchObject({ state: 'pending', issues: [] })
    } else if (refusal.key === 'sim.smsCharacter') {
      expect(row).toMatchObject({ state: 'skipped', issues: [{ code: 'smsCharacter', detail: refusal.params.character }] })
    } else {
      expect(row).toMatchObject({ state: 'skipped', issues: [{ code: 'smsTooLong', detail: `${refusal.params.length}/${refusal.params.max}` }] })
    }
  })

  it('sends an SMS without a chosen coding as the carrier takes it: up to 320 characters, whatever they are', () => {
    expect(sentSmsLength('🙂'.repeat(320), undefined)).toEqual({ dataCoding: null, length: 320, max: 320, uncarried: null })
    expect(coreRefusal('€'.repeat(320))).toBeNull()
    // Refused for its length alone, not "for its coding": none was chosen (the panel and the core say the same).
    const uncoded = { key: 'sim.smsTooLongUncoded', params: { length: 321, max: 320 } }
    expect(smsRefusal(sentSmsLength('a'.repeat(321), undefined))).toEqual(uncoded)
    expect(coreRefusal('a'.repeat(321))).toEqual(uncoded)
    expect(sentSmsLength('wake up', 0)).toEqual(smsLength('wake up', 0))
  })

  it('takes over the bridge what the panel takes, and refuses what it refuses with the same translated reason', () => {
    // The channel's input as the dispatcher parses it; its refusal as the window gets it (the key and its values).
    const bridged = (text: string, dataCoding?: SmsDataCoding) => {
      try {
        parseOrThrow(inputSchemaOf('sim:sendSms'), { typeId: 'meter', deviceId: 'm-1', text, ...(dataCoding === undefined ? {} : { dataCoding }) })
        return null
      } catch (e) {
        return isAppError(e) ? e.details?.ref : e
      }
    }
    const panel = (text: string, dataCoding?: SmsDataCoding) => smsRefusal(sentSmsLength(text, dataCoding))
    for (const [text, dataCoding] of [
      // 200 characters, 400 UTF-16 units: the panel sends it, the carrier takes it.
      ['🙂'.repeat(200), undefined],
      ['🙂'.repeat(320), undefined],
      ['🙂'.repeat(321), undefined],
      ['a'.repeat(321), undefined],
      ['a'.repeat(700), undefined],
      [`🙂${'a'.repeat(69)}`, 8],
      ['Alerte 🙂', 0],
    ] as const) {
      const said = panel(text, dataCoding)
      expect(bridged(text, dataCoding), `${text.length} units, coding ${dataCoding}`).toEqual(said === null ? null : { key: said.key, params: { field: 'text', ...said.params } })
    }
    expect(bridged('🙂'.repeat(200))).toBeNull()
    expect(bridged('a'.repeat(700))).toEqual({ key: 'sim.smsTooLongUncoded', params: { field: 'text', length: 700, max: 320 } })
  })

  it('says in the CLI why a text is too long: for its chosen coding, or without one', () => {
    const message = (text: string, dataCoding?: SmsDataCoding) => {
      try {
        checkSms(text, dataCoding === undefined ? {} : { dataCoding })
      } catch (e) {
        return e instanceof Error ? e.message : String(e)
      }
      return null
    }
    expect(message('a'.repeat(321))).toBe('The SMS is too long: 321, at most 320 without a data coding. Nothing was sent.')
    expect(message('a'.repeat(71), 8)).toBe('The SMS is too long for its data coding: 71, at most 70. Nothing was sent.')
  })

  it('sends a bulk SMS in the coding it was measured in', async () => {
    expect((await preflight('Alerte 🙂')).after).toEqual({ smsLength: 9, dataCoding: 8 })
    expect((await preflight('5 € [ok]')).after).toEqual({ smsLength: 11, dataCoding: 0 })
  })

  it('refuses in a bulk job, translated, each character its chosen coding cannot carry', async () => {
    for (const [text, dataCoding, character] of [
      ['Température ≥ 5', 0, '≥'],
      ['Arrêt', 1, 'ê'],
      ['5 €', 3, '€'],
      ['Alerte 🙂', 4, '🙂'],
    ] as const) {
      expect(await preflight(text, dataCoding)).toMatchObject({ state: 'skipped', issues: [{ code: 'smsCharacter', detail: character }] })
    }
    expect(await preflight('Arrêt ≥ 5 🙂', 8)).toMatchObject({ state: 'pending', issues: [] })
  })
})
