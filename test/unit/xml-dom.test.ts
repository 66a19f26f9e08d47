import { describe, expect, it } from 'vitest'
import { attribute, buildXml, child, childText, childrenNamed, el, parseXml } from '../../src-main/core/carriers/xml-dom'

describe('namespace-resolving XML', () => {
  it('matches elements on namespace URI and local name, whatever prefixes the other side chose', () => {
    const doc = parseXml('<a:Root xmlns:a="urn:a" xmlns:b="urn:b"><b:item>1</b:item><x:item xmlns:x="urn:b">2</x:item><item xmlns="urn:b">3</item><a:item>4</a:item></a:Root>')
    expect(childrenNamed(doc ?? undefined, 'urn:b', 'item').map((n) => n.text)).toEqual(['1', '2', '3'])
    expect(childText(doc ?? undefined, 'urn:a', 'item')).toBe('4')
    expect(child(doc ?? undefined, null, 'item')).toBeUndefined()
  })

  it('keeps unqualified children unqualified, and unprefixed attributes in no namespace', () => {
    const doc = parseXml('<e:Fault xmlns:e="urn:e"><code>X</code><error code="C1" xmlns="urn:d">text</error></e:Fault>')!
    expect(childText(doc, null, 'code')).toBe('X')
    const error = child(doc, 'urn:d', 'error')!
    expect(attribute(error, 'code')).toBe('C1')
    expect(error.text).toBe('text')
  })

  it('refuses what is not well-formed, and any DOCTYPE (SOAP 1.1 §3; no entity expansion)', () => {
    expect(parseXml('<a><b></a>')).toBeNull()
    expect(parseXml('not xml')).toBeNull()
    expect(parseXml('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')).toBeNull()
  })

  it('writes children in the order given, escapes values, and declares each namespace once on the root', () => {
    const xml = buildXml(
      el('urn:e', 'Envelope', [el('urn:a', 'op', [el('urn:b', 'x', '1 < 2 & "3"'), el('urn:c', 'y', [el('urn:b', 'z', '')]), el('urn:b', 'x', 'again'), el(null, 'plain', 't', { code: 'A&B' })])]),
      { soap: 'urn:e', ws: 'urn:a' },
    )
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><soap:Envelope')).toBe(true)
    expect(xml.match(/xmlns:/g)).toHaveLength(4)
    const back = child(parseXml(xml)!, 'urn:a', 'op')!
    expect(back.children.map((c) => `${c.ns}:${c.local}=${c.text}`)).toEqual(['urn:b:x=1 < 2 & "3"', 'urn:c:y=', 'urn:b:x=again', 'null:plain=t'])
    expect(attribute(back.children[3]!, 'code')).toBe('A&B')
  })
})
