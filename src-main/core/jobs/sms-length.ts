/**
 * An SMS's length by encoding (docs/wire/control-center.md §1.10, §1.13): GSM 03.38's 7-bit alphabet when every
 * character is in it (the extension table's characters take two septets), UCS-2 otherwise.
 */
import type { SmsDataCoding } from '../carriers/control-center/control-center.client'
import { SMS_MAX_LENGTH } from '../carriers/control-center/control-center.client'
import { GSM_BASIC, GSM_EXTENSION } from '../../../src-shared/models/sms-alphabet'
const BASIC = new Set(GSM_BASIC)
const EXTENSION = new Set(GSM_EXTENSION)

export interface SmsLength {
  dataCoding: SmsDataCoding
  /** Septets for GSM-7, 16-bit units for UCS-2, characters for the other codings. */
  length: number
  max: number
}

/** The coding a text is sent with (the one asked for, else the one it needs) and its length in that coding. */
export function smsLength(text: string, asked?: SmsDataCoding): SmsLength {
  const chars = [...text]
  const gsm = chars.every((c) => BASIC.has(c) || EXTENSION.has(c))
  const dataCoding: SmsDataCoding = asked ?? (gsm ? 0 : 8)
  let length: number
  if (dataCoding === 8) length = text.length
  else if (dataCoding === 0 && gsm) length = chars.reduce((n, c) => n + (EXTENSION.has(c) ? 2 : 1), 0)
  else if (dataCoding === 4) length = Buffer.byteLength(text, 'latin1')
  else length = chars.length
  return { dataCoding, length, max: SMS_MAX_LENGTH[dataCoding] }
}
