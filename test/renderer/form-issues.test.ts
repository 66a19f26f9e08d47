import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterEach, describe, expect, it } from 'vitest'
import { channels, type MessageRef } from '../../src-shared/contract'
import { inviteInputSchema, mailSaveSchema } from '../../src-shared/models/mail'
import { controlCenterProfileSaveSchema, mbedProfileSaveSchema } from '../../src-shared/models/profiles'
import { secureUrlProblem } from '../../src-shared/models/transport-rules'
import { formErrors } from '../../src-renderer/src/lib/form/issues'
import { FormModel, placeServerError } from '../../src-renderer/src/lib/form/form.svelte'
import { translateRef, type Translate } from '../../src-renderer/src/i18n'

/** A Control Center save as the form sends it, with what a test changes. */
function carrier(settings: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  return { extension: 'jasper', name: 'Lab', settings: { baseUrl: 'https://cc.example.com', username: 'ops', concurrency: 1, perSecond: 5, ...settings }, secrets: {}, ...rest }
}

describe('the form kit: zod issues of the contract in the operator’s words', () => {
  it('reads a blank text as "required" and a long one with the schema’s own limit', () => {
    expect(formErrors({ schema: controlCenterProfileSaveSchema }, carrier({}, { name: '   ' }))).toEqual({ name: { key: 'form.required' } })
    expect(formErrors({ schema: controlCenterProfileSaveSchema }, carrier({ username: 'u'.repeat(201) }))).toEqual({ 'settings.username': { key: 'form.tooLong', params: { max: 200 } } })
  })

  it('names a number’s range from the schema, whole or not, also for an empty number field (NaN)', () => {
    const errors = formErrors({ schema: controlCenterProfileSaveSchema }, carrier({ concurrency: Number.NaN, perSecond: 90 }))
    expect(errors).toEqual({
      'settings.concurrency': { key: 'form.wholeRange', params: { min: 1, max: 4 } },
      'settings.perSecond': { key: 'form.numberRange', params: { min: 0.2, max: 50 } },
    })
    expect(formErrors({ schema: controlCenterProfileSaveSchema }, carrier({ concurrency: 2.5 }))['settings.concurrency']).toEqual({ key: 'form.wholeRange', params: { min: 1, max: 4 } })
    const queue = formErrors({ schema: mbedProfileSaveSchema }, { extension: 'mbed', name: 'm', settings: { queueSize: 5 }, secrets: {} })
    expect(queue['settings.queueSize']).toEqual({ key: 'form.wholeRange', params: { min: 100, max: 1_000_000 } })
  })

  it('uses the message key a schema gives a custom issue, with the field’s path as the core does', () => {
    const errors = formErrors({ schema: inviteInputSchema }, { name: 'Ada', email: 'Ada <ada@example.com>', role: 'viewer', language: 'en' })
    expect(errors).toEqual({ email: { key: 'mail.invalidAddress', params: { field: 'email' } } })
  })

  it('names a line break in a mail header as an injection attempt, before anything else about the value', () => {
    const errors = formErrors({ schema: inviteInputSchema }, { name: '\u2028', email: 'ada@example.com', role: 'viewer', language: 'en' })
    expect(errors.name).toEqual({ key: 'mail.headerInjection', params: { field: 'name' } })
  })

  it('says "at most N characters" for one-line text that is only too long', () => {
    const errors = formErrors({ schema: mailSaveSchema }, { mode: 'sendgridApiKey', organisation: 'o'.repeat(121), settings: { adminName: 'Ada', adminEmail: 'ada@example.com' }, secrets: {} })
    expect(errors).toEqual({ organisation: { key: 'form.tooLong', params: { max: 120 } } })
  })

  it('takes the words a form gives a field, and the checks the schema cannot say on the fields it passed', () => {
    const pattern = () => ({ key: 'devices.addForm.pattern' })
    const rules = { schema: channels['devices:add'].input, words: { typeId: pattern, deviceId: pattern } }
    expect(formErrors(rules, { typeId: 'meter', deviceId: 'has space', description: '' })).toEqual({ deviceId: { key: 'devices.addForm.pattern' } })
    expect(formErrors(rules, { typeId: '', deviceId: 'ok', description: '' })).toEqual({ typeId: { key: 'form.required' } })
    const checked = { schema: controlCenterProfileSaveSchema, checks: (i: ReturnType<typeof carrier>) => ({ 'settings.baseUrl': secureUrlProblem(i.settings.baseUrl) }) }
    expect(formErrors(checked, carrier({ baseUrl: 'http://cc.example.com' }))).toEqual({ 'settings.baseUrl': { key: 'errors.insecureUrl', params: { url: 'http://cc.example.com' } } })
    // The schema's own problem comes first: an empty URL is "required", not "not a valid URL".
    expect(formErrors(checked, carrier({ baseUrl: '' }))).toEqual({ 'settings.baseUrl': { key: 'form.required' } })
  })

  it('finds nothing wrong with a valid input', () => {
    expect(formErrors({ schema: controlCenterProfileSaveSchema }, carrier())).toEqual({})
  })
})

