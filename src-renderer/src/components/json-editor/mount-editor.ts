import { toErrorInfo } from '../../lib/errors'

type Monaco = typeof import('./monaco')

/**
 * Creates an editor in `target` once Monaco is loaded (`monaco`: monaco-messages.ts's dynamic import, about 4 MB the
 * first paint must not wait for, its strings in the app's language); returns what unmounting calls. An editor that
 * finishes loading after its component is gone is disposed at once.
 */
export function mountEditor<T extends { dispose(): void }>(
  target: HTMLElement | undefined,
  monaco: Promise<Monaco>,
  create: (monaco: Monaco, target: HTMLElement) => Promise<T>,
  onready: (editor: T) => void,
  onfail: (message: string) => void,
): () => void {
  let destroyed = false
  let editor: T | null = null
  if (target) {
    monaco
      .then((m) => create(m, target))
      .then((created) => {
        if (destroyed) return created.dispose()
        editor = created
        onready(created)
      })
      .catch((e: unknown) => onfail(toErrorInfo(e).message))
  }
  return () => {
    destroyed = true
    editor?.dispose()
  }
}
