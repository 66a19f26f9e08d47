import type { ErrorInfo } from '../../../src-shared/contract'
import type { Translate } from '../i18n'
import { errorText } from './errors'
import type { DeletionTexts } from './state/trash.svelte'

/** The words of a deletion's notice and its Undo, for the thing called `name` (its target in the trash). */
export function deletionTexts(t: Translate, name: string, done: string, refused: (error: ErrorInfo) => string = (error) => errorText(t, error)): DeletionTexts {
  return {
    done,
    undo: t('trash.undo'),
    undoName: t('trash.undoLabel', { values: { target: name } }),
    restored: t('trash.restored', { values: { target: name } }),
    refused,
  }
}
