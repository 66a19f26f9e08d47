/**
 * A SIM status as an operator types it, in either spelling the commands document: Control Center's (DEACTIVATED,
 * ACTIVATION_READY, which `sim status` shows in its help) or Fieldline's (deactivated, activationReady, which
 * `job create --status` shows). Cold trial: the same word was refused by one command and taken by the other. Returns
 * the one of `words` (Fieldline's spelling) it names, or undefined.
 */
export function statusWord<W extends string>(text: string, words: readonly W[]): W | undefined {
  const key = text.replaceAll('_', '').toLowerCase()
  return words.find((w) => w.toLowerCase() === key)
}
