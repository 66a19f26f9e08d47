import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChannelName, Input, Output } from '../../src-shared/contract'
import { createCore, type Core, type CoreOptions } from '../../src-main/core/app'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { workspaceAccount } from '../../src-main/core/vault/workspace-names'
import type { AppError } from '../../src-main/core/common/errors'

export async function tempDir(prefix = 'fieldline-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }
/** A logger that writes nothing, for cores and services under test. */
export const silentLogger = silent

/** A real core on a temporary data directory, with the in-memory vault and a silent logger. */
export async function testCore(
  dataDir: string,
  options: Partial<
    Pick<CoreOptions, 'now' | 'orangePolling' | 'orangeEnvironment' | 'ledgerTimings' | 'vault' | 'historianTuning' | 'syncTuning' | 'outboxRetry' | 'logger' | 'simReadDeadlineMs'>
  > = {},
): Promise<Core & { call: <C extends ChannelName>(c: C, i: Input<C>) => Promise<Output<C>> }> {
  const core = await createCore({ dataDir, mode: 'serve', vault: createMemoryStore(), logger: silent, ...options })
  return Object.assign(core, {
    async call<C extends ChannelName>(channel: C, input: Input<C>): Promise<Output<C>> {
      const r = await core.dispatcher.invoke(channel, input)
      if (!r.ok) throw Object.assign(new Error(r.error.message), { bridge: r.error })
      return r.value as Output<C>
    },
  })
}

/** The keychain name the workspace in `dataDir` (opened and closed again) gives `account`: to seed a keychain before a core opens it. */
export async function keychainAccount(dataDir: string, account: string): Promise<string> {
  const workspace = await openWorkspace(dataDir)
  try {
    return workspaceAccount(workspace.id!, account)
  } finally {
    await workspace.close()
  }
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (e) {
    return e as AppError
  }
  throw new Error('expected a rejection')
}

/** A test core on a temporary directory holding the devices of a CSV file (`lines`, its header first), all indexed. */
export async function coreWithDevices(lines: readonly string[]): Promise<{ core: Awaited<ReturnType<typeof testCore>>; cleanup: () => Promise<void> }> {
  const t = await tempDir()
  const core = await testCore(t.dir)
  const { jobId } = await core.call('import:start', { fileName: 'devices.csv' })
  // Chunks of 20,000 lines: a chunk is one bridge message, and those have a size limit.
  for (let i = 0; i < lines.length; i += 20_000) {
    await core.call('import:chunk', { jobId, data: Buffer.from(`${lines.slice(i, i + 20_000).join('\n')}\n`).toString('base64') })
  }
  await core.call('import:finish', { jobId })
  await core.deviceIndex.sync()
  return {
    core,
    async cleanup() {
      await core.close()
      await t.cleanup()
    },
  }
}
