import { describe, expect, it } from 'vitest'
import { instantOption } from '../../src-main/cli/instant-option'

const refusal = (option: string, value: string): string => {
  try {
    instantOption(option, value)
  } catch (e) {
    return (e as Error).message
  }
  return 'accepted'
}

describe('a date-and-time option (locate --measured-at, history --from/--to, sim --since, orange --changed-since)', () => {
  it('takes ISO 8601 with seconds and a time zone, as the core does, and gives its instant', () => {
    expect(instantOption('--from', '2026-02-28T10:00:00Z')).toEqual({ text: '2026-02-28T10:00:00Z', ms: Date.UTC(2026, 1, 28, 10) })
    expect(instantOption('--from', '2024-02-29T23:59:59.250+01:00').ms).toBe(Date.UTC(2024, 1, 29, 22, 59, 59, 250))
  })

  it('says a day or time that does not exist does not, rather than that the text is not ISO 8601 (cold trial)', () => {
    // JavaScript's Date reads it as 3 March: the option named no instant, and nothing said so.
    expect(refusal('--measured-at', '2026-02-31T10:00:00Z')).toBe('fieldline: --measured-at "2026-02-31T10:00:00Z" is not a date and time that exists: February 2026 has no day 31 (it has 28)')
    expect(refusal('--from', '2026-02-29T10:00:00Z')).toBe('fieldline: --from "2026-02-29T10:00:00Z" is not a date and time that exists: February 2026 has no day 29 (it has 28)')
    expect(refusal('--to', '2026-13-01T10:00:00Z')).toBe('fieldline: --to "2026-13-01T10:00:00Z" is not a date and time that exists: there is no month 13')
    expect(refusal('--since', '2026-01-01T25:00:00Z')).toBe(
      'fieldline: --since "2026-01-01T25:00:00Z" is not a date and time that exists: that time of day does not exist (hours 00 to 23, minutes and seconds 00 to 59)',
    )
    expect(refusal('--since', '2026-01-01T10:00:00+24:00')).toBe(
      'fieldline: --since "2026-01-01T10:00:00+24:00" is not a date and time that exists: that time zone offset does not exist (at most ±23:59)',
    )
  })

  it('refuses a text in another form by its form, with an example', () => {
    for (const value of ['2026-01-01', '2026-01-01T10:00:00', '2026-01-01T10:00Z', 'yesterday', '2026-01-01t10:00:00z'])
      expect(refusal('--changed-since', value)).toBe(`fieldline: --changed-since must be an ISO 8601 date and time with a time zone, e.g. 2026-01-31T08:00:00Z (got ${JSON.stringify(value)})`)
  })
})
