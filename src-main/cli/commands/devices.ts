import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Command } from 'commander'
import { IMPORT_ENCODINGS } from '../../../src-shared/contract'
import { MAX_IMPORT_CHUNK_BYTES } from '../../../src-shared/models/limits'
import { CliError, EXIT, formatDiagnostic, type Runtime } from '../runtime'
import { registerDevicesLocation } from './devices-location'

type WithRuntime = <A extends unknown[]>(fn: (rt: Runtime, ...args: A) => Promise<number | void>) => (...args: A) => Promise<void>

async function readInput(file: string): Promise<string> {
  try {
    if (file === '-') {
      process.stdin.setEncoding('utf8')
      let text = ''
      for await (const c of process.stdin) text += c as string
      return text
    }
    return await readFile(file, 'utf8')
  } catch (e) {
    throw new CliError(`fieldline: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.usage)
  }
}

export function registerDevices(program: Command, withRuntime: WithRuntime): void {
  const devices = program.command('devices').description('list, add, remove and import devices; read and write their extension configuration')

  devices
    .command('list')
    .description('list devices (filtered by --query)')
    .option('-q, --query <text>', 'case-insensitive filter on type, ID and description', '')
    .option('--offset <n>', 'skip this many matches', '0')
    .option('--limit <n>', 'show at most this many', '1000')
    .action(
      withRuntime(async (rt, opts: { query: string; offset: string; limit: string }) => {
        const page = await rt.call('devices:list', { query: opts.query, offset: Number(opts.offset), limit: Number(opts.limit) })
        if (rt.json) return rt.out(JSON.stringify(page))
        for (const d of page.items) rt.out(`${d.typeId}\t${d.deviceId}\t${d.description}${d.extensions.length ? `\t[${d.extensions.join(',')}]` : ''}`)
        rt.err(`${page.items.length} shown of ${page.total}`)
      }),
    )

  devices
    .command('add <typeId> <deviceId>')
    .description('add a device')
    .option('-d, --description <text>', 'description', '')
    .action(
      withRuntime(async (rt, typeId: string, deviceId: string, opts: { description: string }) => {
        const device = await rt.call('devices:add', { typeId, deviceId, description: opts.description })
        rt.out(rt.json ? JSON.stringify(device) : `added ${device.typeId}/${device.deviceId}`)
      }),
    )

  devices
    .command('remove <typeId> <deviceId>')
    .description('remove a device (recorded in the audit trail)')
    .action(
      withRuntime(async (rt, typeId: string, deviceId: string) => {
        await rt.call('devices:remove', { typeId, deviceId })
        rt.out(rt.json ? JSON.stringify({ removed: true, typeId, deviceId }) : `removed ${typeId}/${deviceId}`)
      }),
    )

  devices
    .command('import <file>')
    .description('import devices from CSV (header: typeId,deviceId,description[,carrier,iccid,serialnumber]) or JSON Lines')
    .option('--format <format>', 'csv or jsonl (default: from the file name)')
    .option('--encoding <encoding>', `the file's encoding: ${IMPORT_ENCODINGS.join(' or ')} (latin1 is read as Windows-1252)`, 'utf-8')
    .action(
      withRuntime(async (rt, file: string, opts: { format?: string; encoding: string }) => {
        if (opts.format !== undefined && opts.format !== 'csv' && opts.format !== 'jsonl') throw new CliError(`fieldline: --format must be csv or jsonl`, EXIT.usage)
        const encoding = IMPORT_ENCODINGS.find((e) => e === opts.encoding)
        if (!encoding) throw new CliError(`fieldline: --encoding must be ${IMPORT_ENCODINGS.join(' or ')}`, EXIT.usage)
        let size: number
        try {
          size = (await stat(file)).size
        } catch (e) {
          throw new CliError(`fieldline: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? ''}`, EXIT.usage)
        }
        const { jobId } = await rt.call('import:start', { fileName: basename(file), encoding, ...(opts.format ? { format: opts.format } : {}) })
        const showProgress = process.stderr.isTTY && !rt.json
        let sent = 0
        // Bytes, not text: the core decodes them, so it can name the line and byte offset of anything not UTF-8.
        const stream = createReadStream(file, { highWaterMark: MAX_IMPORT_CHUNK_BYTES })
        for await (const chunk of stream) {
          const bytes = chunk as Buffer
          const { rows } = await rt.call('import:chunk', { jobId, data: bytes.toString('base64') })
          sent += bytes.length
          if (showProgress) process.stderr.write(`\rimporting ${file}: ${Math.round((sent / Math.max(size, 1)) * 100)}% (${rows} rows)`)
        }
        const report = await rt.call('import:finish', { jobId })
        if (showProgress) process.stderr.write('\n')
        if (rt.json) rt.out(JSON.stringify(report))
        else {
          for (const e of report.errors) rt.err(`${file}:${e.row}: error: ${e.message}`)
          if (report.failed > report.errors.length) rt.err(`… and ${report.failed - report.errors.length} more refused rows`)
          rt.out(`${report.added} added, ${report.failed} refused, ${report.rows} rows read`)
        }
        return report.failed > 0 ? EXIT.usage : EXIT.ok
      }),
    )

  registerDevicesLocation(devices, withRuntime)

  const config = devices.command('config').description("read or write a device's extension configuration")
  config
    .command('get <typeId> <deviceId>')
    .description('print the saved extension configuration as JSON')
    .action(
      withRuntime(async (rt, typeId: string, deviceId: string) => {
        const device = await rt.call('devices:get', { typeId, deviceId })
        rt.out(JSON.stringify(device.extensionConfig ?? {}, null, rt.json ? undefined : 2))
      }),
    )
  config
    .command('set <typeId> <deviceId> <file>')
    .description("validate and save the extension configuration from FILE ('-' for standard input)")
    .action(
      withRuntime(async (rt, typeId: string, deviceId: string, file: string) => {
        const text = await readInput(file)
        const name = file === '-' ? '<stdin>' : file
        const checked = await rt.call('devices:validateConfig', { text })
        if (!checked.valid) {
          if (rt.json) rt.out(JSON.stringify(checked))
          for (const d of checked.diagnostics) rt.err(formatDiagnostic(name, d))
          return EXIT.usage
        }
        const saved = await rt.call('devices:saveConfig', { typeId, deviceId, text })
        for (const d of saved.diagnostics) rt.err(formatDiagnostic(name, d))
        rt.out(rt.json ? JSON.stringify(saved) : `saved the extension configuration of ${typeId}/${deviceId}`)
      }),
    )
}
