import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
const root = process.cwd()
const en = JSON.parse(readFileSync('src-renderer/src/i18n/en.json', 'utf8'))
const flat = new Map()
const walk = (o, p = '') => { for (const [k, v] of Object.entries(o)) { const q = p ? `${p}.${k}` : k; if (typeof v === 'string') flat.set(q, v); else walk(v, q) } }
walk(en)
const files = (d) => readdirSync(d, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(svelte|ts)$/.test(f)).map((f) => join(d, f))
let text = ''
for (const f of [...files('src-renderer/src'), ...files('src-main'), ...files('src-shared')]) text += readFileSync(f, 'utf8') + '\n'
const used = new Set([...text.matchAll(/['"`]([a-z][A-Za-z]*(?:\.[A-Za-z0-9_]+)+)['"`]/g)].map((m) => m[1]))
const missing = [...used].filter((k) => !flat.has(k) && /^(form|common|profiles|mail|mbed|platform|devices|activity|errors|table|packages|team|outbox|sim|extensions|import|settings|app|nav)\./.test(k))
console.log('MISSING', missing.join('\n'))
// unused: keys whose exact string never appears and whose prefix is not used dynamically
const dynamicPrefixes = [...text.matchAll(/[`]([a-z][A-Za-z.]*\.)\$\{/g)].map((m) => m[1])
const unused = [...flat.keys()].filter((k) => !text.includes(`'${k}'`) && !text.includes(`"${k}"`) && !text.includes('`' + k + '`') && !dynamicPrefixes.some((p) => k.startsWith(p)))
console.log('PREFIXES', [...new Set(dynamicPrefixes)].join(' '))
console.log('UNUSED', unused.join('\n'))
