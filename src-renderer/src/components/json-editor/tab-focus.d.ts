/**
 * Monaco's switch for what Tab does (Ctrl+M), from a module its package ships without types. One switch for every
 * editor of the page, as in VS Code: the editors' hint reads it so it never says "Tab indents" while Tab leaves.
 */
declare module 'monaco-editor/editor/browser/config/tabFocus' {
  export const TabFocus: {
    getTabFocusMode(): boolean
    onDidChangeTabFocus(listener: (tabMovesFocus: boolean) => void): { dispose(): void }
  }
}
