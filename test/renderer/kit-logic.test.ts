import { describe, expect, it } from 'vitest'
import { naturalComparer, nextSort, sortRows, type Column } from '../../src-renderer/src/components/kit/data-table'
import { moveInGrid, nextIndex, type GridKey, type GridPosition } from '../../src-renderer/src/components/kit/roving'
import { MAX_SCROLL_HEIGHT, offsetToShow, rowAt, rowScale, rowsOffset, rowTop, scrollTopFor } from '../../src-renderer/src/components/kit/row-scale'

describe('list keys (one Tab stop, the active row moves)', () => {
  it('moves by one, to the ends, and by a screenful less one row, never past the list', () => {
    expect(nextIndex('ArrowDown', 3, 10, 5)).toBe(4)
    expect(nextIndex('ArrowUp', 0, 10, 5)).toBe(0)
    expect(nextIndex('ArrowDown', 9, 10, 5)).toBe(9)
    expect(nextIndex('Home', 7, 10, 5)).toBe(0)
    expect(nextIndex('End', 2, 10, 5)).toBe(9)
    expect(nextIndex('PageDown', 2, 10, 5)).toBe(6)
    expect(nextIndex('PageDown', 8, 10, 5)).toBe(9)
    expect(nextIndex('PageUp', 2, 10, 5)).toBe(0)
    expect(nextIndex('End', 0, 0, 5)).toBe(0)
  })
})

describe('grid keys (a table is one Tab stop; cells and their buttons are reached with the arrows)', () => {
  // A header row of three cells, then rows whose last cell holds two buttons.
  const shape = [
    [1, 1, 1],
    [1, 1, 2],
    [1, 1, 2],
  ]

  const at = (row: number, cell: number, stop = 0) => ({ row, cell, stop })

  it.each<[string, GridPosition, GridKey, boolean, GridPosition]>([
    ['walks a row in reading order, into the buttons of a cell', at(1, 1), 'ArrowRight', false, at(1, 2)],
    ['goes from a cell to its second button', at(1, 2), 'ArrowRight', false, at(1, 2, 1)],
    ['stops at the end of a row', at(1, 2, 1), 'ArrowRight', false, at(1, 2, 1)],
    ['goes back a cell', at(1, 2), 'ArrowLeft', false, at(1, 1)],
    ['goes back to the first cell', at(1, 1), 'ArrowLeft', false, at(1, 0)],
    ['keeps the column going down, at its first stop', at(1, 2, 1), 'ArrowDown', false, at(2, 2)],
    ['keeps the column going up into the header', at(1, 2), 'ArrowUp', false, at(0, 2)],
    ['stops at the header', at(0, 0), 'ArrowUp', false, at(0, 0)],
    ['goes to the last stop of the row with End', at(1, 1), 'End', false, at(1, 2, 1)],
    ['goes to the first cell of the row with Home', at(1, 2, 1), 'Home', false, at(1, 0)],
    ['goes to the last stop of the table with Ctrl+End', at(1, 1), 'End', true, at(2, 2, 1)],
    ['goes to the first cell of the table with Ctrl+Home', at(2, 1), 'Home', true, at(0, 0)],
    ['stops at the last row with PageDown', at(0, 1), 'PageDown', false, at(2, 1)],
  ])('%s', (_name, from, key, ctrl, to) => {
    expect(moveInGrid(shape, from, key, ctrl, 10)).toEqual(to)
  })
})

