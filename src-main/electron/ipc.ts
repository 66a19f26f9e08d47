/**
 * The Electron transport of the bridge and the only place that touches ipcMain. One handler per
 * contract channel (never a catch-all), each refusing callers that are not our own top frame before the
 * dispatcher sees the input.
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron'
import { CHANNEL_NAMES, type Result } from '../../src-shared/contract'
import { EVENT_CHANNEL, type EventMessage } from '../../src-shared/ipc-channels'
import type { Dispatcher } from '../core/ipc/dispatcher'
import type { EventBus } from '../core/common/events'
import { osActor } from '../core/common/os-actor'
import type { Logger } from '../core/log/logger'
import { clip, rateLimitedWarning } from '../core/log/rate-limited'
import { isTrustedSender, type SenderInfo } from './sender-check'
import { isAppUrl } from './window-options'

/**
 * The webContents we created for the renderer (GitHub Desktop's trusted-sender set). An id is
 * registered at window creation and dropped when the webContents is destroyed, so a recycled id
 * cannot inherit trust.
 */
export class TrustedViews {
  readonly #views = new Map<number, WebContents>()
  readonly #ids = new Set<number>()

  add(contents: WebContents): void {
    const id = contents.id
    this.#views.set(id, contents)
    this.#ids.add(id)
    contents.once('destroyed', () => {
      this.#views.delete(id)
      this.#ids.delete(id)
    })
  }

  get ids(): ReadonlySet<number> {
    return this.#ids
  }

  all(): WebContents[] {
    return [...this.#views.values()]
  }
}

export interface IpcOptions {
  dispatcher: Dispatcher
  bus: EventBus
  views: TrustedViews
  /** The renderer's URL: app://fieldline/index.html, or the dev server in development. */
  appUrl: string
  logger: Logger
}

function senderInfo(event: IpcMainInvokeEvent): SenderInfo {
  const webContentsId = event.sender.id
  try {
    const frame = event.senderFrame
    if (!frame) return { webContentsId, frame: null }
    return {
      webContentsId,
      frame: { url: frame.url, isTopFrame: frame === event.sender.mainFrame && frame.parent === null },
    }
  } catch {
    // Reading a frame that was disposed mid-call throws; an absent frame is never trusted.
    return { webContentsId, frame: null }
  }
}

/** Where a refused call came from, for the log: the frame's origin only (a page's path and query may hold anything). */
function whereFrom(info: SenderInfo): Record<string, unknown> {
  let origin: string | null = null
  try {
    origin = info.frame ? new URL(info.frame.url).origin : null
  } catch {
    origin = clip(info.frame?.url, 60)
  }
  return { webContentsId: info.webContentsId, origin, topFrame: info.frame?.isTopFrame ?? null }
}

function forbidden(): Result<never> {
  return {
    ok: false,
    error: { code: 'FORBIDDEN', message: 'Refused: the call did not come from the Fieldline window.' },
  }
}

/** Registers every contract channel and forwards core events; returns the undo, for shutdown and tests. */
export function registerIpc({ dispatcher, bus, views, appUrl, logger }: IpcOptions): () => void {
  // Every change made in this window is the computer's user's: the audit trail names them.
  const actor = osActor()
  // A hostile page can call as fast as it likes: the log says so once a second, with a count.
  const refused = rateLimitedWarning(logger, 'ipc: refused a call that did not come from the Fieldline window')
  for (const name of CHANNEL_NAMES) {
    ipcMain.handle(name, (event, input: unknown): Promise<Result<unknown>> | Result<never> => {
      const sender = senderInfo(event)
      if (!isTrustedSender(sender, views.ids, appUrl)) {
        refused({ channel: name, ...whereFrom(sender) })
        return forbidden()
      }
      return dispatcher.invoke(name, input, { actor })
    })
  }

  const unsubscribe = bus.subscribe((event, payload) => {
    const message: EventMessage = { event, payload }
    for (const contents of views.all()) {
      // Same rule as for calls: events go only to a live view that still shows our renderer.
      if (contents.isDestroyed() || !isAppUrl(contents.getURL(), appUrl)) continue
      contents.send(EVENT_CHANNEL, message)
    }
  })

  return () => {
    for (const name of CHANNEL_NAMES) ipcMain.removeHandler(name)
    unsubscribe()
    refused.flush()
  }
}
