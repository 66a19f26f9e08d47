/**
 * Ledger forwarding (docs/wire/ledger.md): targets (an EVM contract or a Fabric chaincode), routes that map a device
 * event to a contract call, the forward queue and the monitoring views. The contract spreads these channels and events
 * (`...ledgerChannels`, `...ledgerEvents`), so the ledger room and the contract share one definition.
 *
 * Secrets (the EVM signer key, the Fabric private key) are write-only here: a value sets or replaces, null clears,
 * absent keeps; what comes back is only whether each is set, and for EVM the signer's address.
 */
import { z } from 'zod'
import { diagnosticSchema, errorInfoSchema } from './errors'

export const ledgerIdSchema = z
  .string()
  .max(48)
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, { message: "must be 1–48 lower-case letters, digits or '-'" })
const secretValue = z.string().min(1).max(16_384).nullable()
const pem = z.string().max(100_000)
/** The platform's id charset (docs/wire/platform-mqtt.md §3): a route's device type and event are topic levels. */
const topicLevel = z
  .string()
  .max(36)
  .regex(/^[A-Za-z0-9._-]{1,36}$/, { message: "must be 1–36 letters, digits, '-', '_' or '.'" })

/** Largest ABI accepted (characters of JSON). */
export const MAX_ABI_CHARS = 1_000_000

export const evmTargetSettingsSchema = z
  .object({
    kind: z.literal('evm'),
    /** https:// or wss://; http:// and ws:// only to this computer (loopback). */
    rpcUrl: z.string().trim().min(1).max(300),
    /** Checked against the node's eth_chainId before anything is signed. */
    chainId: z
      .number()
      .int()
      .min(1)
      .max(2 ** 53 - 1),
    /** Stored checksummed (EIP-55); a mixed-case address with a wrong checksum is refused. */
    contract: z.string().trim().min(1).max(64),
    /** The contract's ABI as JSON text (pasted or read from a file), validated with line and column. */
    abi: z.string().min(1).max(MAX_ABI_CHARS),
  })
  .strict()
export type EvmTargetSettings = z.infer<typeof evmTargetSettingsSchema>

export const fabricTargetSettingsSchema = z
  .object({
    kind: z.literal('fabric'),
    /** The Gateway peer, host:port (gRPC over TLS). */
    endpoint: z
      .string()
      .trim()
      .max(260)
      .regex(/^[A-Za-z0-9.-]{1,253}:\d{1,5}$/, { message: 'must be host:port' }),
    /** The peer's TLS CA (PEM). A certificate is public, so it is not a secret. */
    tlsCa: pem.min(1),
    /** The TLS host name when it differs from the endpoint's host (grpc.ssl_target_name_override). */
    hostnameOverride: z.string().trim().max(253).default(''),
    mspId: z.string().trim().min(1).max(100),
    /** The client identity's certificate (PEM); its private key is the target's secret. */
    certificate: pem.min(1),
    channel: z.string().trim().min(1).max(250),
    chaincode: z.string().trim().min(1).max(250),
  })
  .strict()
export type FabricTargetSettings = z.infer<typeof fabricTargetSettingsSchema>

export const ledgerTargetSettingsSchema = z.discriminatedUnion('kind', [evmTargetSettingsSchema, fabricTargetSettingsSchema])
export type LedgerTargetSettings = z.infer<typeof ledgerTargetSettingsSchema>

export const LEDGER_SECRETS = { evm: ['signerKey'], fabric: ['privateKey'] } as const

export const ledgerTargetSaveSchema = z
  .object({
    id: ledgerIdSchema.optional(),
    name: z.string().trim().min(1).max(80),
    settings: ledgerTargetSettingsSchema,
    secrets: z.object({ signerKey: secretValue.optional(), privateKey: secretValue.optional() }).strict().default({}),
  })
  .strict()

export const ledgerTargetSchema = z.object({
  id: z.string(),
  name: z.string(),
  settings: ledgerTargetSettingsSchema,
  secrets: z.object({ signerKey: z.boolean(), privateKey: z.boolean() }),
  /** EVM: the address of the signer key (shown; the key never is). */
  signer: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type LedgerTarget = z.infer<typeof ledgerTargetSchema>

// ---- routes ----------------------------------------------------------------------------------------------------------

/** A source path into the event's JSON: dot-separated names with optional [n] indexes, e.g. `d.temp` or `d.pos[0]`. */
export const sourcePathSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_$-]+(\[\d{1,4}\])*(\.[A-Za-z0-9_$-]+(\[\d{1,4}\])*)*$/, { message: 'must be names separated by dots, such as d.temp or d.pos[0]' })