describe('sorting', () => {
  const byName: Column<{ name: string; n: number | null }>[] = [
    { id: 'name', label: 'Name', sortBy: (r) => r.name },
    { id: 'n', label: 'N', sortBy: (r) => r.n },
  ]
  const rows = [
    { name: 'gw-10', n: 3 },
    { name: 'GW-2', n: null },
    { name: 'gw-1', n: 10 },
    { name: 'gw-2', n: 2 },
  ]

  it('orders names naturally: gw-2 before gw-10, case aside, ties in their original order', () => {
    expect(sortRows(rows, byName, { column: 'name', direction: 'ascending' }, 'en').map((r) => r.name)).toEqual(['gw-1', 'GW-2', 'gw-2', 'gw-10'])
    expect(sortRows(rows, byName, { column: 'name', direction: 'descending' }, 'en').map((r) => r.name)).toEqual(['gw-10', 'GW-2', 'gw-2', 'gw-1'])
  })

  it('orders numbers as numbers and keeps empty values last in both directions', () => {
    expect(sortRows(rows, byName, { column: 'n', direction: 'ascending' }, 'en').map((r) => r.n)).toEqual([2, 3, 10, null])
    expect(sortRows(rows, byName, { column: 'n', direction: 'descending' }, 'en').map((r) => r.n)).toEqual([10, 3, 2, null])
  })

  it('leaves the rows as they came when nothing is sorted, and flips the direction on a second click', () => {
    expect(sortRows(rows, byName, null, 'en')).toBe(rows)
    expect(nextSort(null, 'name')).toEqual({ column: 'name', direction: 'ascending' })
    expect(nextSort({ column: 'name', direction: 'ascending' }, 'name')).toEqual({ column: 'name', direction: 'descending' })
    expect(nextSort({ column: 'name', direction: 'descending' }, 'n')).toEqual({ column: 'n', direction: 'ascending' })
    expect(naturalComparer('fr')('é-2', 'e-10')).toBeLessThan(0)
  })
})

describe('rows of a list taller than a browser can scroll', () => {
  const VIEWPORT = 500
  const H = 40

  it('scroll a list that fits pixel for pixel', () => {
    const scale = rowScale(1000, H, VIEWPORT)
    expect(scale).toEqual({ total: 40_000, height: 40_000, ratio: 1 })
    expect(rowsOffset(scale, 1234)).toBe(1234)
    expect(rowTop(scale, 1234, 30, H)).toBe(1200)
  })

  it('keep a million comfortable rows in a box a browser lays out, the last one reached at the bottom of it', () => {
    const count = 1_000_000
    const scale = rowScale(count, H, VIEWPORT)
    expect(scale.total).toBe(40_000_000)
    expect(scale.height).toBe(MAX_SCROLL_HEIGHT)
    expect(scale.height).toBeLessThan(17_800_000)
    // Scrolled to the bottom, the last row ends where the viewport does.
    const bottom = scale.height - VIEWPORT
    const offset = rowsOffset(scale, bottom)
    expect(offset).toBeCloseTo(scale.total - VIEWPORT, 3)
    expect(rowAt(offset + VIEWPORT - 1, H, count)).toBe(count - 1)
    expect(rowTop(scale, bottom, count - 1, H) + H).toBeCloseTo(scale.height, 3)
    // End: the offset that shows the last row, and the scroll position for it, within the box.
    const target = offsetToShow(count - 1, H, VIEWPORT, 0)
    expect(target).toBe(scale.total - VIEWPORT)
    expect(scrollTopFor(scale, target)).toBeCloseTo(bottom, 3)
    // The top of the box shows the first row, at its place.
    expect(rowTop(scale, 0, 0, H)).toBe(0)
  })

  it('bring a row into view at the nearest edge, or leave the view as it is when the row is whole in it', () => {
    expect(offsetToShow(5, H, VIEWPORT, 0)).toBe(0)
    expect(offsetToShow(20, H, VIEWPORT, 0)).toBe(20 * H + H - VIEWPORT)
    expect(offsetToShow(2, H, VIEWPORT, 400)).toBe(80)
    expect(offsetToShow(20, H, VIEWPORT, 0, 'start')).toBe(800)
    expect(rowAt(-5, H, 10)).toBe(0)
    expect(rowAt(10_000, H, 10)).toBe(9)
  })
})
