/**
 * Who may call the bridge. Pure (no 'electron' import) so the rule is unit-tested under plain Node;
 * ipc.ts extracts a SenderInfo from each IPC event and asks this module.
 */
import { isAppUrl } from './window-options'

export interface SenderInfo {
  /** `event.sender.id`: the webContents the message came from. */
  webContentsId: number
  /** The sending frame, or null when it is gone (destroyed or navigated away mid-call). */
  frame: { url: string; isTopFrame: boolean } | null
}

/**
 * A call is trusted only from the top frame of a webContents we created, while it shows our own
 * renderer. Each condition stops a different attack: an injected iframe, a foreign webContents (a
 * window or webview we did not create), and our own window after a navigation that slipped through.
 */
export function isTrustedSender(sender: SenderInfo, trustedIds: ReadonlySet<number>, appUrl: string): boolean {
  if (!trustedIds.has(sender.webContentsId)) return false
  if (!sender.frame || !sender.frame.isTopFrame) return false
  return isAppUrl(sender.frame.url, appUrl)
}
