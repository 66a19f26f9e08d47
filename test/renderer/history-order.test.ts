import { describe, expect, it } from 'vitest'
import type { HistoryEvent } from '../../src-shared/models/historian'
import { historyCsvLines } from '../../src-shared/models/history-csv'
import { sortRows, type Column } from '../../src-renderer/src/components/kit/data-table'
import { receivedRanks, seriesOf } from '../../src-renderer/src/lib/history-data'

/**
 * A burst: events 110 to 129 received in one millisecond, then one a millisecond later, read back in key order (time,
 * then event name, then sequence) as CouchDB gives them: the 'alarm' events of the burst before its 'status' ones.
 */
function burst(): HistoryEvent[] {
  const event = (n: number, ms: string, name: string): HistoryEvent => ({
    id: `org1:meter:m-1:2026-12-07T07:00:00.${ms}Z:${name}:0a1b2c3d4e${n.toString(36).padStart(6, '0')}`,
    typeId: 'meter',
    deviceId: 'm-1',
    eventId: name,
    format: 'json',
    timestamp: `2026-12-07T08:00:00.${ms}+01:00`,
    data: { n },
  })
  const inBurst = Array.from({ length: 20 }, (_, i) => 110 + i).map((n) => event(n, '123', n % 5 === 0 ? 'alarm' : 'status'))
  const read = [...inBurst.filter((e) => e.eventId === 'alarm'), ...inBurst.filter((e) => e.eventId === 'status')]
  return [...read, event(130, '124', 'status')]
}

const numbers = (events: readonly HistoryEvent[]) => events.map((e) => (e.data as { n: number }).n)
const upTo130 = Array.from({ length: 21 }, (_, i) => 110 + i)

describe('a device history in the order its events were received', () => {
  it('sorts the table newest first, a burst of one millisecond newest first too, and oldest first the other way', () => {
    const items = burst()
    const ranks = receivedRanks(items)
    const columns: Column<HistoryEvent>[] = [{ id: 'time', label: 'Time', sortBy: (e) => ranks.get(e.id) }]
    // Cold trial: by time alone, a burst kept the order it was read in, "119…129, 118, 114…117" newest first.
    expect(numbers(sortRows(items, columns, { column: 'time', direction: 'descending' }, 'en'))).toEqual([...upTo130].reverse())
    expect(numbers(sortRows(items, columns, { column: 'time', direction: 'ascending' }, 'en'))).toEqual(upTo130)
  })

  it('draws the chart and writes the CSV in the same order', () => {
    const items = burst()
    expect(seriesOf(items, 'n').map((p) => p.value)).toEqual(upTo130)
    const csv = historyCsvLines(items)
    expect(csv.slice(1).map((line) => Number(line.split(',').at(-1)))).toEqual(upTo130)
  })
})
