import type { ErrorInfo, Output, Result } from '../../../../src-shared/contract'
import { api } from '../api'

export type BucketList = Output<'historian:buckets'>
export type BucketDeletion = Output<'historian:deleteBuckets'>

/**
 * The bucket databases of one Cloudant/CouchDB destination and those its retention no longer keeps. Deleting cannot be
 * undone, so only the list the operator was shown is ever sent, and the core deletes a name only if it is still
 * expired; the list is read again after each deletion.
 */
export class BucketReview {
  readonly destination: string
  list = $state.raw<BucketList | null>(null)
  loading = $state(false)
  deleting = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  /** What the last deletion did, name by name. */
  outcome = $state.raw<BucketDeletion | null>(null)

  constructor(destination: string) {
    this.destination = destination
  }

  async load(): Promise<Result<BucketList>> {
    this.loading = true
    const result = await api.invoke('historian:buckets', { destination: this.destination })
    this.loading = false
    if (result.ok) {
      this.list = result.value
      this.error = null
    } else this.error = result.error
    return result
  }

  /** Deletes the expired buckets the operator confirmed: exactly the list on screen. */
  async deleteExpired(): Promise<Result<BucketDeletion> | null> {
    const databases = this.list?.expired ?? []
    if (databases.length === 0 || this.deleting) return null
    this.deleting = true
    const result = await api.invoke('historian:deleteBuckets', { destination: this.destination, databases: [...databases] })
    this.deleting = false
    await this.load()
    // After the new list, so that a refusal of the deletion stays on screen.
    if (result.ok) this.outcome = result.value
    else this.error = result.error
    return result
  }
}
