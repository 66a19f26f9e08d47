import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { diagnosticSchema, type Diagnostic } from '../../src-shared/contract'
import schema from '../../resources/schemas/dm-package.schema.json'
import { MAX_DIAGNOSTICS, MAX_PACKAGE_BYTES, validatePackage } from '../../src-main/core/dm-packages/validator'

/**
 * The platform's own example package (IBM, "Extending device management", custom_actions.md), written as the
 * doc shows it: tab-indented, the four plug-in actions, the regexes `\w+` and `((http:\/\/|https:\/\/)(.*)+)`.
 */
const EXAMPLE = `{
	"bundleId": "exampleDeviceType-actions-v1",
	"displayName": {
		"en_US": "exampleDeviceType Actions v1"
	},
	"description": {
		"en_US": "Device management actions for exampleDeviceType devices"
	},
	"version": "1.0",
	"provider": "some company",
	"actions": {
		"installPlugin": {
			"actionDisplayName": {
				"en_US": "Install Plug-in"
			},
			"description": {
				"en_US": "Install a new plug-in on the device"
			},
			"parameters": [
				{
					"name": "pluginId",
					"value": "\\\\w+",
					"required": true
				},
				{
					"name": "pluginURI",
					"value": "((http:\\\\/\\\\/|https:\\\\/\\\\/)(.*)+)",
					"required": true
				}
			]
		},
		"enablePlugin": {
			"actionDisplayName": {
				"en_US": "Enable Plug-in"
			},
			"description": {
				"en_US": "Enables a plug-in on the device"
			},
			"parameters": [
				{
					"name": "pluginId",
					"value": "\\\\w+",
					"required": true
				}
			]
		},
		"disablePlugin": {
			"actionDisplayName": {
				"en_US": "Disable Plug-in"
			},
			"description": {
				"en_US": "Disables a plug-in on the device"
			},
			"parameters": [
				{
					"name": "pluginId",
					"value": "\\\\w+",
					"required": true
				}
			]
		},
		"uninstallPlugin": {
			"actionDisplayName": {
				"en_US": "Uninstall Plug-in"
			},
			"description": {
				"en_US": "Uninstall a plug-in from the device"
			},
			"parameters": [
				{
					"name": "pluginId",
					"value": "\\\\w+",
					"required": true
				}
			]
		}
	}
}
`

/** The example with one edit; the edited text must occur exactly once, so a typo in a test fails loudly. */
function edit(from: string, to: string, text = EXAMPLE): string {
  const at = text.indexOf(from)
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`"${from}" must occur exactly once`)
  return text.slice(0, at) + to + text.slice(at + from.length)
}

/** Line and column of a marker in a text, computed independently of the validator. */
function locate(text: string, marker: string): { line: number; column: number } {
  const at = text.indexOf(marker)
  if (at < 0) throw new Error(`marker ${marker} not found`)
  const before = text.slice(0, at).split('\n')
  return { line: before.length, column: before.at(-1)!.length + 1 }
}

const INSTALL = '/actions/installPlugin'
const PARAM0 = `${INSTALL}/parameters/0`
const PARAM1 = `${INSTALL}/parameters/1`

interface Case {
  name: string
  text: string
  /** Text at which the diagnostic must start (first occurrence after any edit). */
  at: string
  pointer: string
  severity: Diagnostic['severity']
  key: string
  params?: Record<string, string | number>
  /** Whether the package is still valid (warnings only). Default: false for errors, true for warnings. */
  valid?: boolean
}

