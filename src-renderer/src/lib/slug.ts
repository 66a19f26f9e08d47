/**
 * The id a thing the operator names is stored under (a saved search, an alert rule), from its name: lower-case
 * letters and digits joined by '-', accents dropped ("Résiliées Orange" → "resiliees-orange"). Empty when the name
 * has no letter or digit.
 */
export function slugOf(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 48)
    .replace(/-+$/, '')
}

/**
 * The name's id, made unique among `taken`: "Orange" and "orange!" are two names with one slug, and the second must
 * not silently replace the first ("orange", then "orange-2").
 */
export function freeSlugOf(name: string, taken: ReadonlySet<string>): string {
  const base = slugOf(name)
  if (!base || !taken.has(base)) return base
  for (let n = 2; ; n++) {
    const suffix = `-${n}`
    const id = `${base.slice(0, 48 - suffix.length).replace(/-+$/, '')}${suffix}`
    if (!taken.has(id)) return id
  }
}
