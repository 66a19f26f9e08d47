/**
 * Whether a destination's secret will be set once a save is done: typed now, or kept from the vault (a value sets it,
 * null clears it, absent keeps the saved one) — what models/destination-rules.ts asks of the form.
 */
export function setAfterSave(secrets: Readonly<Record<string, string | null | undefined>> | undefined, saved: ReadonlySet<string>): (field: string) => boolean {
  return (field) => {
    const value = secrets?.[field]
    return value === null ? false : typeof value === 'string' || saved.has(field)
  }
}
