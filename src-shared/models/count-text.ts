/**
 * A count as the CLI and the core's English messages write it, whatever the machine's locale (scripts read these
 * lines): 1,000,000. Human-readable text only: JSON, CSV and JSON Lines carry the bare number.
 */
export const countText = (n: number): string => n.toLocaleString('en-US')

/** A count and its noun, plural unless the count is 1: "1 SIM", "2 SIMs", "1,000 messages" (English nouns with a plain s). */
export const countOf = (n: number, noun: string): string => `${countText(n)} ${noun}${n === 1 ? '' : 's'}`
