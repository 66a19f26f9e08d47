/**
 * The characters each SMS data coding can carry (docs/wire/control-center.md §1.10, §1.13): GSM 03.38's 7-bit
 * alphabet and its extension table for 0, IA5 (ASCII) for 1, Latin-1 for 3, one octet per character for binary (4);
 * UCS-2 (8), and no data coding at all (the carrier picks one), carry any text. Shared by the core, which refuses the
 * text, and the window, which says so as the operator types.
 */
export const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
/** Characters sent as an escape and a second septet. */
export const GSM_EXTENSION = '\f^{}\\[~]|€'

const GSM = new Set([...GSM_BASIC, ...GSM_EXTENSION])

/**
 * The first character of `text` that data coding `coding` cannot carry, or null when it carries all of them
 * (cold trial: "≥" or an emoji went out with GSM 7-bit chosen, where the carrier turns them into something else).
 */
export function firstUncarriedCharacter(text: string, coding: 0 | 1 | 3 | 4 | 8 | undefined): string | null {
  if (coding === undefined || coding === 8) return null
  const max = coding === 1 ? 0x7f : 0xff
  for (const c of text) {
    if (coding === 0 ? !GSM.has(c) : c.codePointAt(0)! > max) return c
  }
  return null
}
