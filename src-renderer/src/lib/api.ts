import type { FieldlineApi, ChannelName, EventName, EventPayload, Input, Output, Result } from '../../../src-shared/contract'
import { translateRef } from '../i18n'
import { notices } from './state/notices.svelte'
import { WsBridge, type ConnectionStatus } from './ws-transport'

export type { ConnectionStatus }

const TOKEN_KEY = 'fieldline.token'

/**
 * The renderer's one way to reach the core. Every call answers with the contract's Result (`{ ok, value }` or
 * `{ ok, error }`) and never throws: that is what the core returns across the transport, so a refusal stays a typed
 * ErrorInfo (code, message reference, diagnostics) from the dispatcher to the component that shows it, without being
 * turned into an exception and back. The compiler then asks every caller to look at `ok` before it uses `value`, and a
 * caller that only forwards the refusal does so without a try/catch.
 */
export interface Api {
  readonly status: ConnectionStatus
  invoke<C extends ChannelName>(channel: C, input: Input<C>): Promise<Result<Output<C>>>
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

/**
 * Whether serve mode answers a plain request for its page: it does without the token (the page holds no secret),
 * from the page's own origin, so the Host check it makes against DNS rebinding passes as it does for the page.
 */
async function serverAnswers(): Promise<boolean> {
  try {
    const res = await fetch(new URL('/', location.href), { method: 'HEAD', cache: 'no-store', credentials: 'omit', redirect: 'error' })
    return res.ok
  } catch {
    return false
  }
}

function wrap(bridge: FieldlineApi, extras: Pick<Api, 'onStatus' | 'onReconnect'> & { status: () => ConnectionStatus }): Api {
  return {
    get status() {
      return extras.status()
    },
    invoke: (channel, input) => bridge.invoke(channel, input),
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
  const ws = new WsBridge(url, serverAnswers)
  // The new address pasted into this tab after a restart changes only the hash, which loads nothing: load the page
  // again so it takes the new token (takeToken) and connects with it.
  window.addEventListener('hashchange', () => {
    if (location.hash.startsWith('#token=')) location.reload()
  })
  // Every call in flight failed with this error, but some were background refreshes nobody shows: say it once.
  ws.onRefused((error) => notices.push('error', (t) => translateRef(t, error.details?.ref, error.message)))
  return wrap(ws, {
    status: () => ws.status,
    onStatus: (l) => ws.onStatus(l),
    onReconnect: (l) => ws.onReconnect(l),
  })
}

export const api: Api = createApi()
