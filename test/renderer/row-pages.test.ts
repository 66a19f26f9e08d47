import { describe, expect, it } from 'vitest'
import { RowPages } from '../../src-renderer/src/lib/state/row-pages'

describe('the rows of a paged list', () => {
  it('show one slot per row, the pages read so far filled, the others empty', () => {
    const held = new RowPages<string>(3)
    held.reset(8)
    held.put(0, ['a', 'b', 'c'])
    held.put(2, ['g', 'h', 'past the end'])
    const rows = held.view()
    expect(rows).toHaveLength(8)
    expect([rows[0], rows[2], rows[3], rows[7], rows[8]]).toEqual(['a', 'c', undefined, 'h', undefined])
    // Array methods see the empty slots as holes, as in a sparse array.
    expect(rows.flatMap((r, i) => (r ? [i] : []))).toEqual([0, 1, 2, 6, 7])
    expect(rows.slice(1, 4)).toEqual(['b', 'c', undefined])
    expect(rows.find((r) => r === 'g')).toBe('g')
    expect(Array.isArray(rows)).toBe(true)
  })

  it('gives a new view when a page arrives, without copying the rows (a million slots cost nothing)', () => {
    const held = new RowPages<number>(100)
    held.reset(1_000_000)
    held.put(0, [1])
    const before = held.view()
    held.put(
      9_999,
      Array.from({ length: 100 }, (_, i) => i),
    )
    const after = held.view()
    expect(after).not.toBe(before)
    expect(after[999_999]).toBe(99)
    expect(Object.keys(after)).toEqual([])
  })

  it('forgets a dropped page and a new query, and follows a total that changed', () => {
    const held = new RowPages<string>(2)
    held.reset(4)
    held.put(0, ['a', 'b'])
    held.put(1, ['c', 'd'])
    held.drop(0)
    expect([...held.view()]).toEqual([undefined, undefined, 'c', 'd'])
    held.length = 3
    expect([...held.view()]).toEqual([undefined, undefined, 'c'])
    held.reset(1)
    expect([...held.view()]).toEqual([undefined])
  })

  it('cannot be written through its view', () => {
    const held = new RowPages<string>(2)
    held.reset(2)
    const rows = held.view() as string[]
    expect(() => {
      rows[0] = 'x'
    }).toThrow(TypeError)
  })
})
