import { describe, expect, it } from 'vitest'
import { isSaveKey, isTyping, keysText, modifierName, NAMED_KEYS, shortcutGroups, shortcutOf, type KeyPress } from '../../src-renderer/src/lib/shortcuts'
import en from '../../src-renderer/src/i18n/en.json'
import fr from '../../src-renderer/src/i18n/fr.json'

/** A stand-in for a DOM element (the renderer specs run without a DOM): its tag, type, editability and ancestors. */
function element(tagName: string, options: { type?: string; editable?: boolean; inside?: string[] } = {}) {
  const inside = options.inside ?? []
  return {
    tagName,
    type: options.type,
    isContentEditable: options.editable ?? false,
    closest: (selector: string) => (selector.split(',').some((s) => inside.includes(s.trim())) ? {} : null),
  } as unknown as EventTarget
}

const press = (key: string, target: EventTarget | null, mods: Partial<KeyPress> = {}): KeyPress => ({ key, target, ctrlKey: false, metaKey: false, altKey: false, ...mods })

describe('the shortcut guard', () => {
  const typing = [
    ['a text field', element('INPUT', { type: 'text' })],
    ['a search field', element('INPUT', { type: 'search' })],
    ['a field of no stated type', element('INPUT')],
    ['a number field', element('INPUT', { type: 'number' })],
    ['a text area', element('TEXTAREA')],
    ['something content-editable', element('DIV', { editable: true })],
    ['the Monaco editor', element('TEXTAREA', { inside: ['.monaco-editor'] })],
    ['a part of the Monaco editor that is no field', element('DIV', { inside: ['.monaco-editor'] })],
  ] as const
  for (const [what, target] of typing) {
    it(`fires no shortcut while typing in ${what}`, () => {
      expect(isTyping(target)).toBe(true)
      for (const key of ['/', '?']) expect(shortcutOf(press(key, target))).toBeNull()
      expect(shortcutOf(press('k', target, { ctrlKey: true }))).toBeNull()
      expect(shortcutOf(press('k', target, { metaKey: true }))).toBeNull()
    })
  }

  it('takes `/` and `?` on a list box as the characters that jump to an option, but opens the palette from it', () => {
    const select = element('SELECT')
    expect(isTyping(select)).toBe(true)
    for (const key of ['/', '?']) expect(shortcutOf(press(key, select))).toBeNull()
    expect(shortcutOf(press('k', select, { ctrlKey: true }))).toBe('palette')
    expect(shortcutOf(press('k', element('SELECT', { inside: ['dialog'] }), { ctrlKey: true }))).toBeNull()
  })

  it('fires on the page, a button, a checkbox or a list row', () => {
    for (const target of [null, element('BODY'), element('BUTTON'), element('INPUT', { type: 'checkbox' }), element('DIV')]) {
      expect(isTyping(target)).toBe(false)
      expect(shortcutOf(press('/', target))).toBe('search')
      expect(shortcutOf(press('?', target))).toBe('sheet')
      expect(shortcutOf(press('k', target, { ctrlKey: true }))).toBe('palette')
      expect(shortcutOf(press('K', target, { metaKey: true }))).toBe('palette')
    }
  })

  it('fires nothing inside a dialog, for other keys or with other modifiers', () => {
    expect(shortcutOf(press('?', element('BUTTON', { inside: ['dialog'] })))).toBeNull()
    expect(shortcutOf(press('k', element('BODY')))).toBeNull()
    expect(shortcutOf(press('k', element('BODY'), { ctrlKey: true, altKey: true }))).toBeNull()
    expect(shortcutOf(press('/', element('BODY'), { ctrlKey: true }))).toBeNull()
  })
})

