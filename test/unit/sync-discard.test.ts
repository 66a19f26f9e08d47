import { describe, expect, it } from 'vitest'
import { restoredFrom, tombstoneOf, winnerOf, type Leaf } from '../../src-main/core/sync/discard'

const leaf = (rev: string, ancestors: string[] = [], deleted = false): Leaf => {
  const [pos, hash] = rev.split('-') as [string, string]
  return { _id: 'device:meter:m-1', _rev: rev, _revisions: { start: Number(pos), ids: [hash, ...ancestors] }, ...(deleted ? { _deleted: true } : {}) } as Leaf
}

describe('discard revisions', () => {
  it('picks the winner as PouchDB and CouchDB do: live first, then the longest history, then the larger hash', () => {
    expect(winnerOf([leaf('3-aa', ['b', 'c'], true), leaf('2-bb', ['c'])])?._rev).toBe('2-bb')
    expect(winnerOf([leaf('2-aa', ['c']), leaf('3-11', ['x', 'c'])])?._rev).toBe('3-11')
    expect(winnerOf([leaf('2-aa', ['c']), leaf('2-ff', ['c'])])?._rev).toBe('2-ff')
    expect(winnerOf([])).toBeUndefined()
  })

  it('writes a deletion under a leaf, and the server version as its own child whose hash loses a tie', () => {
    const tombstone = tombstoneOf(leaf('2-bb', ['c']))
    expect(tombstone).toMatchObject({ _id: 'device:meter:m-1', _deleted: true, _revisions: { start: 3, ids: [expect.stringMatching(/^[0-9a-f]{32}$/), 'bb', 'c'] } })
    expect(tombstone._rev).toBe(`3-${tombstone._revisions.ids[0]}`)

    const server = { ...leaf('1-cc'), description: 'team' } as Leaf
    const restored = restoredFrom(server)
    expect(restored).toMatchObject({ description: 'team', _revisions: { start: 2, ids: [expect.stringMatching(/^0000[0-9a-f]{28}$/), 'cc'] } })
    expect(restored._deleted).toBeUndefined()
    // The server's next revision at the same depth wins against it.
    expect(winnerOf([restored, leaf('2-0001abcd', ['cc'])])?._rev).toBe('2-0001abcd')
  })
})