export const LEDGER_UNITS = ['degC', 'degF', 'K', 'm', 'km', 'mi', 'm/s', 'km/h', 'mph', 'hPa', 'kPa', 'inHg'] as const
export const ledgerUnitSchema = z.enum(LEDGER_UNITS)

export const routeSourceSchema = z.discriminatedUnion('kind', [
  /** `base64`: the value is base64 text (an mbed notification's payload) decoded as UTF-8 first. */
  z.object({ kind: z.literal('path'), path: sourcePathSchema, decode: z.enum(['none', 'base64']).default('none') }).strict(),
  z.object({ kind: z.literal('constant'), value: z.string().max(1000) }).strict(),
  /** The time the console received the event (the platform's events carry none of their own). */
  z.object({ kind: z.literal('serverTimestamp'), format: z.enum(['unix-s', 'unix-ms', 'iso']) }).strict(),
])
export type RouteSource = z.infer<typeof routeSourceSchema>

export const routeRowSchema = z
  .object({
    /** The contract parameter (EVM: an input name of the function; Fabric JSON: a key, dots nest objects). */
    parameter: z.string().min(1).max(100),
    source: routeSourceSchema,
    /** Fabric only (EVM types come from the ABI); without it the value keeps its JSON type. */
    type: z.enum(['string', 'number', 'integer', 'boolean']).optional(),
    /** Multiply by 10^scale before the value is written as an integer (temperature 21.5 with scale 3 → 21500). */
    scale: z.number().int().min(-30).max(77).default(0),
    unit: z.object({ from: ledgerUnitSchema, to: ledgerUnitSchema }).strict().optional(),
    /** Allowed range of the value after the unit conversion and before the scale. */
    min: z.number().optional(),
    max: z.number().optional(),
    required: z.boolean().default(true),
    /** Used when the source is missing (text, read like the source would be). */
    default: z.string().max(1000).optional(),
  })
  .strict()
export type RouteRow = z.infer<typeof routeRowSchema>

export const routeSaveSchema = z
  .object({
    id: ledgerIdSchema.optional(),
    name: z.string().trim().min(1).max(80),
    targetId: ledgerIdSchema,
    deviceType: topicLevel,
    eventId: topicLevel,
    /** The contract function (EVM: a non-view function of the ABI; Fabric: the transaction name, e.g. updateAsset). */
    function: z.string().min(1).max(100),
    /** Fabric: one JSON string (Watson's convention) or positional strings; EVM: always the ABI's encoding. */
    argumentStyle: z.enum(['abi', 'json', 'positional']).default('abi'),
    /** Where the device's own event id is, if its events carry one; otherwise each received message gets one. */
    eventIdPath: sourcePathSchema.optional(),
    rows: z.array(routeRowSchema).min(1).max(64),
    enabled: z.boolean().default(true),
  })
  .strict()
export type RouteSave = z.output<typeof routeSaveSchema>

export const routeSchema = routeSaveSchema.extend({ id: z.string(), createdAt: z.string(), updatedAt: z.string() })
export type Route = z.infer<typeof routeSchema>

// ---- queue, monitoring -----------------------------------------------------------------------------------------------

export const FORWARD_STATES = ['pending', 'submitted', 'committed', 'failed'] as const
export const forwardStateSchema = z.enum(FORWARD_STATES)

/** Why a call failed, by name: an EVM custom error or revert reason, a Fabric error class and gRPC status, a transform rule. */
export const ledgerFailureSchema = z.object({
  code: z.string(),
  /** The decoded name (EmptyAssetId, EndorseError, overflow…). */
  name: z.string(),
  message: z.string(),
  /** Decoded error arguments, as text. */
  args: z.array(z.string()).optional(),
})
export type LedgerFailure = z.infer<typeof ledgerFailureSchema>

export const forwardItemSchema = z.object({
  id: z.string(),
  routeId: z.string(),
  /** The idempotency key: the device's event id, or the one given to the message when it arrived. */
  eventKey: z.string(),
  source: z.object({ typeId: z.string(), deviceId: z.string(), eventId: z.string() }),
  state: forwardStateSchema,
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  txId: z.string().nullable(),
  block: z.string().nullable(),
  lastError: ledgerFailureSchema.nullable(),
  receivedAt: z.string(),
  updatedAt: z.string(),
  /** Manual submits name who asked. */
  manual: z.boolean(),
})
export type ForwardItem = z.infer<typeof forwardItemSchema>

