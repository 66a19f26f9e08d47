import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import type { LedgerHead } from '../../src-shared/models/ledger'
import { failureText, heightText, weiText } from '../../src-renderer/src/features/ledger/ledger-text'
import { hasMessage, type Translate } from '../../src-renderer/src/i18n'
import { pemLines } from '../../src-renderer/src/features/ledger/pem'

describe('a PEM key pasted into a password field', () => {
  it('is read by OpenSSL again once its lines are restored (the field drops them)', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    const pasted = pem.replace(/[\r\n]/g, '')
    expect(() => createPrivateKey(pasted)).toThrow()
    expect(pemLines(pasted)).toBe(pem)
    expect(createPrivateKey(pemLines(pasted)).asymmetricKeyType).toBe('ec')
    // A key with its lines is kept as it is (up to the final line break).
    expect(pemLines(pem)).toBe(pem)
  })

  it('gives back anything that is not one PEM block, for the core to refuse in its words', () => {
    expect(pemLines('not a key')).toBe('not a key')
    // A key's header with another block's footer (both taken from a key made here, none kept in the repository).
    const header = (generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).split('\n')[0]!
    const mismatched = `${header}abc${header.replace('BEGIN', 'END').replace('PRIVATE KEY', 'CERTIFICATE')}`
    expect(pemLines(mismatched)).toBe(mismatched)
  })
})

describe('ledger words', () => {
  it('says wei in ether exactly, without floating point', () => {
    expect(weiText('1500000000000000000', 'en')).toBe('1.5\u00a0ETH')
    expect(weiText('1000000000000000000000', 'en')).toBe('1,000\u00a0ETH')
    expect(weiText('1', 'en')).toBe('0.000000000000000001\u00a0ETH')
    expect(weiText('0', 'en')).toBe('0\u00a0ETH')
    // Beyond a float's 15 or so digits, every one kept.
    expect(weiText('123456789012345678901234567890123456789', 'en')).toBe('123,456,789,012,345,678,901.234567890123456789\u00a0ETH')
  })

  it('writes ether in French with its grouping and decimal comma (cold trial: « avec 1000 ETH », « 1.5 ETH »)', () => {
    expect(weiText('1000000000000000000000', 'fr')).toBe('1\u202f000\u00a0ETH')
    expect(weiText('1500000000000000000', 'fr')).toBe('1,5\u00a0ETH')
  })

  it('says the height of a node that does not answer is unknown, not 0 (cold trial: « Hauteur 0 »)', () => {
    const t: Translate = (key, options) => get(format)(key, options)
    const down: LedgerHead = { kind: 'evm', network: '31337', height: null, healthy: false, signer: null, balance: null, checkedAt: '2026-03-10T10:00:00Z' }
    expect(hasMessage('ledger.ui.monitor.heightUnknown')).toBe(true)
    locale.set('fr')
    expect(heightText(t, down)).toBe('Inconnue (le nœud ne répond pas)')
    locale.set('en')
    expect(heightText(t, down)).toBe('Unknown (the node is not answering)')
    expect(heightText(t, { ...down, height: '0', healthy: true })).toBe('0')
  })

  it('names a failure by its decoded name with its arguments', () => {
    const t = (key: string, options?: { values?: Record<string, unknown> }) => `${key} ${JSON.stringify(options?.values)}`
    expect(failureText(t, { code: 'LEDGER', name: 'TemperatureBelowAbsoluteZero', message: 'reverted', args: ['-300000'] })).toBe(
      'ledger.ui.failure {"name":"TemperatureBelowAbsoluteZero(-300000)","message":"reverted"}',
    )
  })

  it("says a node that could not be reached in the operator's language, not in the RPC library's English", () => {
    // Cold trial: the French queue's last error read « Unreachable : HTTP request failed. » while anvil was stopped.
    const t = (key: string, options?: { values?: Record<string, unknown> }) => (options ? `${key} ${JSON.stringify(options.values)}` : key)
    expect(failureText(t, { code: 'NETWORK', name: 'Unreachable', message: 'HTTP request failed.' })).toBe('errors.code.NETWORK')
    expect(failureText(t, { code: 'NETWORK', name: 'Http502', message: 'HTTP request failed.' })).toBe('errors.code.NETWORK (HTTP 502)')
    expect(failureText(t, { code: 'TIMEOUT', name: 'Timeout', message: 'The request took too long to respond.' })).toBe('errors.code.TIMEOUT')
  })

  it('names the node a queued event could not reach, and says the queue tries again by itself', () => {
    // Cold trial: « La connexion réseau a échoué. » beside each pending event while anvil was stopped, naming neither
    // the node nor what happens next.
    const t: Translate = (key, options) => get(format)(key, options)
    locale.set('fr')
    expect(failureText(t, { code: 'NETWORK', name: 'Unreachable', message: 'HTTP request failed.' }, 'http://127.0.0.1:8545')).toBe(
      'Le nœud http://127.0.0.1:8545 n’a pas répondu\u202f; Fieldline essaie de nouveau de lui-même.',
    )
    locale.set('en')
    expect(failureText(t, { code: 'NETWORK', name: 'Http502', message: 'HTTP request failed.' }, 'https://rpc.example')).toBe(
      'The node at https://rpc.example did not answer (HTTP 502); Fieldline tries again by itself.',
    )
    expect(failureText(t, { code: 'TIMEOUT', name: 'Timeout', message: 'took too long' }, 'peer0.example:7051')).toBe('The node at peer0.example:7051 did not answer; Fieldline tries again by itself.')
  })

  it('says a refused connection as refused, not as a node that did not answer (cold trial: « n’a pas répondu »)', () => {
    // Nothing listened at the node's address (ECONNREFUSED): the node is down or the port is wrong, not slow.
    const t: Translate = (key, options) => get(format)(key, options)
    const refused = { code: 'NETWORK', name: 'Refused', message: 'HTTP request failed.' }
    locale.set('fr')
    expect(failureText(t, refused, 'http://127.0.0.1:8545')).toBe(
      'Le nœud http://127.0.0.1:8545 a refusé la connexion (rien n’écoute à cette adresse\u00a0: le nœud est-il démarré, le port est-il le bon\u202f?)\u202f; Fieldline essaie de nouveau de lui-même.',
    )
    expect(failureText(t, refused)).toBe('Le nœud du registre a refusé la connexion (rien n’écoute à cette adresse\u00a0: le nœud est-il démarré, le port est-il le bon\u202f?).')
    locale.set('en')
    expect(failureText(t, refused, 'peer0.example:7051')).toBe(
      'The node at peer0.example:7051 refused the connection (nothing listens at that address: is the node running, is the port right?); Fieldline tries again by itself.',
    )
    expect(failureText(t, refused)).toBe('The ledger node refused the connection (nothing listens at that address: is the node running, is the port right?).')
  })

  it('counts the queue rows shown in the language’s grammar (cold trial: « 1 sur 1 affichés »)', () => {
    const say = (shown: number, total: number) => get(format)('ledger.ui.queue.shown', { values: { shown, total } })
    locale.set('fr')
    expect(say(1, 1)).toBe('1 affiché sur 1')
    expect(say(100, 12345)).toBe('100 affichés sur 12\u202f345')
    locale.set('en')
    expect(say(100, 12345)).toBe('100 of 12,345 shown')
  })
})
