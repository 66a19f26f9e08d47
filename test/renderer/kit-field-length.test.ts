/**
 * A field never cuts what the operator types or pastes: the browser cut a value at the input's `maxlength` without a
 * word (a pasted 37-character device ID became another device of 36, a 100-character saved-search name became 60).
 * The kit's fields take no `maxlength` (svelte-check refuses one); the length limit is the schema's, said under the
 * field by the form's checks, in the operator's language, with the value left as pasted.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { render } from 'svelte/server'
import { locale } from 'svelte-i18n'
import { beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'

await import('../../src-renderer/src/i18n')
const { default: Field } = await import('../../src-renderer/src/components/kit/Field.svelte')
const { default: TextAreaField } = await import('../../src-renderer/src/components/kit/TextAreaField.svelte')
const { FormModel } = await import('../../src-renderer/src/lib/form/form.svelte')

const pasted = 'm'.repeat(37)

/** A form whose one field, `name`, allows 36 characters and holds the pasted value; submitted once. */
async function submitted(): Promise<InstanceType<typeof FormModel>> {
  const form = new FormModel({ schema: z.object({ name: z.string().max(36) }), input: () => ({ name: pasted }) })
  let saved = false
  await form.submit(async () => {
    saved = true
    return { ok: true, value: null }
  })
  expect(saved).toBe(false)
  return form
}

/** The control of a field as rendered, and the problem under it. */
function shown(body: string): { control: string; problem: string | undefined } {
  const control = /<(input|textarea)\b[^>]*>/.exec(body)?.[0] ?? ''
  return { control, problem: /<p class="field-error"[^>]*>([^<]*)<\/p>/.exec(body)?.[1] }
}

describe('a value pasted longer than its schema allows', () => {
  beforeEach(async () => {
    await locale.set('en')
  })

  it.each([
    ['en', 'At most 36 characters.'],
    ['fr', '36 caractères au maximum.'],
  ])('%s: is kept as pasted in a one-line field, and the form says it is too long under the field', async (language, words) => {
    await locale.set(language)
    const form = await submitted()
    const { body } = render(Field, { props: { form, path: 'name', label: 'Name', value: pasted } })
    const { control, problem } = shown(body)
    expect(control).toContain(`value="${pasted}"`)
    expect(control).not.toMatch(/maxlength/i)
    expect(control).toContain('aria-invalid="true"')
    expect(problem).toBe(words)
  })

  it('is kept as pasted in a multi-line field too', async () => {
    const form = await submitted()
    const { body } = render(TextAreaField, { props: { form, path: 'name', label: 'Name', value: pasted } })
    const { control, problem } = shown(body)
    expect(body).toContain(`>${pasted}</textarea>`)
    expect(control).not.toMatch(/maxlength/i)
    expect(problem).toBe('At most 36 characters.')
  })
})

/**
 * The type stops a kit field from taking a `maxlength`; a plain <input> has no such guard. The only ones left are
 * boxes whose text narrows a list on screen and is neither saved nor sent to the core: the text cut is in plain view.
 */
const FILTER_BOXES = ['components/CommandPalette.svelte', 'features/mbed/LiveStream.svelte']

it('no other control of the renderer cuts its value at a maxlength', () => {
  const root = join(import.meta.dirname, '../../src-renderer/src')
  const cutting = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.svelte') && /\bmaxlength=/i.test(readFileSync(join(root, file), 'utf8')))
    .map((file) => relative(root, join(root, file)).replaceAll('\\', '/'))
  expect(cutting.sort()).toEqual(FILTER_BOXES)
})