const cases: Case[] = [
  // Syntax
  { name: 'missing comma', text: edit('"version": "1.0",', '"version": "1.0"'), at: '"provider"', pointer: '', severity: 'error', key: 'dm.jsonSyntax', params: { detail: 'CommaExpected' } },
  {
    name: 'trailing comma',
    text: edit('"required": true\n\t\t\t\t},', '"required": true,\n\t\t\t\t},'),
    // Said once, at the comma (test/unit/json-parse.test.ts).
    at: ',\n\t\t\t\t},\n\t\t\t\t{\n\t\t\t\t\t"name": "pluginURI"',
    pointer: '',
    severity: 'error',
    key: 'dm.jsonSyntax',
    params: { detail: 'TrailingComma' },
  },
  {
    name: 'comment',
    text: edit('"version": "1.0",', '"version": "1.0", // first release'),
    at: '// first',
    pointer: '',
    severity: 'error',
    key: 'dm.jsonSyntax',
    params: { detail: 'InvalidCommentToken' },
  },
  { name: 'not an object', text: '[\n  1\n]', at: '[', pointer: '', severity: 'error', key: 'dm.notObject' },
  // Required fields
  { name: 'no bundleId', text: edit('\t"bundleId": "exampleDeviceType-actions-v1",\n', ''), at: '{', pointer: '', severity: 'error', key: 'dm.missingField', params: { field: 'bundleId' } },
  {
    name: 'no displayName',
    text: edit('\t"displayName": {\n\t\t"en_US": "exampleDeviceType Actions v1"\n\t},\n', ''),
    at: '{',
    pointer: '',
    severity: 'error',
    key: 'dm.missingField',
    params: { field: 'displayName' },
  },
  {
    name: 'no actionDisplayName',
    text: edit('"installPlugin": {\n\t\t\t"actionDisplayName": {\n\t\t\t\t"en_US": "Install Plug-in"\n\t\t\t},', '"installPlugin": {'),
    at: '{\n\t\t\t"description": {\n\t\t\t\t"en_US": "Install a new',
    pointer: INSTALL,
    severity: 'error',
    key: 'dm.missingField',
    params: { field: 'actionDisplayName' },
  },
  // Cold trial: a hostile package's "\u202eevil" made the page's action list "‮evil, x" read "x ,live".
  {
    name: 'action name with a right-to-left override',
    text: edit('"Enable Plug-in"', '"\\u202eEnable Plug-in"'),
    at: '"\\u202eEnable',
    pointer: '/actions/enablePlugin/actionDisplayName/en_US',
    severity: 'error',
    key: 'dm.bidiControl',
    params: { code: 'U+202E' },
  },
  {
    name: 'display name with a left-to-right isolate',
    text: edit('"exampleDeviceType Actions v1"', '"example\u2066Type"'),
    at: '"example\u2066',
    pointer: '/displayName/en_US',
    severity: 'error',
    key: 'dm.bidiControl',
    params: { code: 'U+2066' },
  },
  {
    name: 'provider with a right-to-left embedding',
    text: edit('"some company"', '"some \u202bcompany"'),
    at: '"some',
    pointer: '/provider',
    severity: 'error',
    key: 'dm.bidiControl',
    params: { code: 'U+202B' },
  },
  { name: 'parameter without name', text: edit('"name": "pluginURI",', ''), at: '{\n\t\t\t\t\t\n', pointer: PARAM1, severity: 'error', key: 'dm.missingField', params: { field: 'name' } },
  // Identifiers: ≤ 255 letters, digits, '-', '_', '.'
  {
    name: 'bundleId with a space',
    text: edit('"exampleDeviceType-actions-v1"', '"exampleDeviceType actions v1"'),
    at: '"exampleDeviceType actions',
    pointer: '/bundleId',
    severity: 'error',
    key: 'dm.identifierInvisibleChar',
    params: { field: 'bundleId', code: 'U+0020' },
  },
  // Cold trial: quoted as itself, the character read « » in French, nothing between the quotes.
  {
    name: 'bundleId with a no-break space',
    text: edit('"exampleDeviceType-actions-v1"', '"example\u00a0v1"'),
    at: '"example',
    pointer: '/bundleId',
    severity: 'error',
    key: 'dm.identifierInvisibleChar',
    params: { field: 'bundleId', code: 'U+00A0' },
  },
  {
    name: 'bundleId with a zero-width space',
    text: edit('"exampleDeviceType-actions-v1"', '"example\u200bv1"'),
    at: '"example',
    pointer: '/bundleId',
    severity: 'error',
    key: 'dm.identifierInvisibleChar',
    params: { field: 'bundleId', code: 'U+200B' },
  },
  {
    name: 'bundleId with a slash',
    text: edit('"exampleDeviceType-actions-v1"', '"example/v1"'),
    at: '"example/v1"',
    pointer: '/bundleId',
    severity: 'error',
    key: 'dm.identifierChars',
    params: { field: 'bundleId', char: '/' },
  },
  {
    name: 'bundleId of 256 characters',
    text: edit('"exampleDeviceType-actions-v1"', `"${'b'.repeat(256)}"`),
    at: '"bbb',
    pointer: '/bundleId',
    severity: 'error',
    key: 'dm.identifierTooLong',
    params: { field: 'bundleId', length: 256, max: 255 },
  },
  { name: 'empty bundleId', text: edit('"exampleDeviceType-actions-v1"', '""'), at: '""', pointer: '/bundleId', severity: 'error', key: 'dm.identifierEmpty', params: { field: 'bundleId' } },
  {
    name: 'bundleId as a number',
    text: edit('"exampleDeviceType-actions-v1"', '42'),
    at: '42',
    pointer: '/bundleId',
    severity: 'error',
    key: 'dm.wrongType',
    params: { field: 'bundleId', expected: 'string' },
  },
  {
    name: 'version with a space',
    text: edit('"1.0"', '"1.0 beta"'),
    at: '"1.0 beta"',
    pointer: '/version',
    severity: 'error',
    key: 'dm.identifierInvisibleChar',
    params: { field: 'version', code: 'U+0020' },
  },
  {
    name: 'action id with a space',
    text: edit('"installPlugin"', '"install plugin"'),
    at: '"install plugin"',
    pointer: '/actions/install plugin',
    severity: 'error',
    key: 'dm.identifierInvisibleChar',
    params: { field: 'actionId', code: 'U+0020' },
  },
  {
    name: 'action id of 256 characters',
    text: edit('"installPlugin"', `"${'i'.repeat(256)}"`),
    at: '"iii',
    pointer: `/actions/${'i'.repeat(256)}`,
    severity: 'error',
    key: 'dm.identifierTooLong',
    params: { field: 'actionId', length: 256, max: 255 },
  },
  { name: 'empty action id', text: edit('"installPlugin"', '""'), at: '"":', pointer: '/actions/', severity: 'error', key: 'dm.identifierEmpty', params: { field: 'actionId' } },
  {
    name: 'parameter name with a colon',
    text: edit('"pluginURI"', '"plugin:URI"'),
    at: '"plugin:URI"',
    pointer: `${PARAM1}/name`,
    severity: 'error',
    key: 'dm.identifierChars',
    params: { field: 'name', char: ':' },
  },
  {
    name: 'parameter name with an accent',
    text: edit('"pluginURI"', '"pluginURÉ"'),
    at: '"pluginURÉ"',
    pointer: `${PARAM1}/name`,
    severity: 'error',
    key: 'dm.identifierChars',
    params: { field: 'name', char: 'É' },
  },
  // provider ≤ 1024
  {
    name: 'provider of 1025 characters',
    text: edit('"some company"', `"${'p'.repeat(1025)}"`),
    at: '"ppp',
    pointer: '/provider',
    severity: 'error',
    key: 'dm.providerTooLong',
    params: { length: 1025, max: 1024 },
  },
  // Locale maps with at least one entry
  {
    name: 'empty displayName',
    text: edit('{\n\t\t"en_US": "exampleDeviceType Actions v1"\n\t}', '{}'),
    at: '{}',
    pointer: '/displayName',
    severity: 'error',
    key: 'dm.localeMapEmpty',
    params: { field: 'displayName' },
  },
  {
    name: 'empty description',
    text: edit('{\n\t\t"en_US": "Device management actions for exampleDeviceType devices"\n\t}', '{}'),
    at: '{}',
    pointer: '/description',
    severity: 'error',
    key: 'dm.localeMapEmpty',
    params: { field: 'description' },
  },
  {
    name: 'empty actionDisplayName',
    text: edit('{\n\t\t\t\t"en_US": "Enable Plug-in"\n\t\t\t}', '{}'),
    at: '{}',
    pointer: '/actions/enablePlugin/actionDisplayName',
    severity: 'error',
    key: 'dm.localeMapEmpty',
    params: { field: 'actionDisplayName' },
  },
  {
    name: 'displayName as a string',
    text: edit('{\n\t\t"en_US": "exampleDeviceType Actions v1"\n\t}', '"Example"'),
    at: '"Example"',
    pointer: '/displayName',
    severity: 'error',
    key: 'dm.wrongType',
    params: { field: 'displayName', expected: 'object' },
  },
  {
    name: 'a locale named "required" with a number',
    text: edit('"en_US": "Install Plug-in"', '"required": 5'),
    at: '5',
    pointer: `${INSTALL}/actionDisplayName/required`,
    severity: 'error',
    key: 'dm.wrongType',
    params: { field: 'required', expected: 'string' },
  },
  {
    name: 'a parameter that is not an object',
    text: '{"bundleId": "b", "displayName": {"en": "B"}, "actions": {"go": {"actionDisplayName": {"en": "Go"}, "parameters": ["p"]}}}',
    at: '"p"]',
    pointer: '/actions/go/parameters/0',
    severity: 'error',
    key: 'dm.wrongType',
    params: { field: 'parameters[0]', expected: 'object' },
  },
  {
    name: 'a locale text that is not a string',
    text: edit('"en_US": "Install Plug-in"', '"en_US": ["Install"]'),
    at: '["Install"]',
    pointer: `${INSTALL}/actionDisplayName/en_US`,
    severity: 'error',
    key: 'dm.wrongType',
    params: { field: 'en_US', expected: 'string' },
  },
  // At least one action; parameters, when present, not empty and unique
  { name: 'no action', text: '{\n  "bundleId": "b",\n  "displayName": {"en": "B"},\n  "actions": {}\n}', at: '{}', pointer: '/actions', severity: 'error', key: 'dm.noActions' },
  {
    name: 'empty parameters',
    text: edit(
      '"parameters": [\n\t\t\t\t{\n\t\t\t\t\t"name": "pluginId",\n\t\t\t\t\t"value": "\\\\w+",\n\t\t\t\t\t"required": true\n\t\t\t\t}\n\t\t\t]\n\t\t},\n\t\t"disablePlugin"',
      '"parameters": []\n\t\t},\n\t\t"disablePlugin"',
    ),
    at: '[]',
    pointer: '/actions/enablePlugin/parameters',
    severity: 'error',
    key: 'dm.noParameters',
  },
  {
    name: 'parameters as an object',
    text: edit('"Uninstall a plug-in from the device"\n\t\t\t},\n\t\t\t"parameters": [', '"Uninstall a plug-in from the device"\n\t\t\t},\n\t\t\t"parameters": {"p": 1}, "x": ['),
    at: '{"p": 1}',
    pointer: '/actions/uninstallPlugin/parameters',
    severity: 'error',
    key: 'dm.wrongType',
    params: { field: 'parameters', expected: 'array' },
  },
  {
    name: 'duplicate parameter name',
    text: edit('"name": "pluginURI"', '"name": "pluginId"'),
    at: '"pluginId",\n\t\t\t\t\t"value": "((http',
    pointer: `${PARAM1}/name`,
    severity: 'error',
    key: 'dm.duplicateParameter',
    params: { name: 'pluginId' },
  },
  {
    name: 'duplicate action id',
    text: edit('"disablePlugin"', '"enablePlugin"'),
    at: '"enablePlugin": {\n\t\t\t"actionDisplayName": {\n\t\t\t\t"en_US": "Disable',
    pointer: '/actions/enablePlugin',
    severity: 'error',
    key: 'dm.duplicateKey',
    params: { key: 'enablePlugin' },
  },
  {
    name: 'duplicate top-level key',
    text: edit('"version": "1.0",', '"version": "1.0",\n\t"version": "2.0",'),
    at: '"version": "2.0"',
    pointer: '/version',
    severity: 'error',
    key: 'dm.duplicateKey',
    params: { key: 'version' },
  },
  // value: a JavaScript regular expression
  {
    name: 'unterminated group',
    text: edit('"((http:\\\\/\\\\/|https:\\\\/\\\\/)(.*)+)"', '"((http:\\\\/\\\\/|https:\\\\/\\\\/)(.*)+"'),
    at: '"((http',
    pointer: `${PARAM1}/value`,
    severity: 'error',
    key: 'dm.regexInvalid',
    params: { regexProblem: 'unclosedGroup', detail: 'Unterminated group' },
  },
  {
    name: 'nothing to repeat',
    text: edit('"value": "\\\\w+",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{', '"value": "*.zip",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{'),
    at: '"*.zip"',
    pointer: `${PARAM0}/value`,
    severity: 'error',
    key: 'dm.regexInvalid',
    params: { regexProblem: 'nothingToRepeat', detail: 'Nothing to repeat' },
  },
  {
    name: 'Java possessive quantifier',
    text: edit('"value": "\\\\w+",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{', '"value": "\\\\w++",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{'),
    at: '"\\\\w++"',
    pointer: `${PARAM0}/value`,
    severity: 'error',
    key: 'dm.regexJava',
    params: { construct: '++', detail: 'Nothing to repeat' },
  },
  {
    name: 'Java inline flag',
    text: edit('"value": "\\\\w+",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{', '"value": "(?i)[a-z]+",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{'),
    at: '"(?i)',
    pointer: `${PARAM0}/value`,
    severity: 'error',
    key: 'dm.regexJava',
    params: { construct: '(?i)', detail: 'Invalid group' },
  },
  {
    name: 'Java \\A…\\z anchors',
    text: edit('"value": "\\\\w+",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{', '"value": "\\\\A\\\\w+\\\\z",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{'),
    at: '"\\\\A',
    pointer: `${PARAM0}/value`,
    severity: 'warning',
    key: 'dm.regexJavaDiffers',
    params: { construct: '\\A' },
  },
  {
    name: 'empty pattern',
    text: edit('"value": "\\\\w+",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{', '"value": "",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{'),
    at: '"",',
    pointer: `${PARAM0}/value`,
    severity: 'warning',
    key: 'dm.regexEmpty',
  },
  {
    name: 'value as a number (IBM Python sample)',
    text: edit('"value": "\\\\w+",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{', '"value": 5,\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{'),
    at: '5,',
    pointer: `${PARAM0}/value`,
    severity: 'warning',
    key: 'dm.valueNumber',
    params: { value: '5' },
  },
  {
    name: 'value as a boolean',
    text: edit('"value": "\\\\w+",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{', '"value": true,\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{'),
    at: 'true,\n\t\t\t\t\t"required"',
    pointer: `${PARAM0}/value`,
    severity: 'error',
    key: 'dm.wrongType',
    params: { field: 'value', expected: 'string | number' },
  },
  // defaultValue must match value, as a whole
  {
    name: 'default that does not match',
    text: edit('"required": true\n\t\t\t\t},\n\t\t\t\t{', '"required": true,\n\t\t\t\t\t"defaultValue": "my plugin"\n\t\t\t\t},\n\t\t\t\t{'),
    at: '"my plugin"',
    pointer: `${PARAM0}/defaultValue`,
    severity: 'error',
    key: 'dm.defaultMismatch',
    params: { value: 'my plugin', pattern: '\\w+' },
  },
  {
    name: 'default that matches only part of the pattern',
    text: edit('"required": true\n\t\t\t\t},\n\t\t\t\t{', '"required": true,\n\t\t\t\t\t"defaultValue": "plugin-a"\n\t\t\t\t},\n\t\t\t\t{'),
    at: '"plugin-a"',
    pointer: `${PARAM0}/defaultValue`,
    severity: 'error',
    key: 'dm.defaultMismatch',
    params: { value: 'plugin-a', pattern: '\\w+' },
  },
  {
    name: 'default as a number',
    text: edit('"required": true\n\t\t\t\t},\n\t\t\t\t{', '"required": true,\n\t\t\t\t\t"defaultValue": 42\n\t\t\t\t},\n\t\t\t\t{'),
    at: '42',
    pointer: `${PARAM0}/defaultValue`,
    severity: 'warning',
    key: 'dm.defaultCoerced',
    params: { value: '42' },
  },
  {
    name: 'default against a backreference',
    text: edit('"value": "\\\\w+",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{', '"value": "(a)\\\\1",\n\t\t\t\t\t"defaultValue": "aa"\n\t\t\t\t},\n\t\t\t\t{'),
    at: '"aa"',
    pointer: `${PARAM0}/defaultValue`,
    severity: 'warning',
    key: 'dm.defaultUncheckedFeature',
    params: { construct: '\\1' },
  },
  // required: boolean, "true"/"false" tolerated
  {
    name: 'required as the string "true"',
    text: edit('"required": true\n\t\t\t\t},\n\t\t\t\t{', '"required": "true"\n\t\t\t\t},\n\t\t\t\t{'),
    at: '"true"',
    pointer: `${PARAM0}/required`,
    severity: 'warning',
    key: 'dm.requiredString',
    params: { value: 'true' },
  },
  {
    name: 'required as "yes"',
    text: edit('"required": true\n\t\t\t\t},\n\t\t\t\t{', '"required": "yes"\n\t\t\t\t},\n\t\t\t\t{'),
    at: '"yes"',
    pointer: `${PARAM0}/required`,
    severity: 'error',
    key: 'dm.requiredInvalid',
  },
  {
    name: 'required as 1',
    text: edit('"required": true\n\t\t\t\t},\n\t\t\t\t{', '"required": 1\n\t\t\t\t},\n\t\t\t\t{'),
    at: '1\n',
    pointer: `${PARAM0}/required`,
    severity: 'error',
    key: 'dm.requiredInvalid',
  },
  // Unknown fields: warnings at the key
  {
    name: 'unknown top-level field',
    text: edit('"provider": "some company",', '"provider": "some company",\n\t"vendor": "ACME",'),
    at: '"vendor"',
    pointer: '/vendor',
    severity: 'warning',
    key: 'dm.unknownField',
    params: { field: 'vendor' },
  },
  {
    name: 'unknown action field',
    text: edit('"actionDisplayName": {\n\t\t\t\t"en_US": "Disable Plug-in"\n\t\t\t},', '"actionDisplayName": {\n\t\t\t\t"en_US": "Disable Plug-in"\n\t\t\t},\n\t\t\t"timeout": 30,'),
    at: '"timeout"',
    pointer: '/actions/disablePlugin/timeout',
    severity: 'warning',
    key: 'dm.unknownField',
    params: { field: 'timeout' },
  },
  {
    name: 'unknown parameter field',
    text: edit('"name": "pluginURI",', '"name": "pluginURI", "type": "url",'),
    at: '"type"',
    pointer: `${PARAM1}/type`,
    severity: 'warning',
    key: 'dm.unknownField',
    params: { field: 'type' },
  },
]

