/**
 * A real EVM node for tests and benchmarks: Foundry's anvil from npm (@foundry-rs/anvil ships the binary), on a free
 * loopback port, auto-mining, with its state kept in a file so that a restart keeps the chain (docs/wire/ledger.md §2).
 * The test contract is compiled by solc-js at test time (nothing compiled is committed) and deployed with viem.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { createPublicClient, createWalletClient, http, type Abi, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { freePort } from '../../helpers/ports'

const require = createRequire(import.meta.url)
/**
 * The platform binary itself, not node_modules/.bin/anvil: that is a Node wrapper which, on SIGTERM, forwards the
 * signal and kills itself at once, so its exit came before anvil had written its state file. A restart then read a
 * half-written state and a close() removed the directory while anvil was still writing in it (ENOTEMPTY in CI).
 */
const ARCH: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' }
const ANVIL_BIN = require.resolve(`@foundry-rs/anvil-${process.platform}-${ARCH[process.arch] ?? process.arch}/bin/anvil${process.platform === 'win32' ? '.exe' : ''}`)
export const ANVIL_CHAIN_ID = 31337

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  const body = (await res.json()) as { result?: unknown; error?: { message: string } }
  if (body.error) throw new Error(`${method}: ${body.error.message}`)
  return body.result
}

/** A signer key made for this test run and funded through anvil's anvil_setBalance (no key is written anywhere). */
export async function fundedKey(url: string, wei = 10n ** 21n): Promise<Hex> {
  const key = generatePrivateKey()
  await rpc(url, 'anvil_setBalance', [privateKeyToAccount(key).address, `0x${wei.toString(16)}`])
  return key
}

export interface Anvil {
  url: string
  wsUrl: string
  port: number
  /** Stops anvil gracefully (it writes its state file on exit). */
  stop(): Promise<void>
  start(): Promise<void>
  /** SIGTERM then start again on the same port with the same state file. */
  restart(): Promise<void>
  close(): Promise<void>
}

export async function startAnvil(options: { blockTime?: number } = {}): Promise<Anvil> {
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'fieldline-anvil-'))
  const stateFile = join(dir, 'state.json')
  let child: ChildProcess | undefined
  const url = `http://127.0.0.1:${port}`

  async function ready(): Promise<void> {
    const deadline = Date.now() + 20_000
    for (;;) {
      try {
        await rpc(url, 'eth_chainId', [])
        return
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('anvil did not start within 20 s')
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async function start(): Promise<void> {
    const args = ['--host', '127.0.0.1', '--port', String(port), '--silent', '--state', stateFile, '--preserve-historical-states']
    if (options.blockTime) args.push('--block-time', String(options.blockTime))
    child = spawn(ANVIL_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`anvil exited with ${code}`))))
    exited.catch(() => undefined)
    await Promise.race([ready(), exited])
  }

  async function stop(): Promise<void> {
    const c = child
    child = undefined
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve())
      c.kill('SIGTERM')
    })
  }

  await start()
  process.once('exit', () => child?.kill('SIGKILL'))
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    start,
    stop,
    async restart() {
      await stop()
      await start()
    },
    async close() {
      await stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export interface Compiled {
  abi: Abi
  bytecode: Hex
}

let compiled: Promise<Compiled> | undefined

/** Compiles asset-tracker.sol with the bundled solc-js (no network: only the bundled compiler version is used). */
export function compileAssetTracker(): Promise<Compiled> {
  compiled ??= (async () => {
    const solc = require('solc') as { compile(input: string): string }
    const source = await readFile(join(import.meta.dirname, 'asset-tracker.sol'), 'utf8')
    const input = {
      language: 'Solidity',
      sources: { 'asset-tracker.sol': { content: source } },
      settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
    }
    const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
      errors?: { severity: string; formattedMessage: string }[]
      contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>
    }
    const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
    if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'))
    const c = output.contracts['asset-tracker.sol']!.AssetTracker!
    return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` as Hex }
  })()
  return compiled
}

/** Deploys the test contract with `key`; resolves its address. */
export async function deployAssetTracker(url: string): Promise<{ address: Hex; abi: Abi; abiText: string }> {
  const { abi, bytecode } = await compileAssetTracker()
  const account = privateKeyToAccount(await fundedKey(url))
  const chain = { id: ANVIL_CHAIN_ID, name: 'anvil', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [url] } } } as const
  const wallet = createWalletClient({ account, chain, transport: http(url) })
  const pub = createPublicClient({ chain, transport: http(url) })
  const hash = await wallet.deployContract({ abi, bytecode })
  const receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 })
  if (!receipt.contractAddress) throw new Error('deployment produced no contract')
  return { address: receipt.contractAddress, abi, abiText: JSON.stringify(abi, null, 2) }
}
