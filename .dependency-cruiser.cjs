/**
 * The rooms of the code and the arrows allowed between them (docs/architecture.md draws the same picture).
 * `npm run lint` runs these rules; a new import that breaks one fails the build, so the map cannot drift.
 */

/**
 * The core's rooms, lowest first. A room may import rooms of a lower tier, never one of its own tier or above, so
 * no two rooms can ever import each other. app.ts (the composition root) stands above them all.
 */
const CORE_TIERS = [
  ['common'],
  ['log', 'json'],
  ['store', 'vault', 'http'],
  ['platform', 'trash'],
  ['profiles'],
  ['devices', 'carriers', 'mail', 'weather'],
  ['dm-packages', 'mbed', 'team', 'ledger', 'sims', 'jobs'],
  ['historian'],
  ['sync'],
  ['ipc'],
]

const tierRules = CORE_TIERS.flatMap((rooms, tier) => {
  const notBelow = CORE_TIERS.slice(tier).flat()
  return rooms.map((room) => ({
    name: `core-tier-${room}`,
    comment: `core/${room} may import only the rooms below its tier (${CORE_TIERS.slice(0, tier).flat().join(', ') || 'none'}).`,
    severity: 'error',
    from: { path: `^src-main/core/${room}/` },
    to: { path: `^src-main/core/(${notBelow.join('|')})/`, pathNot: `^src-main/core/${room}/` },
  }))
})

const unknownRoom = {
  name: 'core-rooms-are-listed',
  comment: 'Every folder of the core has a tier in CORE_TIERS: add a new room there, at the level it belongs.',
  severity: 'error',
  from: { path: '^src-main/core/[^/]+/', pathNot: `^src-main/core/(${CORE_TIERS.flat().join('|')})/` },
  to: {},
}

module.exports = {
  forbidden: [
    ...tierRules,
    unknownRoom,
    {
      name: 'no-cycles',
      comment: 'Two modules that import each other cannot be understood, tested or moved apart: give the shared part its own module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-is-a-leaf',
      comment: 'src-shared (contract, models, pure helpers) is imported by every side and imports none of them.',
      severity: 'error',
      from: { path: '^src-shared/' },
      to: { path: '^(src-main|src-preload|src-renderer|test)/' },
    },
    {
      name: 'core-knows-no-shell',
      comment: 'The core runs in Electron, serve mode and the CLI alike: it never imports a shell, the preload or the renderer.',
      severity: 'error',
      from: { path: '^src-main/core/' },
      to: { path: '^(src-main/(electron|serve|cli)|src-preload|src-renderer)/' },
    },
    {
      name: 'store-knows-no-domain',
      comment: 'The store keeps documents; the domain modules use it, never the other way round.',
      severity: 'error',
      from: { path: '^src-main/core/store/' },
      to: { path: '^src-main/core/', pathNot: '^src-main/core/(store|common)/' },
    },
    {
      name: 'common-is-a-leaf-of-the-core',
      comment: 'core/common (errors, call context, events, validation) may be imported by every room of the core, so it imports none of them.',
      severity: 'error',
      from: { path: '^src-main/core/common/' },
      to: { path: '^src-main/', pathNot: '^src-main/core/common/' },
    },
    {
      name: 'shells-do-not-know-each-other',
      comment: 'Electron, serve mode and the CLI each stand on the core alone (the CLI may start serve mode).',
      severity: 'error',
      from: { path: '^src-main/(electron|serve)/' },
      to: { path: '^src-main/(electron|serve|cli)/', pathNot: '^src-main/$1/' },
    },
    {
      name: 'renderer-talks-through-the-contract',
      comment: 'The renderer reaches the core only over the IPC transport: it imports src-shared, never src-main or the preload.',
      severity: 'error',
      from: { path: '^src-renderer/' },
      to: { path: '^(src-main|src-preload)/' },
    },
    {
      name: 'preload-is-the-contract-and-ipc-only',
      comment: 'The sandboxed preload may require only electron and what the build bundles in (the contract and zod).',
      severity: 'error',
      from: { path: '^src-preload/' },
      to: { path: '^(src-main|src-renderer)/' },
    },
    {
      name: 'electron-only-in-its-shell',
      comment: "Requiring 'electron' from plain Node tries to download the runtime and throws; only the Electron shell and the preload may.",
      severity: 'error',
      from: { pathNot: '^(src-main/electron|src-preload)/' },
      to: { path: '^electron$', dependencyTypes: ['core', 'npm', 'npm-dev', 'unknown', 'undetermined'] },
    },
    {
      name: 'no-test-code-in-the-product',
      comment: 'Peers and helpers are for tests; the product never ships them.',
      severity: 'error',
      from: { path: '^src-' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(out|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.node.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.svelte.ts', '.mts', '.js', '.mjs', '.svelte', '.json'] },
  },
}
