import { app, Menu, type MenuItemConstructorOptions } from 'electron'

/**
 * A minimal menu built from roles: without an application menu the standard shortcuts (copy, paste,
 * undo in Monaco and every input; quit; zoom) stop working on macOS. Reload and developer tools are
 * left out of packaged builds.
 */
export function installApplicationMenu(): void {
  const isMac = process.platform === 'darwin'
  const view: MenuItemConstructorOptions[] = [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }]
  if (!app.isPackaged) view.push({ type: 'separator' }, { role: 'reload' }, { role: 'toggleDevTools' })

  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
}
