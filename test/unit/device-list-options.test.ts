import { describe, expect, it } from 'vitest'
import { parseFilters } from '../../src-main/cli/device-list-options'
import { cannotWrite } from '../../src-main/cli/export-progress'

describe('the CLI’s device filters', () => {
  it('takes SIM statuses as the carrier writes them (ACTIVATED, TEST_READY) or as Fieldline does, and leaves unknown ones for the core to refuse', () => {
    expect(parseFilters(['simStatus=ACTIVATED,TEST_READY', 'simStatus=testReady', 'simStatus=notcached', 'simStatus=frozen'])).toEqual({
      simStatus: ['activated', 'testReady', 'testReady', 'notCached', 'frozen'],
    })
    expect(parseFilters(['carrier=jasper', 'typeId=GW'])).toEqual({ carrier: ['jasper'], typeId: ['GW'] })
    expect(() => parseFilters(['typeId='])).toThrow('--filter typeId= needs a value')
    expect(() => parseFilters(['carrier=jasper,'])).toThrow('--filter carrier= needs a value')
  })
})

describe('an export file that cannot be written', () => {
  it('says why in words, and the code itself when it has no words for it', () => {
    const err = (code: string) => Object.assign(new Error(`${code}: failed`), { code })
    expect(cannotWrite('/x/y.csv', err('ENOENT'))).toBe('cannot write /x/y.csv: its folder does not exist')
    expect(cannotWrite('/x', err('EISDIR'))).toBe('cannot write /x: it is a folder')
    expect(cannotWrite('/x', err('EACCES'))).toBe('cannot write /x: permission denied')
    expect(cannotWrite('/x', err('EMFILE'))).toBe('cannot write /x: EMFILE')
  })
})
