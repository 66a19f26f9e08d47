/**
 * Benchmark (not a test): what a page arriving in a long list costs the renderer at 1,000,000 rows (ROWS=N to change):
 * the rows held as pages (RowPages, what PagedRows uses) against the copy of a sparse array of one slot per row that
 * PagedRows made before, measured in the same run. Prints the time and CPU per page and per new query, with the load.
 */
import { loadavg } from 'node:os'
import { RowPages } from '../../src-renderer/src/lib/state/row-pages'

const ROWS = Number(process.env.ROWS ?? 1_000_000)
const PAGE = 100
const PAGES = 200
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
const items = Array.from({ length: PAGE }, (_, i) => ({ deviceId: `dev-${i}` }))

function measure(name: string, newQuery: () => void, page: (n: number) => void): void {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  newQuery()
  const queryMs = performance.now() - t0
  const t1 = performance.now()
  const cpu1 = process.cpuUsage()
  for (let n = 1; n <= PAGES; n++) page(Math.floor((n * 7919) % (ROWS / PAGE)))
  const pageMs = (performance.now() - t1) / PAGES
  const cpu = process.cpuUsage(cpu1)
  const all = process.cpuUsage(cpu0)
  console.log(
    `${name.padEnd(40)} new query ${queryMs.toFixed(2)} ms; per page ${pageMs.toFixed(3)} ms wall, ${((cpu.user + cpu.system) / 1000 / PAGES).toFixed(3)} ms CPU (${((all.user + all.system) / 1000).toFixed(0)} ms CPU in all); load ${load()}`,
  )
}

for (let round = 1; round <= 2; round++) {
  console.log(`-- round ${round}, ${ROWS.toLocaleString('en-US')} rows, ${PAGES} pages of ${PAGE}`)
  let copied: ({ deviceId: string } | undefined)[] = []
  measure(
    'before: one array slot per row, copied',
    () => {
      copied = new Array(ROWS)
      items.forEach((item, i) => (copied[i] = item))
    },
    (n) => {
      const rows = copied.slice()
      items.forEach((item, i) => (rows[n * PAGE + i] = item))
      copied = rows
    },
  )
  const held = new RowPages<{ deviceId: string }>(PAGE)
  // Each view is read where its page landed, as the list on screen would read it.
  let shown = 0
  measure(
    'now: pages held, a view over them',
    () => {
      held.reset(ROWS)
      held.put(0, items)
      if (held.view()[0]) shown++
    },
    (n) => {
      held.put(n, items)
      if (held.view()[n * PAGE]) shown++
    },
  )
  if (shown !== PAGES + 1) throw new Error(`${shown} of ${PAGES + 1} pages were found in their views`)
}
