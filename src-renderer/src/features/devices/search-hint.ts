/**
 * The device search finds an identifier by its first characters (the device index holds word prefixes), so the last
 * digits of an ICCID or serial number — what tells two SIMs of one batch apart — find nothing. A search of a few
 * digits that finds nothing says so, rather than only "no device matches".
 */
export function searchedByLastDigits(text: string): boolean {
  return /^\d{4,12}$/.test(text.trim())
}