describe('device-management package validation', () => {
  it("accepts the platform's example package without a diagnostic, and normalises it", () => {
    const r = validatePackage(EXAMPLE)
    expect(r.diagnostics).toEqual([])
    expect(r.valid).toBe(true)
    expect(Object.keys(r.value!.actions)).toEqual(['installPlugin', 'enablePlugin', 'disablePlugin', 'uninstallPlugin'])
    expect(r.value).toMatchObject({ bundleId: 'exampleDeviceType-actions-v1', version: '1.0', provider: 'some company', displayName: { en_US: 'exampleDeviceType Actions v1' } })
    expect(r.value!.actions.installPlugin!.parameters).toEqual([
      { name: 'pluginId', value: '\\w+', required: true },
      { name: 'pluginURI', value: '((http:\\/\\/|https:\\/\\/)(.*)+)', required: true },
    ])
  })

  it('the schema Monaco uses accepts the example too (ajv, draft-07)', () => {
    const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(schema)
    expect(validate(JSON.parse(EXAMPLE))).toBe(true)
  })

  it.each(cases)('$name → $severity $key at $pointer', (c) => {
    const r = validatePackage(c.text)
    const found = r.diagnostics.filter((d) => d.ref.key === c.key && (!c.params || JSON.stringify(d.ref.params) === JSON.stringify(c.params)))
    expect(found, JSON.stringify(r.diagnostics, null, 1)).toHaveLength(1)
    const d = found[0]!
    const expected = locate(c.text, c.at)
    expect({ pointer: d.pointer, severity: d.severity, line: d.line, column: d.column }).toEqual({ pointer: c.pointer, severity: c.severity, ...expected })
    if (c.params) expect(d.ref.params).toEqual(c.params)
    // Each rule reports itself, and nothing else goes wrong in the otherwise-valid example (a syntax error may
    // cascade into a second one while the parser recovers).
    if (c.key !== 'dm.jsonSyntax') expect(r.diagnostics.filter((x) => x.severity === 'error' && x !== d)).toEqual([])
    expect(r.valid).toBe(c.valid ?? c.severity === 'warning')
    expect(r.value !== undefined).toBe(r.valid)
  })

  it('states some positions literally (a check on the locate() helper itself)', () => {
    const r = validatePackage(edit('"1.0"', '"1.0 beta"'))
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        message: `"version" contains a space or another invisible character (U+0020): only letters, digits, '-', '_' and '.' are allowed`,
        ref: { key: 'dm.identifierInvisibleChar', params: { field: 'version', code: 'U+0020' } },
        pointer: '/version',
        line: 9,
        column: 13,
        endLine: 9,
        endColumn: 23,
      },
    ])
    expect(validatePackage('').diagnostics).toEqual([expect.objectContaining({ line: 1, column: 1, ref: { key: 'dm.jsonSyntax', params: { detail: 'ValueExpected' } } })])
  })

  it('coerces the tolerated forms in the value it returns', () => {
    const text = edit('"value": "\\\\w+",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{', '"value": 5,\n\t\t\t\t\t"required": "false",\n\t\t\t\t\t"defaultValue": 5\n\t\t\t\t},\n\t\t\t\t{')
    const r = validatePackage(text)
    expect(r.valid).toBe(true)
    expect(r.diagnostics.map((d) => d.ref.key)).toEqual(['dm.valueNumber', 'dm.requiredString', 'dm.defaultCoerced'])
    expect(r.value!.actions.installPlugin!.parameters![0]).toEqual({ name: 'pluginId', value: '5', required: false, defaultValue: '5' })
    // What the validator returns is itself a package it accepts without a word.
    expect(validatePackage(JSON.stringify(r.value)).diagnostics).toEqual([])
  })

  it('defaults to required: false, keeps absent optional fields absent, and drops unknown fields', () => {
    const r = validatePackage('{"bundleId":"b","displayName":{"en":"B"},"actions":{"go":{"actionDisplayName":{"en":"Go"},"parameters":[{"name":"p"}]}},"extra":1}')
    expect(r.value).toEqual({ bundleId: 'b', displayName: { en: 'B' }, actions: { go: { actionDisplayName: { en: 'Go' }, parameters: [{ name: 'p', required: false }] } } })
  })

  it('accepts defaults that match the whole pattern, including the IBM URI pattern', () => {
    const text = edit('"value": "((http:\\\\/\\\\/|https:\\\\/\\\\/)(.*)+)",', '"value": "((http:\\\\/\\\\/|https:\\\\/\\\\/)(.*)+)", "defaultValue": "https://www.example.com/testPluginA.zip",')
    expect(validatePackage(text)).toMatchObject({ valid: true, diagnostics: [] })
  })

  it('checks a default against a catastrophic pattern without backtracking', () => {
    // V8 takes ~250 ms on 24 characters of this and doubles with each one; the validator never runs it.
    const evil = `${'a'.repeat(40)}!`
    const text = edit('"value": "\\\\w+",\n\t\t\t\t\t"required": true\n\t\t\t\t},\n\t\t\t\t{', `"value": "(a+)+$", "defaultValue": "${evil}"\n\t\t\t\t},\n\t\t\t\t{`)
    const uri = edit('"value": "((http:\\\\/\\\\/|https:\\\\/\\\\/)(.*)+)",', `"value": "((http:\\\\/\\\\/|https:\\\\/\\\\/)(.*)+)", "defaultValue": "http://${'x'.repeat(5000)}\\n",`)
    // How long it takes is test/bench/dm-hostile.bench.ts's to show; a backtracking check would not end at all.
    expect(validatePackage(text).diagnostics).toEqual([expect.objectContaining({ ref: { key: 'dm.defaultMismatch', params: { value: expect.any(String), pattern: '(a+)+$' } } })])
    expect(validatePackage(uri).diagnostics).toEqual([expect.objectContaining({ ref: expect.objectContaining({ key: 'dm.defaultMismatch' }) })])
  })

  it('stops checking defaults when a package would make it do too much work', () => {
    // 50 parameters × a 100,000-character default against a 1,000-instruction pattern: 5·10⁹ steps if all ran.
    const params = Array.from({ length: 50 }, (_, i) => ({ name: `p${i}`, value: 'a{1000}[a-z]*', defaultValue: 'a'.repeat(100_000) }))
    const text = JSON.stringify({ bundleId: 'b', displayName: { en: 'B' }, actions: { go: { actionDisplayName: { en: 'Go' }, parameters: params } } })
    const r = validatePackage(text)
    expect(r.valid).toBe(true)
    expect(r.diagnostics.filter((d) => d.ref.key === 'dm.defaultUncheckedSize').length).toBeGreaterThan(40)
  })

  it('keeps action ids that look like numbers as ordinary keys, and refuses "__proto__", which the store would lose', () => {
    const text = '{\n"bundleId": "b",\n"displayName": {"en": "B"},\n"actions": {\n  "123": {"actionDisplayName": {}},\n  "__proto__": {"actionDisplayName": {"en": "P"}}\n}\n}'
    const r = validatePackage(text)
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ pointer: '/actions/123/actionDisplayName', line: 5, column: 32, ref: { key: 'dm.localeMapEmpty', params: { field: 'actionDisplayName' } } }),
      expect.objectContaining({ severity: 'error', pointer: '/actions/__proto__', line: 6, column: 3, ref: { key: 'dm.reservedKey', params: { key: '__proto__' } } }),
    ])
    const ok = validatePackage(text.replace('"actionDisplayName": {}', '"actionDisplayName": {"en": "N"}').replace('"__proto__"', '"proto"'))
    expect(ok.valid).toBe(true)
    expect(Object.keys(ok.value!.actions)).toEqual(['123', 'proto'])
    expect(Object.getPrototypeOf(ok.value!.actions)).toBe(Object.prototype)
    // A locale is a key too; a known field named "__proto__" is only an unknown field, ignored.
    const locale = validatePackage('{"bundleId": "b", "displayName": {"__proto__": "B"}, "actions": {"a": {"actionDisplayName": {"en": "A"}}}, "__proto__": 1}')
    expect(locale.diagnostics.map((d) => [d.severity, d.pointer, d.ref.key])).toEqual([
      ['error', '/displayName/__proto__', 'dm.reservedKey'],
      ['warning', '/__proto__', 'dm.unknownField'],
    ])
  })

  it('says a cut-off package’s syntax error once, in words (the catalogue key keeps the parser’s name)', () => {
    const r = validatePackage('{"bundleId": "trunc", "displayName": {"en_US": "x"}, "actions": {')
    expect(r.valid).toBe(false)
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ message: 'JSON syntax error: a closing brace } was expected', line: 1, column: 66, ref: { key: 'dm.jsonSyntax', params: { detail: 'CloseBraceExpected' } } }),
    ])
  })

  it('accepts a UTF-8 byte-order mark', () => {
    expect(validatePackage(`\ufeff${EXAMPLE}`)).toMatchObject({ valid: true, diagnostics: [] })
  })

  it(`caps the diagnostics at ${MAX_DIAGNOSTICS} and says how many more there were`, () => {
    const fields = Array.from({ length: 1000 }, (_, i) => `"x${i}": ${i}`).join(',\n')
    const r = validatePackage(edit('"version": "1.0",', `"version": "1.0",\n${fields},`))
    expect(r.valid).toBe(true)
    expect(r.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1)
    expect(r.diagnostics.at(-1)).toMatchObject({ severity: 'warning', ref: { key: 'dm.tooManyDiagnostics', params: { count: 800 } } })
    const lastLine = EXAMPLE.split('\n').length + 1000
    expect(r.diagnostics.at(-1)).toMatchObject({ line: lastLine, column: 1, endLine: lastLine, endColumn: 2 }) // the end of the text
    // Errors are kept before warnings: one after a thousand warnings is still shown (and makes it invalid).
    const bad = validatePackage(edit('"version": "1.0",', `"version": "1.0",\n${fields},`).replace('"some company"', '1'))
    expect(bad.valid).toBe(false)
    expect(bad.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1)
    expect(bad.diagnostics.filter((d) => d.severity === 'error')).toEqual([expect.objectContaining({ pointer: '/provider', ref: expect.objectContaining({ key: 'dm.wrongType' }) })])
    expect(bad.diagnostics.at(-1)).toMatchObject({ severity: 'warning', ref: { key: 'dm.tooManyDiagnostics', params: { count: 801 } } })
    const allBad = Array.from({ length: 3000 }, (_, i) => `"a${i}": {}`).join(',')
    const many = validatePackage(`{"bundleId":"b","displayName":{"en":"B"},"actions":{${allBad}}}`)
    expect(many.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1)
    expect(many.diagnostics.at(-1)).toMatchObject({ severity: 'error', ref: { key: 'dm.tooManyDiagnostics', params: { count: 3000 - MAX_DIAGNOSTICS } } })
  })
})

