import { toErrorInfo } from '../../lib/errors'

type Monaco = typeof import('./monaco')

/**
 * Loads Monaco (a dynamic import: about 4 MB the first paint must not wait for) and creates an editor in `target`;
 * returns what unmounting calls. An editor that finishes loading after its component is gone is disposed at once.
 */
export function mountEditor<T extends { dispose(): void }>(
  target: HTMLElement | undefined,
  create: (monaco: Monaco, target: HTMLElement) => Promise<T>,
  onready: (editor: T) => void,
  onfail: (message: string) => void,
): () => void {
  let destroyed = false
  let editor: T | null = null
  if (target) {
    import('./monaco')
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
