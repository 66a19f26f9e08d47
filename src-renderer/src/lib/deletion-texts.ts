import type { ErrorInfo } from '../../../src-shared/contract'
import { errorText } from './errors'
import type { NoticeText } from './state/notices.svelte'
import type { DeletionTexts } from './state/trash.svelte'

/** The words of a deletion's notice and its Undo, for the thing called `name` (its target in the trash). */
export function deletionTexts(name: string, done: NoticeText, refused: (error: ErrorInfo) => NoticeText = (error) => (t) => errorText(t, error)): DeletionTexts {
  return {
    done,
    undo: (t) => t('trash.undo'),
    undoName: (t) => t('trash.undoLabel', { values: { target: name } }),
    restored: (t) => t('trash.restored', { values: { target: name } }),
    refused,
  }
}
