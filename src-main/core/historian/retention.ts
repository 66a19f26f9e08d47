/**
 * Retention in buckets (docs/wire/couchdb-kafka.md §1.3: Cloudant Standard allows 200 databases, day buckets pass that in about
 * six and a half months). The destination keeps its `retentionBuckets` newest buckets, the current one included; older
 * bucket databases are listed as expired, and deleted only when the operator confirms that list (a deletion cannot be
 * undone). A name that is not expired at the moment of deletion, or not one of this destination's buckets, is refused.
 */
import type { BucketInterval } from '../../../src-shared/models/historian'
import type { ErrorInfo } from '../../../src-shared/contract'
import { AppError } from '../common/errors'
import { bucketAt, bucketKeyOf, dbPrefix, previousBucket } from './buckets'
import type { CouchClient } from './couch.client'
import { asDeliveryError } from './delivery-error'

export interface RetentionScope {
  org: string
  namePart: string
  interval: BucketInterval
  zone: string
  retentionBuckets: number
}

export interface BucketList {
  retentionBuckets: number
  databases: { name: string; bucket: string }[]
  expired: string[]
}

/** The oldest bucket key the retention keeps, or null when every bucket is kept. */
export function oldestKept(scope: RetentionScope, now: number): string | null {
  if (scope.retentionBuckets <= 0) return null
  let b = bucketAt(now, scope.zone, scope.interval)
  for (let i = 1; i < scope.retentionBuckets; i++) b = previousBucket(b, scope.interval)
  return b.key
}

export async function listBuckets(client: CouchClient, scope: RetentionScope, now: number): Promise<BucketList> {
  const prefix = dbPrefix(scope.org, scope.namePart)
  const databases = (await client.listDbs())
    .map((name) => ({ name, bucket: bucketKeyOf(name, prefix, scope.interval) }))
    .filter((d): d is { name: string; bucket: string } => d.bucket !== null)
    .sort((a, b) => a.bucket.localeCompare(b.bucket))
  const keep = oldestKept(scope, now)
  return { retentionBuckets: scope.retentionBuckets, databases, expired: keep === null ? [] : databases.filter((d) => d.bucket < keep).map((d) => d.name) }
}

export async function deleteExpired(
  client: CouchClient,
  scope: RetentionScope,
  confirmed: readonly string[],
  now: number,
): Promise<{ deleted: string[]; refused: { name: string; reason: ErrorInfo }[] }> {
  const expired = new Set((await listBuckets(client, scope, now)).expired)
  const deleted: string[] = []
  const refused: { name: string; reason: ErrorInfo }[] = []
  for (const name of new Set(confirmed)) {
    if (!expired.has(name)) {
      refused.push({
        name,
        reason: AppError.withRef('VALIDATION', `${name} is not an expired bucket of this destination: it was not deleted`, { key: 'historian.notExpired', params: { name } }).toInfo(),
      })
      continue
    }
    try {
      await client.deleteDb(name)
      deleted.push(name)
    } catch (e) {
      refused.push({ name, reason: asDeliveryError(e).toInfo() })
    }
  }
  return { deleted, refused }
}
