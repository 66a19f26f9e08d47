import type { SyncStatus } from '../../../../src-shared/models/sync'
import type { Translate } from '../../i18n'

type FirstSync = NonNullable<SyncStatus['firstSync']>

/**
 * A first sync's progress in the operator's words. Until the server has said how many documents it holds (no answer
 * yet, or the credentials refused) there is no "of N": it said « 0 documents sur 0 en 0 lots » then, as if the server
 * were empty.
 */
export function firstSyncText(t: Translate, first: FirstSync): string {
  const { docs, total, batches, secondsLeft } = first
  if (total === null) {
    if (docs === 0) return t('sync.card.firstSyncReaching')
    return t('sync.card.firstSyncSoFar', { values: { docs, batches } })
  }
  const value = t('sync.card.firstSyncValue', { values: { docs, total, batches } })
  return secondsLeft === null ? value : value + t('sync.card.secondsLeft', { values: { seconds: secondsLeft } })
}
