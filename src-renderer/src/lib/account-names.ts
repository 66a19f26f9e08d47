import type { Profile } from '../../../src-shared/models/profiles'
import { profileNameKey } from '../../../src-shared/models/profile-rules'

/**
 * Each carrier account (`jasper:<profile id>`) and the words that name it: its profile's name, or, for profiles whose
 * names read alike (profileNameKey, the rule profiles:save holds new names to; older profiles and synced ones may still
 * share one), the name with the id, « Nord (jasper-nord-1) », so that no two accounts read alike.
 */
export function accountNames(list: readonly Pick<Profile, 'extension' | 'id' | 'name'>[]): ReadonlyMap<string, string> {
  const shared = (p: Pick<Profile, 'extension' | 'name'>) => list.filter((o) => o.extension === p.extension && profileNameKey(o.name) === profileNameKey(p.name)).length > 1
  return new Map(list.map((p) => [`${p.extension}:${p.id}`, shared(p) ? `${p.name} (${p.id})` : p.name] as const))
}
