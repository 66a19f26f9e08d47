import { CSV_BOM, EXPORT_MEDIA_TYPES } from '../../../src-shared/models/export-format'

/**
 * Hands a file to the operator the one way both the Electron window and a browser on serve mode offer (serve mode has
 * no file system of its own): a download of a Blob.
 */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const anchor = document.createElement('a')
  anchor.href = url
  anchor.download = name
  // Some browsers follow only an anchor that is in the document.
  document.body.append(anchor)
  anchor.click()
  anchor.remove()
  // The download has taken its copy once click() returns; a delay covers browsers that read the URL later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A CSV file to save: with UTF-8's byte-order mark, so a spreadsheet reads its accents right (export-format.ts). */
export const csvBlob = (parts: readonly BlobPart[]): Blob => new Blob([CSV_BOM, ...parts], { type: EXPORT_MEDIA_TYPES.csv })
