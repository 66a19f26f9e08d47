/**
 * The app's keyboard shortcuts: which key does what, when a key press is one, and the list the `?` sheet shows. Pure,
 * so the guard that keeps shortcuts away from typing is tested without a browser.
 */

export type GlobalShortcut = 'palette' | 'search' | 'sheet'

/** Input types that take no typed text: a key pressed on one of them is not typing. */
const NOT_TEXT = new Set(['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file', 'image'])

/** What the guard reads of the element a key was pressed on (an Element has it all; the renderer specs pass stand-ins). */
interface KeyTarget {
  tagName: string
  type?: string
  isContentEditable?: boolean
  closest(selector: string): unknown
}

function asElement(target: EventTarget | null): KeyTarget | null {
  const t = target as Partial<KeyTarget> | null
  return t && typeof t.tagName === 'string' && typeof t.closest === 'function' ? (t as KeyTarget) : null
}

/**
 * Whether a key pressed on `target` is the operator typing: into a field, a text area, a list box that jumps to what
 * is typed, something editable, or the JSON editor (Monaco takes its keys through a hidden text area, and its own
 * shortcuts — Ctrl+K chords among them — must reach it).
 */
export function isTyping(target: EventTarget | null): boolean {
  const element = asElement(target)
  if (!element) return false
  if (element.isContentEditable || element.closest('.monaco-editor')) return true
  const tag = element.tagName.toUpperCase()
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  return tag === 'INPUT' && !NOT_TEXT.has((element.type ?? 'text').toLowerCase())
}

export interface KeyPress {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
  target: EventTarget | null
}

/**
 * The global shortcut a key press asks for, or null. None fires while the operator types; `/` and `?` are the
 * characters whatever the keyboard layout (the key, not its position, is read), and Cmd+K is macOS's Ctrl+K.
 */
export function shortcutOf(press: KeyPress): GlobalShortcut | null {
  const palette = (press.ctrlKey || press.metaKey) && !press.altKey && press.key.toLowerCase() === 'k'
  // A list box takes typed characters to jump to an option, not Ctrl+K: the palette opens from it.
  const onListBox = asElement(press.target)?.tagName.toUpperCase() === 'SELECT'
  if (isTyping(press.target) && !(palette && onListBox)) return null
  // A dialog has its own keys, and opening another over it would stack one modal on another.
  if (asElement(press.target)?.closest('dialog')) return null
  if (palette) return 'palette'
  if (press.ctrlKey || press.metaKey || press.altKey) return null
  if (press.key === '/') return 'search'
  if (press.key === '?') return 'sheet'
  return null
}

/**
 * Whether a key press is Ctrl+S (Cmd+S on a Mac, where Ctrl+S is the same as anywhere): in the device's configuration
 * editor it saves, and the caller takes it from the browser, whose own would offer to save the page as a file.
 */
export function isSaveKey(press: Omit<KeyPress, 'target'> & { shiftKey: boolean }): boolean {
  return (press.ctrlKey || press.metaKey) && !press.altKey && !press.shiftKey && press.key.toLowerCase() === 's'
}

/**
 * One line of the shortcut sheet: the keys, each a combination like `Shift+↑` whose named keys (`NAMED_KEYS`) the sheet
 * words in the operator's language, and the message key of what they do.
 */
export interface ShortcutLine {
  keys: readonly string[]
  does: string
}

export interface ShortcutGroup {
  title: string
  lines: readonly ShortcutLine[]
}

/**
 * Keys that keyboards print in their own language (a French keyboard says Entrée, Échap, Maj, Suppr…), named by the
 * message `shortcuts.keys.<key>`; the arrows, letters and symbols are the same everywhere.
 */
export const NAMED_KEYS = ['Ctrl', 'Shift', 'Alt', 'Enter', 'Esc', 'Space', 'Tab', 'Home', 'End', 'PageUp', 'PageDown', 'Insert', 'Delete'] as const

/** A key combination (`Ctrl+Home`) as the sheet shows it, each named key through `t` (`Ctrl+Origine` in French). */
export function keysText(combo: string, t: (key: string) => string): string {
  return combo
    .split('+')
    .map((key) => ((NAMED_KEYS as readonly string[]).includes(key) ? t(`shortcuts.keys.${key}`) : key))
    .join('+')
}

/** Every shortcut of the app, by where it works. `mod` is how the platform names the Ctrl key (⌘ on a Mac). */
export function shortcutGroups(mod: string): ShortcutGroup[] {
  return [
    {
      title: 'shortcuts.groups.anywhere',
      lines: [
        { keys: [`${mod}+K`], does: 'shortcuts.palette' },
        { keys: ['/'], does: 'shortcuts.search' },
        { keys: ['?'], does: 'shortcuts.sheet' },
        { keys: ['Esc'], does: 'shortcuts.closeDialog' },
      ],
    },
    {
      title: 'shortcuts.groups.palette',
      lines: [
        { keys: ['↑', '↓'], does: 'shortcuts.paletteMove' },
        { keys: ['Enter'], does: 'shortcuts.paletteGo' },
      ],
    },
    {
      title: 'shortcuts.groups.lists',
      lines: [
        { keys: ['↑', '↓'], does: 'shortcuts.listMove' },
        { keys: ['PageUp', 'PageDown'], does: 'shortcuts.listPage' },
        { keys: ['Home', 'End'], does: 'shortcuts.listEnds' },
        { keys: ['Enter'], does: 'shortcuts.listOpen' },
        { keys: ['Space'], does: 'shortcuts.listSelect' },
        // VirtualRows: Shift with any of the moving keys selects from the anchor to the row it reaches.
        { keys: ['Shift+↑', 'Shift+↓'], does: 'shortcuts.listSelectRange' },
      ],
    },
    {
      title: 'shortcuts.groups.tables',
      lines: [
        { keys: ['←', '→', '↑', '↓'], does: 'shortcuts.tableMove' },
        { keys: ['PageUp', 'PageDown'], does: 'shortcuts.tablePage' },
        { keys: ['Home', 'End'], does: 'shortcuts.tableRowEnds' },
        { keys: ['Ctrl+Home', 'Ctrl+End'], does: 'shortcuts.tableEnds' },
      ],
    },
    {
      // Monaco's own switch (EditorFrame says which way it is under each editor).
      title: 'shortcuts.groups.jsonEditor',
      lines: [
        { keys: ['Tab'], does: 'shortcuts.editorIndent' },
        { keys: ['Ctrl+M'], does: 'shortcuts.editorTabFocus' },
        { keys: [`${mod}+S`], does: 'shortcuts.editorSave' },
      ],
    },
    {
      title: 'shortcuts.groups.ledgerRoute',
      lines: [
        { keys: ['Alt+↑', 'Alt+↓'], does: 'shortcuts.rowMove' },
        { keys: ['Alt+Insert'], does: 'shortcuts.rowAdd' },
        { keys: ['Alt+Delete'], does: 'shortcuts.rowRemove' },
      ],
    },
  ]
}

/** How the Ctrl key is named on this machine: ⌘ on Apple's systems (where Cmd+K opens the palette). */
export function modifierName(platform: string): string {
  return /mac|iphone|ipad/i.test(platform) ? '⌘' : 'Ctrl'
}
