/** What a handler receives besides its validated input: who asked, for the audit trail. */
export interface CallContext {
  actor: string
}
