/**
 * Everything Monaco, in one module that is only ever loaded with a dynamic import: the editor is about
 * 4 MB, and the device list must paint without waiting for it. Bundled from the local package (slim entry
 * points); the loader is pointed at that bundle so it never reaches for its CDN.
 *
 * Every JSON document the app edits (a device's extension configuration, a device-management package) goes
 * through this one setup: Monaco's JSON language has a single, global set of schema associations, so two
 * modules configuring it would overwrite each other's schemas.
 */
import loader from '@monaco-editor/loader'
import * as monaco from 'monaco-editor/editor'
import { TabFocus } from 'monaco-editor/editor/browser/config/tabFocus'
import 'monaco-editor/features/register.all'
import { jsonDefaults } from 'monaco-editor/languages/features/json/register'
import EditorWorker from 'monaco-editor/editor/editor.worker?worker'
import JsonWorker from 'monaco-editor/languages/features/json/json.worker?worker'
import extensionConfigSchema from '../../../../resources/schemas/extension-config.schema.json'
import dmPackageSchema from '../../../../resources/schemas/dm-package.schema.json'

/**
 * The kinds of document, each with the JSON Schema the core's ajv checks it against (the same file), and the file
 * name its models end with: the schema association matches on that name.
 */
const DOCUMENTS = {
  'extension-config': { fileName: 'extension-config.json', schema: extensionConfigSchema },
  'dm-package': { fileName: 'dm-package.json', schema: dmPackageSchema },
} as const

export type JsonDocumentKind = keyof typeof DOCUMENTS

const MARKER_OWNER = 'fieldline'

/**
 * Monaco's own themes with the colours that fell short of WCAG's 4.5:1 for text raised (measured in the page: the
 * second bracket pair colour 3.9:1 on white; the last line's dimmed number 1.8:1 in both themes). The e2e
 * accessibility spec measures every token and line number of a rendered document against the editor's background.
 */
/**
 * The diff view's colours (team sync's conflicts) are pale enough for every token to keep 4.5:1 on a changed line,
 * and the light theme's numbers a darker green: Monaco's #098658 is 4.6:1 on white only, under 4.5:1 on any tint.
 */
monaco.editor.defineTheme('fieldline-light', {
  base: 'vs',
  inherit: true,
  rules: [{ token: 'number', foreground: '066046' }],
  colors: {
    'editorBracketHighlight.foreground2': '#1e6b1e',
    'editorLineNumber.dimmedForeground': '#5f6b76',
    'diffEditor.insertedLineBackground': '#eef8ee',
    'diffEditor.insertedTextBackground': '#d5efd5',
    'diffEditor.removedLineBackground': '#fcefef',
    'diffEditor.removedTextBackground': '#f5d6d6',
  },
})
monaco.editor.defineTheme('fieldline-dark', {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: {
    'editorLineNumber.dimmedForeground': '#8b8b8b',
    'diffEditor.insertedLineBackground': '#1a2a1b',
    'diffEditor.insertedTextBackground': '#1f3320',
    'diffEditor.removedLineBackground': '#2d1c1c',
    'diffEditor.removedTextBackground': '#3a1f1f',
  },
})
const themeName = (dark: boolean) => (dark ? 'fieldline-dark' : 'fieldline-light')

globalThis.MonacoEnvironment = {
  // Every label needs a worker, or Monaco falls back to an inlined worker that the CSP refuses.
  getWorker: (_workerId: string, label: string) => (label === 'json' ? new JsonWorker() : new EditorWorker()),
}
loader.config({ monaco })

jsonDefaults.setDiagnosticsOptions({
  validate: true,
  allowComments: false,
  enableSchemaRequest: false,
  schemaValidation: 'error',
  schemas: Object.values(DOCUMENTS).map(({ fileName, schema }) => ({ uri: schema.$id, fileMatch: [fileName], schema })),
})

export interface EditorMarker {
  severity: 'error' | 'warning'
  message: string
  line: number
  column: number
  endLine: number
  endColumn: number
}

export interface JsonEditorOptions {
  kind: JsonDocumentKind
  text: string
  /** Distinguishes the models of different documents of one kind (a device, a bundle). */
  modelPath: string[]
  ariaLabel: string
  dark: boolean
  onEdit: (text: string) => void
}

/**
 * Tells `listener` whether Tab moves the focus out of the editors (Ctrl+M), now and at each change; returns what stops
 * it. The switch is Monaco's, one for all its editors: pressed in one editor, it holds in the next one opened.
 */
function watchTabFocus(listener: (tabMovesFocus: boolean) => void): () => void {
  listener(TabFocus.getTabFocusMode())
  const subscription = TabFocus.onDidChangeTabFocus(listener)
  return () => subscription.dispose()
}

interface TabFocusWatch {
  watchTabFocus: typeof watchTabFocus
}

