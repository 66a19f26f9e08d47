/**
 * Where secrets live. Documents in the workspace hold only references (`<profileId>/<field>`); the values
 * are kept by an implementation of this interface and never leave it except to the network client that
 * needs them. keytar is archived upstream, so it stays behind this seam (GitHub Desktop's ISecureStore).
 * The services of a workspace are given its view of the keychain, which adds the workspace's id to every account
 * (workspace-names.ts): they name accounts as here.
 */
export interface SecretStore {
  /** Stores or replaces the value; resolves true when a value was replaced. */
  set(account: string, value: string): Promise<boolean>
  /** For network clients inside the core only: never exposed over the bridge. */
  get(account: string): Promise<string | null>
  /** Removes the value; resolves true when there was one. */
  clear(account: string): Promise<boolean>
  has(account: string): Promise<boolean>
}

export const VAULT_SERVICE = 'fieldline'

export function secretAccount(profileId: string, field: string): string {
  return `${profileId}/${field}`
}