export const resolvedArgSchema = z.object({ parameter: z.string(), type: z.string(), value: z.string() })

export const previewSchema = z.object({
  /** Per row: the value, or why it could not be resolved (nothing is sent when any row fails). */
  args: z.array(z.object({ parameter: z.string(), type: z.string(), value: z.string().nullable(), error: ledgerFailureSchema.nullable() })),
  /** EVM calldata (hex), the JSON string, or the positional strings as a JSON array. */
  encoded: z.string().nullable(),
  dryRun: z
    .union([
      z.object({ ok: z.literal(true), /** What the call returns; null when it returns nothing. */ result: z.string().nullable() }),
      z.object({ ok: z.literal(false), error: ledgerFailureSchema }),
    ])
    .nullable(),
})
export type Preview = z.infer<typeof previewSchema>

export const functionDescriptionSchema = z.object({
  name: z.string(),
  inputs: z.array(z.object({ name: z.string(), type: z.string() })),
  mutates: z.boolean(),
})
export const ledgerDescriptionSchema = z.object({
  functions: z.array(functionDescriptionSchema),
  events: z.array(z.object({ name: z.string(), inputs: z.array(z.object({ name: z.string(), type: z.string(), indexed: z.boolean() })) })),
  errors: z.array(z.object({ name: z.string(), inputs: z.array(z.object({ name: z.string(), type: z.string() })) })),
})
export type LedgerDescription = z.infer<typeof ledgerDescriptionSchema>

export const ledgerHeadSchema = z.object({
  kind: z.enum(['evm', 'fabric']),
  /** EVM: the chain id; Fabric: the channel. */
  network: z.string(),
  /** Null when the node did not answer: its height is not known (it is not 0). */
  height: z.string().nullable(),
  healthy: z.boolean(),
  /** EVM: the signer's address and balance in wei; Fabric: the MSP id. */
  signer: z.string().nullable(),
  balance: z.string().nullable(),
  checkedAt: z.string(),
})
export type LedgerHead = z.infer<typeof ledgerHeadSchema>

export const blockSummarySchema = z.object({ number: z.string(), hash: z.string(), time: z.string().nullable(), txCount: z.number().int() })
export type BlockSummary = z.infer<typeof blockSummarySchema>

export const ledgerEventSchema = z.object({ block: z.string(), txId: z.string(), name: z.string(), args: z.record(z.string(), z.string()), index: z.number().int() })
export type LedgerEvent = z.infer<typeof ledgerEventSchema>

export const txDetailSchema = z.object({
  id: z.string(),
  block: z.string().nullable(),
  function: z.string().nullable(),
  args: z.array(resolvedArgSchema.omit({ type: true }).extend({ type: z.string() })),
  events: z.array(ledgerEventSchema),
  /** EVM: success / reverted / pending; Fabric: the validation code name (VALID, MVCC_READ_CONFLICT…). */
  status: z.string(),
  gasUsed: z.string().nullable(),
})
export type TxDetail = z.infer<typeof txDetailSchema>

export const assetViewSchema = z.object({
  assetId: z.string(),
  /** The contract's own answer (readAsset), or null when it has none. */
  state: z.record(z.string(), z.unknown()).nullable(),
  history: z.array(ledgerEventSchema),
})
export type AssetView = z.infer<typeof assetViewSchema>

const targetRef = z.object({ targetId: ledgerIdSchema }).strict()
const nothing = z.object({}).strict()
/** A sample event as the operator pastes it (the platform caps a payload at 131072 bytes: docs/wire/platform-mqtt.md §3). */
const sampleText = z.string().min(1).max(131_072)
const blockNumber = z
  .string()
  .max(20)
  .regex(/^\d{1,20}$/, { message: 'must be a block number' })

export const forwarderStatusSchema = z.object({
  running: z.boolean(),
  platformProfile: z.string().nullable(),
  subscribed: z.boolean(),
  counts: z.record(forwardStateSchema, z.number().int()),
  /** Why the open items wait: the latest try's failure among them (forward-queue.ts `waiting`). */
  waiting: ledgerFailureSchema.nullable(),
  lastError: errorInfoSchema.nullable(),
})