export interface JsonEditorHandle extends TabFocusWatch {
  /** Puts text in the editor without reporting it as an edit by the operator. */
  replaceText(text: string): void
  setMarkers(markers: EditorMarker[]): void
  setDark(dark: boolean): void
  setAriaLabel(label: string): void
  /** Moves the cursor to a 1-based position and focuses the editor (from the diagnostics list). */
  reveal(line: number, column: number): void
  dispose(): void
}

export async function createJsonEditor(container: HTMLElement, options: JsonEditorOptions): Promise<JsonEditorHandle> {
  await loader.init()
  const { fileName } = DOCUMENTS[options.kind]
  // The kind is part of the path too, so a device and a bundle that happen to share a name never share a model.
  const path = '/' + [options.kind, ...options.modelPath.map(encodeURIComponent), fileName].join('/')
  const uri = monaco.Uri.from({ scheme: 'file', path })
  monaco.editor.getModel(uri)?.dispose()
  const model = monaco.editor.createModel(options.text, 'json', uri)
  const editor = monaco.editor.create(container, {
    model,
    ariaLabel: options.ariaLabel,
    theme: themeName(options.dark),
    automaticLayout: true,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    fixedOverflowWidgets: true,
    tabSize: 2,
    fontSize: 13,
  })
  let replacing = false
  const subscription = model.onDidChangeContent(() => {
    if (!replacing) options.onEdit(model.getValue())
  })
  return {
    replaceText(text) {
      replacing = true
      try {
        // pushEditOperations keeps the change undoable, unlike setValue.
        model.pushEditOperations([], [{ range: model.getFullModelRange(), text }], () => null)
      } finally {
        replacing = false
      }
    },
    setMarkers(markers) {
      monaco.editor.setModelMarkers(
        model,
        MARKER_OWNER,
        markers.map((m) => ({
          severity: m.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
          message: m.message,
          startLineNumber: m.line,
          startColumn: m.column,
          endLineNumber: m.endLine,
          endColumn: m.endColumn,
        })),
      )
    },
    setDark(dark) {
      monaco.editor.setTheme(themeName(dark))
    },
    setAriaLabel(label) {
      editor.updateOptions({ ariaLabel: label })
    },
    reveal(line, column) {
      editor.setPosition({ lineNumber: line, column })
      editor.revealPositionInCenterIfOutsideViewport({ lineNumber: line, column })
      editor.focus()
    },
    watchTabFocus,
    dispose() {
      subscription.dispose()
      editor.dispose()
      model.dispose()
    },
  }
}

export interface JsonDiffOptions {
  /** The left side (this computer's version), never edited. */
  original: string
  /** The right side: the teammate's version, or the merge being written when `editable`. */
  modified: string
  editable: boolean
  /** Names the two documents' models apart from every other editor's. */
  modelPath: string[]
  /** The accessible names of the right and left sides. */
  ariaLabel: string
  originalAriaLabel: string
  dark: boolean
  onEdit: (text: string) => void
}

export interface JsonDiffHandle extends TabFocusWatch {
  setDark(dark: boolean): void
  /** Puts the caret in the right side (the merge being written). */
  focus(): void
  dispose(): void
}

/** Two versions of one document side by side, with Monaco's diff; the right side is the merge when editable. */
export async function createJsonDiffEditor(container: HTMLElement, options: JsonDiffOptions): Promise<JsonDiffHandle> {
  await loader.init()
  const model = (side: string, text: string) => {
    const uri = monaco.Uri.from({ scheme: 'inmemory', path: '/' + ['diff', ...options.modelPath.map(encodeURIComponent), side + '.json'].join('/') })
    monaco.editor.getModel(uri)?.dispose()
    return monaco.editor.createModel(text, 'json', uri)
  }
  const original = model('original', options.original)
  const modified = model('modified', options.modified)
  const editor = monaco.editor.createDiffEditor(container, {
    modifiedAriaLabel: options.ariaLabel,
    originalAriaLabel: options.originalAriaLabel,
    theme: themeName(options.dark),
    automaticLayout: true,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    fixedOverflowWidgets: true,
    readOnly: !options.editable,
    originalEditable: false,
    renderSideBySide: true,
    useInlineViewWhenSpaceIsLimited: false,
    fontSize: 13,
  })
  editor.setModel({ original, modified })
  // The diff editor's own label options do not reach its two text areas; each editor is named like a single one.
  editor.getOriginalEditor().updateOptions({ ariaLabel: options.originalAriaLabel })
  editor.getModifiedEditor().updateOptions({ ariaLabel: options.ariaLabel })
  const subscription = modified.onDidChangeContent(() => options.onEdit(modified.getValue()))
  return {
    setDark(dark) {
      monaco.editor.setTheme(themeName(dark))
    },
    focus() {
      editor.getModifiedEditor().focus()
    },
    watchTabFocus,
    dispose() {
      subscription.dispose()
      editor.dispose()
      original.dispose()
      modified.dispose()
    },
  }
}
