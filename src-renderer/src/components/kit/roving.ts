/**
 * Keyboard movement in a list with one Tab stop (the roving tabindex of WAI-ARIA's practices): the keys that move the
 * active row, and where each one takes it. Pure, so the rules are tested without a browser.
 */

export const LIST_KEYS = ['ArrowDown', 'ArrowUp', 'Home', 'End', 'PageDown', 'PageUp'] as const
export type ListKey = (typeof LIST_KEYS)[number]

export function isListKey(key: string): key is ListKey {
  return (LIST_KEYS as readonly string[]).includes(key)
}

/** The row a key moves to from `current` in a list of `count` rows, `page` of which fit on screen. */
export function nextIndex(key: ListKey, current: number, count: number, page: number): number {
  if (count <= 0) return 0
  const step = Math.max(1, page - 1)
  const target = (() => {
    switch (key) {
      case 'ArrowDown':
        return current + 1
      case 'ArrowUp':
        return current - 1
      case 'Home':
        return 0
      case 'End':
        return count - 1
      case 'PageDown':
        return current + step
      case 'PageUp':
        return current - step
    }
  })()
  return Math.max(0, Math.min(count - 1, target))
}

/** Where a cell is in a grid: its row, its cell in that row, and which focusable stop inside the cell. */
export interface GridPosition {
  row: number
  cell: number
  stop: number
}

export const GRID_KEYS = ['ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageDown', 'PageUp'] as const
export type GridKey = (typeof GRID_KEYS)[number]

export function isGridKey(key: string): key is GridKey {
  return (GRID_KEYS as readonly string[]).includes(key)
}

/**
 * The position a key moves to in a grid. `shape[row][cell]` is how many stops the cell holds: a cell with buttons
 * holds one per button (each is reached with the arrows), any other cell one (the cell itself). Left and Right walk
 * the stops of the row in reading order; Up and Down keep the column; Home and End go to the row's ends, or with Ctrl
 * to the grid's first and last cell.
 */
export function moveInGrid(shape: readonly (readonly number[])[], from: GridPosition, key: GridKey, ctrl: boolean, page: number): GridPosition {
  const rows = shape.length
  if (rows === 0) return from
  const clampRow = (row: number) => Math.max(0, Math.min(rows - 1, row))
  const cellsOf = (row: number) => shape[row] ?? []
  const inRow = (row: number, cell: number, stop: number): GridPosition => {
    const cells = cellsOf(row)
    const c = Math.max(0, Math.min(cells.length - 1, cell))
    return { row, cell: c, stop: Math.max(0, Math.min((cells[c] ?? 1) - 1, stop)) }
  }
  const vertical = (row: number) => inRow(clampRow(row), from.cell, 0)
  const step = Math.max(1, page - 1)
  switch (key) {
    case 'ArrowDown':
      return vertical(from.row + 1)
    case 'ArrowUp':
      return vertical(from.row - 1)
    case 'PageDown':
      return vertical(from.row + step)
    case 'PageUp':
      return vertical(from.row - step)
    case 'Home':
      return ctrl ? inRow(0, 0, 0) : inRow(from.row, 0, 0)
    case 'End': {
      const row = ctrl ? rows - 1 : from.row
      const cells = cellsOf(row)
      return inRow(row, cells.length - 1, (cells[cells.length - 1] ?? 1) - 1)
    }
    case 'ArrowRight': {
      const cells = cellsOf(from.row)
      if (from.stop + 1 < (cells[from.cell] ?? 1)) return { ...from, stop: from.stop + 1 }
      return from.cell + 1 < cells.length ? { row: from.row, cell: from.cell + 1, stop: 0 } : from
    }
    case 'ArrowLeft': {
      if (from.stop > 0) return { ...from, stop: from.stop - 1 }
      if (from.cell === 0) return from
      const cells = cellsOf(from.row)
      return { row: from.row, cell: from.cell - 1, stop: (cells[from.cell - 1] ?? 1) - 1 }
    }
  }
}
