/**
 * The renderer's whole view of the main process. It takes the IPC object as a parameter (and does not
 * import 'electron') so it is tested under plain Node; index.ts wires it to ipcRenderer.
 */
import { isChannelName, isEventName, type FieldlineApi, type ChannelName, type ErrorCode, type EventName, type Input, type Output, type Result } from '../src-shared/contract'
import { EVENT_CHANNEL } from '../src-shared/ipc-channels'

/** The two ipcRenderer methods the bridge uses; nothing else of it is reachable from here. */
export interface PreloadIpc {
  invoke(channel: string, input: unknown): Promise<unknown>
  on(channel: string, listener: (event: unknown, message: unknown) => void): unknown
}

type Listener = (payload: unknown) => void

function failure(code: ErrorCode, message: string): Result<never> {
  return { ok: false, error: { code, message } }
}

export function createIpcApi(ipc: PreloadIpc): FieldlineApi {
  const listeners = new Map<EventName, Set<Listener>>()

  // One IPC listener for all events: the IPC event object (which holds `sender`, a handle back to
  // ipcRenderer) is dropped here and never reaches the page.
  ipc.on(EVENT_CHANNEL, (_event, message) => {
    if (typeof message !== 'object' || message === null) return
    const { event, payload } = message as { event?: unknown; payload?: unknown }
    if (!isEventName(event)) return
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        listener(payload)
      } catch (error) {
        // One failing view must not starve the others of the event.
        console.error(`fieldline: a listener for ${event} threw`, error)
      }
    }
  })

  const invoke = async <C extends ChannelName>(channel: C, input: Input<C>): Promise<Result<Output<C>>> => {
    // Refused here as well as in main (VS Code's allow-list at both ends): a name outside the contract
    // never reaches IPC.
    if (!isChannelName(channel)) {
      return failure('UNKNOWN_CHANNEL', `Unknown channel: ${String(channel).slice(0, 80)}`)
    }
    try {
      const answer: unknown = await ipc.invoke(channel, input)
      // Main validated the answer against the contract's output schema before sending it.
      return answer as Result<Output<C>>
    } catch (error) {
      // Errors crossing ipcMain.handle keep only their message; the caller still gets a Result.
      const detail = error instanceof Error ? error.message : String(error)
      return failure('INTERNAL', `The bridge call ${channel} failed: ${detail}`)
    }
  }

  return Object.freeze<FieldlineApi>({
    invoke,

    on(event, listener) {
      if (!isEventName(event)) throw new TypeError(`Unknown event: ${String(event).slice(0, 80)}`)
      if (typeof listener !== 'function') throw new TypeError('The listener must be a function')
      const set = listeners.get(event) ?? new Set<Listener>()
      listeners.set(event, set)
      const entry = listener as Listener
      set.add(entry)
      return () => {
        set.delete(entry)
      }
    },
  })
}