/** The longest transaction or asset id the monitor looks up; the lookup field says so rather than cut a pasted one. */
export const MAX_LOOKUP_ID = 200

export const ledgerChannels = {
  'ledger:targets': { input: nothing, output: z.object({ items: z.array(ledgerTargetSchema) }) },
  'ledger:saveTarget': { input: ledgerTargetSaveSchema, output: ledgerTargetSchema },
  'ledger:removeTarget': { input: targetRef, output: z.object({ removed: z.literal(true) }) },
  /** Connects once: EVM chain id against the node, Fabric an evaluate of readAssetSchemas. */
  'ledger:verifyTarget': { input: targetRef, output: ledgerHeadSchema },
  /** Checks ABI text (or a Fabric-less paste) with line and column, without saving anything. */
  'ledger:validateAbi': {
    input: z.object({ text: z.string().max(MAX_ABI_CHARS + 1) }).strict(),
    output: z.object({ valid: z.boolean(), diagnostics: z.array(diagnosticSchema), description: ledgerDescriptionSchema.nullable() }),
  },
  'ledger:describe': { input: targetRef, output: ledgerDescriptionSchema },
  'ledger:routes': { input: nothing, output: z.object({ items: z.array(routeSchema) }) },
  'ledger:saveRoute': { input: routeSaveSchema, output: routeSchema },
  'ledger:removeRoute': { input: z.object({ routeId: ledgerIdSchema }).strict(), output: z.object({ removed: z.literal(true) }) },
  /** Resolves a sample event through a route (saved, or as edited) and dry-runs it: nothing is submitted. */
  'ledger:preview': {
    input: z.object({ route: z.union([ledgerIdSchema, routeSaveSchema]), sample: sampleText, dryRun: z.boolean().default(true) }).strict(),
    output: previewSchema,
  },
  /** Queues a sample event through a route as an operator's manual submit (audited); the queue sends it once. */
  'ledger:submit': {
    input: z.object({ routeId: ledgerIdSchema, sample: sampleText, eventKey: z.string().min(1).max(200).optional() }).strict(),
    output: forwardItemSchema,
  },
  'ledger:queue': {
    input: z.object({ state: forwardStateSchema.optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    output: z.object({ items: z.array(forwardItemSchema), counts: z.record(forwardStateSchema, z.number().int()) }),
  },
  /** One queued event by its id, as it is now: what `ledger submit` waits on, without reading the whole queue. */
  'ledger:item': { input: z.object({ itemId: z.string().min(1).max(400) }).strict(), output: forwardItemSchema },
  /** Sends a failed item again (audited), after the route or the contract was fixed. */
  'ledger:retry': { input: z.object({ itemId: z.string().min(1).max(400) }).strict(), output: forwardItemSchema },
  'ledger:head': { input: targetRef, output: ledgerHeadSchema },
  'ledger:blocks': { input: targetRef.extend({ from: blockNumber.optional(), count: z.number().int().min(1).max(50).default(10) }).strict(), output: z.object({ items: z.array(blockSummarySchema) }) },
  'ledger:tx': { input: targetRef.extend({ txId: z.string().min(1).max(MAX_LOOKUP_ID) }).strict(), output: txDetailSchema },
  'ledger:asset': { input: targetRef.extend({ assetId: z.string().min(1).max(MAX_LOOKUP_ID), from: blockNumber.optional() }).strict(), output: assetViewSchema },
  'ledger:status': { input: nothing, output: forwarderStatusSchema },
  /** Starts forwarding device events of the platform profile (the default one when absent); audited. */
  'ledger:start': { input: z.object({ platformProfile: z.string().max(48).optional() }).strict(), output: forwarderStatusSchema },
  'ledger:stop': { input: nothing, output: forwarderStatusSchema },
  /** Starts or stops the live block feed of a target (`ledger:block` events). */
  'ledger:watch': { input: targetRef.extend({ on: z.boolean() }).strict(), output: z.object({ watching: z.boolean() }) },
} as const

/** Pushed at most once per 100 ms per kind (the queue changes at the forwarding rate). */
export const ledgerEvents = {
  'ledger:changed': z.object({ what: z.enum(['targets', 'routes']) }),
  'ledger:queueChanged': z.object({ counts: z.record(forwardStateSchema, z.number().int()), waiting: ledgerFailureSchema.nullable() }),
  'ledger:block': z.object({ targetId: z.string(), block: blockSummarySchema }),
  'ledger:forwarder': forwarderStatusSchema,
} as const
