import { describe, expect, it } from 'vitest'
import { mbedProfileSaveSchema } from '../../src-shared/models/profiles'
import { secretProblems } from '../../src-shared/models/profile-rules'
import { firstPathProblem, presubscriptionWords, rowFromRule, ruleFromRow, splitPaths } from '../../src-renderer/src/features/mbed/presubscription-rows'
import { formErrors } from '../../src-renderer/src/lib/form/issues'

const row = (name: string, type: string, paths: string) => ({ id: 0, name, type, paths })

/** What the mbed profile form sends with these rules (null: the default). */
function save(presubscriptions: unknown) {
  return { extension: 'mbed', name: 'Lab', settings: { apiUrl: 'https://api.connector.mbed.com', defaultDeviceType: 'mbed', presubscriptions }, secrets: {} }
}

describe('pre-subscription rules as the profile form edits them', () => {
  it('sends only the fields filled in, the paths split on spaces and commas', () => {
    expect(splitPaths(' /3/0/1,/3303/*  /5/0\n')).toEqual(['/3/0/1', '/3303/*', '/5/0'])
    expect(ruleFromRow(row(' node-* ', '', ''))).toEqual({ 'endpoint-name': 'node-*' })
    expect(ruleFromRow(row('', 'Light', '/3311/0/5850 /3311/0/5851'))).toEqual({ 'endpoint-type': 'Light', 'resource-path': ['/3311/0/5850', '/3311/0/5851'] })
    expect(ruleFromRow(row('', '', ''))).toEqual({})
  })

  it('reads a saved rule back into the same row', () => {
    const rule = { 'endpoint-name': 'node*', 'endpoint-type': 'Sensor', 'resource-path': ['/3303/*', '/3/0/13'] }
    expect(ruleFromRow(rowFromRule(rule, 3))).toEqual(rule)
    expect(rowFromRule({ 'endpoint-type': 'Light' }, 0)).toEqual({ id: 0, name: '', type: 'Light', paths: '' })
  })

  it('shows the contract’s refusal of one path at the row’s paths field, and an empty rule at the row', () => {
    const rules = [ruleFromRow(row('', 'Light', '/3311/0/5850 3303/*')), ruleFromRow(row('', '', ''))]
    const errors = formErrors({ schema: mbedProfileSaveSchema }, save(rules))
    expect(firstPathProblem(errors, 'settings.presubscriptions.0')).toEqual({ key: 'mbed.presubPathInvalid', params: { field: 'settings.presubscriptions.0.resource-path.1' } })
    expect(firstPathProblem(errors, 'settings.presubscriptions.1')).toBeUndefined()
    expect(errors['settings.presubscriptions.1']?.key).toBe('mbed.presubEmptyRule')
  })

  it('names the documented limits: a name too long, a type with "*", too many paths in one rule or over all of them', () => {
    const rules = { schema: mbedProfileSaveSchema, words: presubscriptionWords('settings.presubscriptions') }
    const paths = (from: number, count: number) => Array.from({ length: count }, (_, i) => `/1/${from + i}`).join(' ')
    const one = formErrors(rules, save([ruleFromRow(row('n'.repeat(65), 'Li*ght', '')), ruleFromRow(row('', '', paths(0, 257)))]))
    expect(one['settings.presubscriptions.0.endpoint-name']?.key).toBe('mbed.presubNameInvalid')
    expect(one['settings.presubscriptions.0.endpoint-type']?.key).toBe('mbed.presubTypeInvalid')
    expect(firstPathProblem(one, 'settings.presubscriptions.1')).toEqual({ key: 'mbed.presubTooManyPaths' })
    const spread = formErrors(rules, save([ruleFromRow(row('', '', paths(0, 200))), ruleFromRow(row('', '', paths(200, 57)))]))
    expect(spread).toEqual({ 'settings.presubscriptions': { key: 'mbed.presubTooManyPaths', params: { field: 'settings.presubscriptions' } } })
    const tooManyRules = Array.from({ length: 1025 }, (_, i) => ({ 'endpoint-name': `n${i}` }))
    expect(formErrors(rules, save(tooManyRules))['settings.presubscriptions']?.key).toBe('mbed.presubTooMany')
  })

  it('accepts the default (null) and no rule at all ([])', () => {
    expect(formErrors({ schema: mbedProfileSaveSchema }, save(null))).toEqual({})
    expect(formErrors({ schema: mbedProfileSaveSchema }, save([]))).toEqual({})
  })
})

describe('the Orange profile’s secret', () => {
  it('is required for a new profile, kept when saved already, refused when cleared', () => {
    expect(secretProblems('orange', {}, new Set())).toEqual({ password: { key: 'profiles.orangePasswordRequired' } })
    expect(secretProblems('orange', { password: 'pw' }, new Set())).toEqual({})
    expect(secretProblems('orange', {}, new Set(['password']))).toEqual({})
    expect(secretProblems('orange', { password: null }, new Set(['password']))).toEqual({ password: { key: 'profiles.orangePasswordRequired' } })
  })
})
