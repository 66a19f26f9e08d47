/**
 * The id a saved search is stored under, from the name the operator gave it: lower-case letters and digits joined by
 * '-', accents dropped ("Résiliées Orange" → "resiliees-orange"). Empty when the name has no letter or digit.
 */
export function searchIdOf(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 48)
    .replace(/-+$/, '')
}
