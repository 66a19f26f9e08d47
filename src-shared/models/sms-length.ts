/**
 * An SMS's coding and length, and why Fieldline refuses it (docs/wire/control-center.md §1.10, §1.13). One reckoning
 * for the SIM panel (as the operator types), the core's check before a message is sent or queued, and a bulk job's
 * pre-flight, so none of them lets through what another refuses.
 */
import { firstUncarriedCharacter, GSM_BASIC, GSM_EXTENSION } from './sms-alphabet'

export type SmsDataCoding = 0 | 1 | 3 | 4 | 8

/** §1.10: at most this many per message, by dataCoding (septets for GSM 7-bit, 16-bit units for UCS-2). */
export const SMS_MAX_LENGTH: Readonly<Record<SmsDataCoding, number>> = { 0: 160, 1: 160, 3: 160, 4: 140, 8: 70 }
/** §1.10: without a dataCoding the service codes the text itself and takes up to 320 characters (two concatenated parts). */
export const SMS_UNCODED_MAX = 320

const BASIC = new Set(GSM_BASIC)
const EXTENSION = new Set(GSM_EXTENSION)

export interface SmsLength {
  /**
   * The coding asked for, or without one the coding the text needs: GSM 7-bit when it carries every character, else
   * UCS-2. Null for a text sent without a dataCoding (`sentSmsLength`), which the service codes itself.
   */
  dataCoding: SmsDataCoding | null
  /**
   * Septets for GSM 7-bit (an extension-table character is an escape and a septet), UTF-16 units for UCS-2, characters
   * otherwise (one octet each; without a dataCoding, as §1.10 counts its 320).
   */
  length: number
  max: number
  /** The first character the coding cannot carry, or null. */
  uncarried: string | null
}

export function smsLength(text: string, asked?: SmsDataCoding): SmsLength & { dataCoding: SmsDataCoding } {
  const chars = [...text]
  const dataCoding: SmsDataCoding = asked ?? (chars.every((c) => BASIC.has(c) || EXTENSION.has(c)) ? 0 : 8)
  let length: number
  if (dataCoding === 8) length = text.length
  else if (dataCoding === 0) length = chars.reduce((n, c) => n + (EXTENSION.has(c) ? 2 : 1), 0)
  else length = chars.length
  return { dataCoding, length, max: SMS_MAX_LENGTH[dataCoding], uncarried: firstUncarriedCharacter(text, dataCoding) }
}

/**
 * A text as it is sent: with the dataCoding asked for, or without one when none is (the SIM panel's Default, the
 * outbox, `sim sms`), which the service takes up to 320 characters. A bulk job sends the coding it measured instead
 * (`smsLength` without `asked`), so its limit is that coding's.
 */
export function sentSmsLength(text: string, asked: SmsDataCoding | undefined): SmsLength {
  if (asked !== undefined) return smsLength(text, asked)
  return { dataCoding: null, length: [...text].length, max: SMS_UNCODED_MAX, uncarried: null }
}

/**
 * Why a text cannot be sent, as a translation key and its values; null when it can. Too long is said apart for a text
 * sent without a dataCoding: its limit is §1.10's 320, not a coding's, so "for its coding" would be untrue there.
 */
export type SmsRefusal = { key: 'sim.smsCharacter'; params: { character: string; coding: string } } | { key: 'sim.smsTooLong' | 'sim.smsTooLongUncoded'; params: { length: number; max: number } }

export function smsRefusal(measured: SmsLength): SmsRefusal | null {
  if (measured.uncarried !== null) return { key: 'sim.smsCharacter', params: { character: measured.uncarried, coding: String(measured.dataCoding) } }
  if (measured.length > measured.max) return { key: measured.dataCoding === null ? 'sim.smsTooLongUncoded' : 'sim.smsTooLong', params: { length: measured.length, max: measured.max } }
  return null
}
