/**
 * Real file systems in trouble, for the disk tests: a small tmpfs that fills up, and a read-only bind mount.
 * Mounting needs root (CI runs as root, as this machine does); where it is refused the suites say so and skip,
 * or fail under FIELDLINE_STRICT=1. No fault-injecting shim stands in: LevelDB writes from C++, out of reach of one.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { missingService } from './system'

function mount(args: string[]): void {
  execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

export function unmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Null when this machine lets the tests mount file systems, else why not (printed; fatal under FIELDLINE_STRICT=1). */
export async function mountSkipReason(): Promise<string | null> {
  if (process.platform !== 'linux') return missingService('tmpfs mounts', `${process.platform} has no tmpfs mount`)
  const probe = await mkdtemp(join(tmpdir(), 'fieldline-mount-probe-'))
  try {
    mount(['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe])
    unmount(probe)
    return null
  } catch (e) {
    return missingService('tmpfs mounts', `mount -t tmpfs refused (${(e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message}); run as root`)
  } finally {
    await rm(probe, { recursive: true, force: true })
  }
}

/** A tmpfs of `size` (mount's syntax: 4m) at a new folder; `close()` unmounts and removes it. */
export async function smallDisk(size: string): Promise<{ dir: string; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldline-small-disk-'))
  mount(['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir])
  return {
    dir,
    async close() {
      unmount(dir)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** `source` seen read-only at a new folder (a bind mount remounted ro); `close()` unmounts it. */
export async function readOnlyView(source: string): Promise<{ dir: string; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldline-read-only-'))
  mount(['--bind', source, dir])
  mount(['-o', 'remount,bind,ro', dir])
  return {
    dir,
    async close() {
      unmount(dir)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Fills what is left of the disk holding `dir` with one file, so nothing more can be written there; returns its path. */
export async function fillDisk(dir: string): Promise<string> {
  const path = join(dir, 'filler')
  const chunk = Buffer.alloc(64 * 1024)
  const file = await open(path, 'a')
  try {
    for (;;) await file.write(chunk)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e
  } finally {
    await file.close().catch(() => undefined)
  }
  return path
}
