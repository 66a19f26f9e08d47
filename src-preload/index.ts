/**
 * Runs sandboxed (sandbox: true): it may require only 'electron', so the build bundles the contract and
 * zod into this one CommonJS file. It exposes `window.fieldline` with `invoke` and `on`, and nothing
 * else: no ipcRenderer, no IPC event objects, no Node.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { createIpcApi } from './ipc-api'

contextBridge.exposeInMainWorld(
  'fieldline',
  createIpcApi({
    invoke: (channel, input) => ipcRenderer.invoke(channel, input),
    on: (channel, listener) => ipcRenderer.on(channel, listener),
  }),
)
