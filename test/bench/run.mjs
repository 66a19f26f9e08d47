/** Runs every benchmark in this folder in turn; each prints its own figures. */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const only = process.argv[2]
let failed = 0
for (const file of readdirSync(here)
  .filter((f) => /\.bench\.(mjs|ts)$/.test(f) && (!only || f.includes(only)))
  .sort()) {
  console.log(`\n== ${file}`)
  // TypeScript benchmarks import the core and the peers from source.
  const args = file.endsWith('.ts') ? ['--import', 'tsx', `${here}${file}`] : [`${here}${file}`]
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' })
  if (r.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
