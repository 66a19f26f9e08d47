import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { parseOrThrow } from '../../src-main/core/common/validation'
import type { AppError } from '../../src-main/core/common/errors'
import { describeIssue, issueFacts, type InputIssue } from '../../src-shared/models/input-issues'

/** The one issue a value gets from `schema`, worded with `name` for the field. */
function said(schema: z.ZodType, value: unknown, name = '--x'): string {
  const parsed = z.object({ x: schema }).strict().safeParse({ x: value })
  if (parsed.success) throw new Error('expected a refusal')
  const issue = parsed.error.issues[0]!
  return describeIssue(name, issueFacts(issue, issue.path.join('.'), { input: { x: value } }))
}

describe('a refused value in plain words (not zod\'s "Too big: expected string to have <=1000 characters")', () => {
  it('says a length, a count or a number against its bound with what was given, grouped', () => {
    expect(said(z.string().max(1000), 'a'.repeat(3000), '--description')).toBe('--description is too long: 3,000 characters, at most 1,000')
    expect(said(z.string().min(3), 'ab')).toBe('--x is too short: 2 characters, at least 3')
    expect(said(z.string().min(1), '', '<typeId>')).toBe('<typeId> must not be empty')
    expect(said(z.array(z.string()).max(2), ['a', 'b', 'c'])).toBe('--x has too many entries: 3, at most 2')
    expect(said(z.number().max(1000), 12_000)).toBe('--x is too large: 12,000, at most 1,000')
    expect(said(z.number().positive(), -1)).toBe('--x is too small: -1, it must be above 0')
    expect(said(z.number().int(), 1.5)).toBe('--x must be a whole number (got 1.5)')
  })

  it('says the values a field takes, the type it takes, and a missing one', () => {
    expect(said(z.enum(['jasper', 'atnt']), 'orange', '--carrier')).toBe('--carrier must be one of jasper, atnt')
    expect(said(z.boolean(), 'yes')).toBe('--x must be true or false')
    expect(said(z.string(), undefined)).toBe('--x is required')
    expect(said(z.string().datetime(), 'yesterday', '--since')).toMatch(/^--since must be a date and time in ISO 8601 with a time zone/)
    expect(said(z.union([z.number(), z.boolean()]), 'x')).toBe('--x is not valid')
  })

  it("keeps a schema's own words, after the name or after a colon", () => {
    expect(said(z.string().regex(/^[a-z]+$/, 'must be letters a–z'), '1', '<typeId>')).toBe('<typeId> must be letters a–z')
    expect(
      said(
        z.string().refine(() => false, 'the end comes before the start'),
        'x',
        '--to',
      ),
    ).toBe('--to: the end comes before the start')
  })

  it('names a few unknown keys, clipped, however many were sent', () => {
    const sent = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}${'x'.repeat(200)}`, 1]))
    const parsed = z.object({}).strict().safeParse(sent)
    const facts = issueFacts(parsed.error!.issues[0]!, '', { input: sent })
    const text = describeIssue('', facts)
    expect(text).toMatch(/^the input has 500 fields Fieldline does not know: k0x+, /)
    expect(text.endsWith(', …')).toBe(true)
    expect(text.length).toBeLessThan(1000)
  })

  it("gives the core's message and the bridge's issues the same words, with the field's path for its name", () => {
    const schema = z.object({ typeId: z.string().regex(/^\w{1,36}$/, 'must be 1–36 letters'), description: z.string().max(1000) }).strict()
    let error: AppError | undefined
    try {
      parseOrThrow(schema, { typeId: 'ok', description: 'd'.repeat(3000) }, 'input for devices:add')
    } catch (e) {
      error = e as AppError
    }
    expect(error?.message).toBe('Invalid input for devices:add: description is too long: 3,000 characters, at most 1,000')
    expect(error?.details?.issues).toEqual([
      { path: 'description', message: 'Too big: expected string to have <=1000 characters', problem: 'tooLong', limit: 1000, given: 3000 },
    ] satisfies InputIssue[])
  })
})