describe('the save key of the configuration editor', () => {
  const key = (k: string, mods: { ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean; shiftKey?: boolean } = {}) => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    shiftKey: false,
    ...mods,
  })

  it('is Ctrl+S, or ⌘S on a Mac, whatever the Caps Lock', () => {
    expect(isSaveKey(key('s', { ctrlKey: true }))).toBe(true)
    expect(isSaveKey(key('s', { metaKey: true }))).toBe(true)
    expect(isSaveKey(key('S', { ctrlKey: true }))).toBe(true)
  })

  it('is not S alone, another letter, or S with Alt or Shift (AltGr is Ctrl+Alt on Windows; Ctrl+Shift+S is "Save as")', () => {
    expect(isSaveKey(key('s'))).toBe(false)
    expect(isSaveKey(key('d', { ctrlKey: true }))).toBe(false)
    expect(isSaveKey(key('s', { ctrlKey: true, altKey: true }))).toBe(false)
    expect(isSaveKey(key('S', { ctrlKey: true, shiftKey: true }))).toBe(false)
  })
})

describe('the shortcut sheet', () => {
  it("names the platform's modifier", () => {
    expect(modifierName('MacIntel')).toBe('⌘')
    expect(modifierName('Linux x86_64')).toBe('Ctrl')
    expect(shortcutGroups('⌘')[0]!.lines[0]!.keys).toEqual(['⌘+K'])
  })

  it('lists each shortcut once, every text in English and French', () => {
    const groups = shortcutGroups('Ctrl')
    const keys = groups.flatMap((g) => [g.title, ...g.lines.map((l) => l.does)])
    expect(new Set(keys).size).toBe(keys.length)
    const lookup = (catalogue: unknown, key: string) => key.split('.').reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], catalogue)
    expect(keys.filter((k) => typeof lookup(en, k) !== 'string' || typeof lookup(fr, k) !== 'string')).toEqual([])
  })

  const lookup = (catalogue: unknown, key: string) => key.split('.').reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], catalogue)
  const words = (catalogue: unknown) => (key: string) => String(lookup(catalogue, key))

  it('names the keys as a French keyboard prints them, and every named key in both languages', () => {
    const fromFrench = words(fr)
    expect(keysText('Enter', fromFrench)).toBe('Entrée')
    expect(keysText('Esc', fromFrench)).toBe('Échap')
    expect(keysText('Ctrl+Home', fromFrench)).toBe('Ctrl+Origine')
    expect(keysText('Shift+↑', fromFrench)).toBe('Maj+↑')
    expect(keysText('Alt+Delete', fromFrench)).toBe('Alt+Suppr')
    expect(keysText('⌘+K', fromFrench)).toBe('⌘+K')
    expect(keysText('PageDown', words(en))).toBe('PageDown')
    expect(NAMED_KEYS.filter((k) => typeof lookup(en, `shortcuts.keys.${k}`) !== 'string' || typeof lookup(fr, `shortcuts.keys.${k}`) !== 'string')).toEqual([])
    // Every word of a combination the sheet lists is a named key or a symbol: none is left in English by mistake.
    const parts = shortcutGroups('Ctrl').flatMap((g) => g.lines.flatMap((l) => l.keys.flatMap((k) => k.split('+'))))
    expect(parts.filter((part) => /^\p{L}{2,}$/u.test(part) && !(NAMED_KEYS as readonly string[]).includes(part))).toEqual([])
  })

  it('lists the keys the lists, tables and JSON editor take beyond moving: a range selection, paging a table, Ctrl+M', () => {
    const listed = new Map(shortcutGroups('Ctrl').flatMap((g) => g.lines.map((l) => [l.does, l.keys] as const)))
    expect(listed.get('shortcuts.listSelectRange')).toEqual(['Shift+↑', 'Shift+↓'])
    expect(listed.get('shortcuts.tablePage')).toEqual(['PageUp', 'PageDown'])
    expect(listed.get('shortcuts.editorTabFocus')).toEqual(['Ctrl+M'])
    expect(new Map(shortcutGroups('⌘').flatMap((g) => g.lines.map((l) => [l.does, l.keys] as const))).get('shortcuts.editorSave')).toEqual(['⌘+S'])
  })
})
