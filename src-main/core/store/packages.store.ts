import type { DmPackage } from '../../../src-shared/models/packages'
import { getOrNull, type BaseDoc, type Db } from './documents'

/**
 * A custom device-management package as the operator added it: the original text (exported as it was given)
 * and the validated, normalised value the rest of the core reads.
 */
export interface PackageDoc extends BaseDoc {
  kind: 'package'
  bundleId: string
  text: string
  value: DmPackage
  addedAt: string
  updatedAt: string
}

export function packageDocId(bundleId: string): string {
  return `package:${bundleId}`
}

export function getPackageDoc(db: Db, bundleId: string): Promise<(PackageDoc & { _rev: string }) | null> {
  return getOrNull<PackageDoc>(db, packageDocId(bundleId))
}

export async function listPackageDocs(db: Db): Promise<PackageDoc[]> {
  const page = await db.allDocs({ include_docs: true, startkey: 'package:', endkey: 'package:\ufff0' })
  return page.rows.map((r) => r.doc as unknown as PackageDoc)
}
