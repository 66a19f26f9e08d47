import type { SyncStatus } from '../../src-shared/models/sync'

/** The status of a sync that is stopped, with no role known: what the renderer specs start from. */
export const STOPPED: SyncStatus = {
  state: 'stopped',
  reason: null,
  lastSyncAt: null,
  push: { docs: 0, pending: null },
  pull: { docs: 0, pending: null },
  firstSync: null,
  denied: [],
  deniedTotal: 0,
  role: null,
  roleAsOf: null,
  refused: [],
}