describe('placing a refusal of the core', () => {
  const shown = (path: string) => ['name', 'settings.baseUrl', 'email'].includes(path)

  it('puts a refusal the form knows by its key at its field', () => {
    const error = { code: 'VALIDATION' as const, message: 'insecure', details: { ref: { key: 'errors.insecureUrl', params: { url: 'http://x' } } } }
    expect(placeServerError(error, { 'errors.insecureUrl': 'settings.baseUrl' }, shown)).toEqual({ path: 'settings.baseUrl', ref: error.details.ref })
  })

  it('puts a refusal at the field the core named before the field its key is mapped to: one key can be about two URLs', () => {
    const shownBoth = (path: string) => ['settings.url', 'settings.restUrl'].includes(path)
    const error = { code: 'VALIDATION' as const, message: 'insecure', details: { ref: { key: 'errors.insecureUrl', params: { url: 'http://x', field: 'settings.restUrl' } } } }
    expect(placeServerError(error, { 'errors.insecureUrl': 'settings.url' }, shownBoth)?.path).toBe('settings.restUrl')
  })

  it('puts a refusal at the field the core named, or at the first offending path with the core’s words', () => {
    const named = { code: 'VALIDATION' as const, message: 'bad', details: { ref: { key: 'mail.invalidName', params: { field: 'name' } } } }
    expect(placeServerError(named, {}, shown)?.path).toBe('name')
    const plain = {
      code: 'VALIDATION' as const,
      message: 'bad',
      details: {
        ref: { key: 'errors.invalidInput' },
        issues: [
          { path: 'role', message: 'bad role' },
          { path: 'email', message: 'must be an email' },
        ],
      },
    }
    expect(placeServerError(plain, {}, shown)).toEqual({ path: 'email', ref: { key: 'form.refused', params: { reason: 'must be an email' } } })
  })

  it('leaves a refusal about no shown field, or about no field at all, to the form’s foot', () => {
    expect(placeServerError({ code: 'VALIDATION', message: 'x', details: { issues: [{ path: 'secrets', message: 'is required' }] } }, {}, shown)).toBeNull()
    expect(placeServerError({ code: 'NETWORK', message: 'down' }, {}, shown)).toBeNull()
  })
})

describe('FormModel', () => {
  it('shows problems only after the first submit, does not send while there are any, and places the core’s refusal', async () => {
    let name = ''
    const form = new FormModel({ schema: inviteInputSchema, input: () => ({ name, email: 'ada@example.com', role: 'viewer', language: 'en' }), refPaths: { 'mail.invitation.exists': 'email' } })
    form.show('name')
    form.show('email')
    expect(form.errors).toEqual({})
    let sent = 0
    const save = async () => {
      sent++
      return { ok: false as const, error: { code: 'CONFLICT' as const, message: 'exists', details: { ref: { key: 'mail.invitation.exists' } } } }
    }
    expect(await form.submit(save)).toBeNull()
    expect(sent).toBe(0)
    expect(form.errors).toEqual({ name: { key: 'form.required' } })
    name = 'Ada'
    expect(await form.submit(save)).toBeNull()
    expect(sent).toBe(1)
    expect(form.errors).toEqual({ email: { key: 'mail.invitation.exists' } })
    expect(form.formError).toBeNull()
    expect(await form.submit(async () => ({ ok: true as const, value: 7 }))).toBe(7)
    expect(form.serverError).toBeNull()
  })

  it('keeps a refusal about no field for the form’s foot', async () => {
    const form = new FormModel({ schema: inviteInputSchema, input: () => ({ name: 'Ada', email: 'ada@example.com', role: 'viewer', language: 'en' }) })
    await form.submit(async () => ({ ok: false as const, error: { code: 'NETWORK' as const, message: 'down' } }))
    expect(form.formError?.code).toBe('NETWORK')
    form.reset()
    expect(form.formError).toBeNull()
    expect(form.attempted).toBe(false)
  })
})

describe('a range’s bounds in the window’s language', () => {
  const t: Translate = (key, options) => get(format)(key, options)
  const shown = (ref: MessageRef | undefined) => translateRef(t, ref, 'no message')
  const location = (latitude: number) => formErrors({ schema: channels['devices:setLocation'].input }, { typeId: 't', deviceId: 'd', latitude, longitude: 0 })

  afterEach(() => locale.set('en'))

  it('are written with the minus sign and digits of the location hint beside the field, in English and French', () => {
    const latitude = location(-91).latitude
    expect(latitude).toEqual({ key: 'form.numberRange', params: { min: -90, max: 90 } })
    expect(shown(latitude)).toBe('Enter a number from \u221290 to 90.')
    expect(t('location.form.degreesHint')).toContain('latitude \u221290 to 90')
    locale.set('fr')
    expect(shown(latitude)).toBe('Saisissez un nombre de \u221290 à 90.')
    expect(t('location.form.degreesHint')).toContain('latitude de \u221290 à 90')
  })

  it('group and mark decimals as the language does, whole or not, without rounding a bound away', () => {
    const queue = formErrors({ schema: mbedProfileSaveSchema }, { extension: 'mbed', name: 'm', settings: { queueSize: 5 }, secrets: {} })['settings.queueSize']
    const rate = formErrors({ schema: controlCenterProfileSaveSchema }, carrier({ perSecond: 90 }))['settings.perSecond']
    expect(shown(queue)).toBe('Enter a whole number from 100 to 1,000,000.')
    expect(shown({ key: 'form.numberRange', params: { min: -0.125, max: 2.5 } })).toBe('Enter a number from \u22120.125 to 2.5.')
    locale.set('fr')
    expect(shown(queue)).toBe('Saisissez un nombre entier de 100 à 1\u202f000\u202f000.')
    expect(shown(rate)).toBe('Saisissez un nombre de 0,2 à 50.')
  })

  it('leave other messages’ numbers to their own formats', () => {
    expect(shown({ key: 'form.tooLong', params: { max: 1200 } })).toBe('At most 1200 characters.')
  })
})
