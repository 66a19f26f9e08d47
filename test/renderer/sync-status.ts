import { stoppedSyncStatus, type SyncStatus } from '../../src-shared/models/sync'

/** The status of a sync that is stopped, with no role known: what the renderer specs start from. */
export const STOPPED: SyncStatus = stoppedSyncStatus(true)