describe('hostile input', () => {
  const valid = (r: ReturnType<typeof validatePackage>) => {
    for (const d of r.diagnostics) diagnosticSchema.parse(d)
    expect(r.valid).toBe(!r.diagnostics.some((d) => d.severity === 'error') && r.value !== undefined)
    expect(r.diagnostics.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS + 1)
  }

  it('refuses more than 5 MB before parsing, with a diagnostic the CLI can print', () => {
    const big = `{"bundleId": "${'x'.repeat(6 * 1024 * 1024)}"}`
    const r = validatePackage(big)
    expect(r).toEqual({
      valid: false,
      diagnostics: [
        expect.objectContaining({
          severity: 'error',
          pointer: '',
          line: 1,
          column: 1,
          ref: { key: 'dm.tooLarge', params: { size: '6.0 MB', max: '5 MB', sizeBytes: big.length, maxBytes: MAX_PACKAGE_BYTES } },
        }),
      ],
    })
    // Counted in UTF-8 bytes: 2 million "é" are 4 MB, 3 million are 6 MB although fewer than 5 million characters.
    expect(validatePackage(`"${'é'.repeat(2_000_000)}"`).diagnostics[0]!.ref.key).not.toBe('dm.tooLarge')
    expect(validatePackage(`"${'é'.repeat(3_000_000)}"`).diagnostics[0]!.ref.key).toBe('dm.tooLarge')
    expect(MAX_PACKAGE_BYTES).toBe(5 * 1024 * 1024)
    expect(validatePackage(' '.repeat(MAX_PACKAGE_BYTES)).diagnostics[0]!.ref.key).toBe('dm.jsonSyntax') // exactly 5 MB is allowed
    expect(validatePackage(' '.repeat(MAX_PACKAGE_BYTES + 1)).diagnostics[0]!.ref.params).toEqual({
      size: '5,242,881 bytes',
      max: '5 MB',
      sizeBytes: MAX_PACKAGE_BYTES + 1,
      maxBytes: MAX_PACKAGE_BYTES,
    })
  })

  it('refuses deep nesting without overflowing the stack', () => {
    const n = 100_000
    for (const text of ['['.repeat(n) + ']'.repeat(n), '{"a":'.repeat(n) + '1' + '}'.repeat(n), `{"bundleId":"b","x":${'['.repeat(n)}`, '[},'.repeat(n), '{]{"a":'.repeat(n)]) {
      const r = validatePackage(text)
      valid(r)
      expect(r.diagnostics[0]).toMatchObject({ severity: 'error', ref: { key: 'dm.tooDeep', params: { max: 64 } } })
    }
    // Nesting inside an unknown field is fine up to the limit.
    const ok = validatePackage(edit('"version": "1.0",', `"version": "1.0", "x": ${'['.repeat(60)}${']'.repeat(60)},`))
    expect(ok.valid).toBe(true)
  })

  it('does not read a huge pattern into a matcher', () => {
    const text = JSON.stringify({
      bundleId: 'b',
      displayName: { en: 'B' },
      actions: { go: { actionDisplayName: { en: 'Go' }, parameters: [{ name: 'p', value: 'a'.repeat(4_000_000), defaultValue: 'a' }] } },
    })
    expect(validatePackage(text).diagnostics).toEqual([expect.objectContaining({ severity: 'warning', ref: { key: 'dm.defaultUncheckedSize' } })])
  })

  it('never throws on truncations of the example (every prefix)', () => {
    for (let end = 0; end <= EXAMPLE.length; end++) valid(validatePackage(EXAMPLE.slice(0, end)))
  })

  it('never throws on thousands of random mutations and random texts (seeded)', () => {
    let seed = 0x5eed
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '\\',
      'true',
      '1e999',
      '-',
      '0',
      'null',
      ' ',
      '\n',
      '"value"',
      '"required"',
      '"defaultValue"',
      '"(a+)+$"',
      '"\\\\1"',
      '"\\u0000"',
      '\u0000',
      '\ud800',
      '"__proto__"',
      '"actions"',
      '{}',
      '[]',
      '(?<',
      '"aaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"',
    ]
    for (let i = 0; i < 3000; i++) {
      let text = EXAMPLE
      const edits = 1 + Math.floor(random() * 4)
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(random() * text.length)
        const r = random()
        const piece = pieces[Math.floor(random() * pieces.length)]!
        if (r < 0.4) text = text.slice(0, at) + piece + text.slice(at)
        else if (r < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 20))
        else text = text.slice(0, at) + piece + text.slice(at + piece.length)
      }
      valid(validatePackage(text))
    }
    for (let i = 0; i < 2000; i++) {
      let text = ''
      const length = Math.floor(random() * 200)
      for (let k = 0; k < length; k++) text += random() < 0.5 ? pieces[Math.floor(random() * pieces.length)] : String.fromCharCode(Math.floor(random() * 0x3000))
      valid(validatePackage(text))
    }
  })

  it('never throws on random well-formed packages of every type (seeded)', () => {
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const any = (depth: number): unknown => {
      const r = random()
      if (depth > 2 || r < 0.3) return ['x', '', 'a b', '\\w+', '(', 'true', 1, 0, true, false, null, 'é', '__proto__'][Math.floor(random() * 13)]
      if (r < 0.6) return Array.from({ length: Math.floor(random() * 3) }, () => any(depth + 1))
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 4) }, () => [
          ['name', 'value', 'required', 'defaultValue', 'en', 'x', 'parameters', 'actionDisplayName'][Math.floor(random() * 8)]!,
          any(depth + 1),
        ]),
      )
    }
    const maybe = (v: unknown) => (random() < 0.9 ? v : any(0))
    // The validator splits the schema file in two for speed; the whole file, as Monaco uses it, must agree.
    const wholeSchema = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema)
    const SEMANTIC = new Set(['dm.duplicateKey', 'dm.duplicateParameter', 'dm.regexInvalid', 'dm.regexInvalidOther', 'dm.regexJava', 'dm.defaultMismatch'])
    let accepted = 0
    for (let i = 0; i < 2000; i++) {
      const parameter = (_: unknown, j: number) => ({
        name: maybe(`p${j}`),
        value: maybe(['\\w+', '[a-c]+', '(a|b|c)*', 5][Math.floor(random() * 4)]),
        required: maybe(random() < 0.5),
        defaultValue: maybe('abc'),
      })
      const pkg = {
        bundleId: maybe('bundle-1'),
        displayName: maybe({ en_US: 'B' }),
        actions: maybe(
          Object.fromEntries(
            Array.from({ length: 1 + Math.floor(random() * 3) }, (_, k) => [
              `a${k}`,
              maybe({ actionDisplayName: maybe({ en: 'A' }), parameters: maybe(Array.from({ length: 1 + Math.floor(random() * 3) }, parameter)) }),
            ]),
          ),
        ),
      }
      const r = validatePackage(JSON.stringify(pkg, null, random() < 0.5 ? 2 : undefined))
      valid(r)
      const schemaErrors = r.diagnostics.filter((d) => d.severity === 'error' && !SEMANTIC.has(d.ref.key))
      expect(wholeSchema(JSON.parse(JSON.stringify(pkg))), JSON.stringify(r.diagnostics)).toBe(schemaErrors.length === 0)
      if (r.valid) {
        accepted++
        expect(validatePackage(JSON.stringify(r.value)).valid).toBe(true)
      }
    }
    expect(accepted).toBeGreaterThan(50)
  })
})
