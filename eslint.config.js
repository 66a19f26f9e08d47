import js from '@eslint/js'
import svelte from 'eslint-plugin-svelte'
import globals from 'globals'
import ts from 'typescript-eslint'

/** Only these folders may import Electron; everything else must run under plain Node or in a browser. */
const ELECTRON_ALLOWED = ['src-main/electron/**', 'src-preload/**']

const noElectron = {
  'no-restricted-imports': [
    'error',
    {
      paths: [{ name: 'electron', message: "Only src-main/electron and src-preload may import 'electron': the core, serve mode, the CLI and tests run under plain Node." }],
      patterns: [{ group: ['electron/*'], message: "Only src-main/electron and src-preload may import 'electron'." }],
    },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: "CallExpression[callee.name='require'][arguments.0.value='electron']",
      message: "Only src-main/electron and src-preload may require('electron').",
    },
    {
      selector: "ImportExpression[source.value='electron']",
      message: "Only src-main/electron and src-preload may import('electron').",
    },
  ],
}

/** Documents are written at their kind's current version; a literal would silently outlive the next migration. */
const schemaVersionLiteral = {
  selector: "Property[key.name='schemaVersion'][value.type='Literal']",
  message: 'Write schemaVersion from CURRENT_SCHEMA in src-main/core/store/schema.ts, not as a number.',
}

export default ts.config(
  { ignores: ['out/**', 'dist/**', 'resources/icons/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.bench/**'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      ...noElectron,
    },
  },
  {
    files: ['src-main/core/**/*.ts'],
    rules: { 'no-restricted-syntax': [...noElectron['no-restricted-syntax'], schemaVersionLiteral] },
  },
  {
    files: ['src-renderer/**/*.{ts,svelte}', 'src-renderer/**/*.svelte.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Benchmarks and e2e specs pass functions to page.evaluate, which run in the browser.
    files: ['test/bench/**/*.mjs', 'test/e2e/**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ELECTRON_ALLOWED,
    rules: { 'no-restricted-imports': 'off', 'no-restricted-syntax': 'off' },
  },
)
