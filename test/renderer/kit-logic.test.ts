import { describe, expect, it } from 'vitest'
import { naturalComparer, nextSort, sortRows, type Column } from '../../src-renderer/src/components/kit/data-table'
import { moveInGrid, nextIndex } from '../../src-renderer/src/components/kit/roving'

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

  it('walks the stops of a row in reading order, the buttons of a cell included', () => {
    expect(moveInGrid(shape, { row: 1, cell: 1, stop: 0 }, 'ArrowRight', false, 10)).toEqual({ row: 1, cell: 2, stop: 0 })
    expect(moveInGrid(shape, { row: 1, cell: 2, stop: 0 }, 'ArrowRight', false, 10)).toEqual({ row: 1, cell: 2, stop: 1 })
    expect(moveInGrid(shape, { row: 1, cell: 2, stop: 1 }, 'ArrowRight', false, 10)).toEqual({ row: 1, cell: 2, stop: 1 })
    expect(moveInGrid(shape, { row: 1, cell: 2, stop: 0 }, 'ArrowLeft', false, 10)).toEqual({ row: 1, cell: 1, stop: 0 })
    expect(moveInGrid(shape, { row: 1, cell: 1, stop: 0 }, 'ArrowLeft', false, 10)).toEqual({ row: 1, cell: 0, stop: 0 })
  })

  it('keeps the column up and down, and goes to the ends with Home, End and Ctrl', () => {
    expect(moveInGrid(shape, { row: 1, cell: 2, stop: 1 }, 'ArrowDown', false, 10)).toEqual({ row: 2, cell: 2, stop: 0 })
    expect(moveInGrid(shape, { row: 1, cell: 2, stop: 0 }, 'ArrowUp', false, 10)).toEqual({ row: 0, cell: 2, stop: 0 })
    expect(moveInGrid(shape, { row: 0, cell: 0, stop: 0 }, 'ArrowUp', false, 10)).toEqual({ row: 0, cell: 0, stop: 0 })
    expect(moveInGrid(shape, { row: 1, cell: 1, stop: 0 }, 'End', false, 10)).toEqual({ row: 1, cell: 2, stop: 1 })
    expect(moveInGrid(shape, { row: 1, cell: 2, stop: 1 }, 'Home', false, 10)).toEqual({ row: 1, cell: 0, stop: 0 })
    expect(moveInGrid(shape, { row: 1, cell: 1, stop: 0 }, 'End', true, 10)).toEqual({ row: 2, cell: 2, stop: 1 })
    expect(moveInGrid(shape, { row: 2, cell: 1, stop: 0 }, 'Home', true, 10)).toEqual({ row: 0, cell: 0, stop: 0 })
    expect(moveInGrid(shape, { row: 0, cell: 1, stop: 0 }, 'PageDown', false, 10)).toEqual({ row: 2, cell: 1, stop: 0 })
  })
})

describe('sorting', () => {
  const byName: Column<{ name: string; n: number | null }>[] = [{ id: 'name', label: 'Name', sortBy: (r) => r.name }, { id: 'n', label: 'N', sortBy: (r) => r.n }]
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
