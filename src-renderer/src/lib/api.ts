import type {
  FieldlineApi,
  ErrorInfo,
  ChannelName,
  EventName,
  EventPayload,
  Input,
  Output,
  Result,
} from '../../../src-shared/contract'
import { get } from 'svelte/store'
import { _ } from 'svelte-i18n'
import { translateRef } from '../i18n'
import { notices } from './state/notices.svelte'
import { WsBridge, type ConnectionStatus } from './ws-transport'

export type { ConnectionStatus }

const TOKEN_KEY = 'fieldline.token'

/** A failed bridge call, thrown by `api.call` so that callers can use try/catch and still see the code. */
export class CallError extends Error {
  readonly error: ErrorInfo

  constructor(error: ErrorInfo) {
    super(error.message)
    this.name = 'CallError'
    this.error = error
  }
}

export interface Api {
  readonly status: ConnectionStatus
  invoke<C extends ChannelName>(channel: C, input: Input<C>): Promise<Result<Output<C>>>
  /** Like invoke, but returns the value or throws a CallError. */
  call<C extends ChannelName>(channel: C, input: Input<C>): Promise<Output<C>>
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
  onStatus(listener: (status: ConnectionStatus) => void): () => void
  onReconnect(listener: () => void): () => void
}

/**
 * Takes the serve-mode token out of the URL. It stays in sessionStorage (per tab, gone with it) so a reload
 * still works, and is removed from the address bar so it is not copied, bookmarked or shown on screen shares.
 */
function takeToken(): string | null {
  const fromUrl = location.hash.startsWith('#token=') ? new URLSearchParams(location.hash.slice(1)).get('token') : null
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    history.replaceState(history.state, '', location.pathname + location.search)
    return fromUrl
  }
  return sessionStorage.getItem(TOKEN_KEY)
}

function wrap(bridge: FieldlineApi, extras: Pick<Api, 'onStatus' | 'onReconnect'> & { status: () => ConnectionStatus }): Api {
  return {
    get status() {
      return extras.status()
    },
    invoke: (channel, input) => bridge.invoke(channel, input),
    async call(channel, input) {
      const result = await bridge.invoke(channel, input)
      if (!result.ok) throw new CallError(result.error)
      return result.value
    },
    on: (event, listener) => bridge.on(event, listener),
    onStatus: extras.onStatus,
    onReconnect: extras.onReconnect,
  }
}

function createApi(): Api {
  if (window.fieldline) {
    return wrap(window.fieldline, {
      status: () => 'open',
      onStatus: () => () => {},
      onReconnect: () => () => {},
    })
  }
  const token = takeToken()
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  const url = token ? `${scheme}//${location.host}/ipc?token=${encodeURIComponent(token)}` : null
  const ws = new WsBridge(url)
  // Every call in flight failed with this error, but some were background refreshes nobody shows: say it once.
  ws.onRefused((error) => notices.push('error', translateRef(get(_), error.details?.ref, error.message)))
  return wrap(ws, {
    status: () => ws.status,
    onStatus: (l) => ws.onStatus(l),
    onReconnect: (l) => ws.onReconnect(l),
  })
}

export const api: Api = createApi()
