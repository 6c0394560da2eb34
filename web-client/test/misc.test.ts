import { describe, it, expect } from 'vitest'
import { segment } from '../src/board/connectors'
import * as Y from 'yjs'
import { diff } from '../src/sync/textbinding'
import { normaliseCode, JOIN_CODE_RE } from '../src/session/api'
import { formatCode } from '../src/session/moderator'

describe('text binding diff', () => {
  it('finds the minimal change', () => {
    expect(diff('hello world', 'hello big world')).toEqual({ index: 6, remove: 0, insert: 'big ' })
    expect(diff('hello world', 'hello')).toEqual({ index: 5, remove: 6, insert: '' })
    expect(diff('aaa', 'aaaa')).toEqual({ index: 3, remove: 0, insert: 'a' })
    expect(diff('', 'x')).toEqual({ index: 0, remove: 0, insert: 'x' })
    expect(diff('same', 'same')).toEqual({ index: 4, remove: 0, insert: '' })
  })
  it('applied as Y.Text edits, two concurrent typists both keep their words', () => {
    const a = new Y.Doc(); const b = new Y.Doc()
    const ta = a.getText('t'); const tb = b.getText('t')
    ta.insert(0, 'the form')
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    for (const [text, next] of [[ta, 'the long form'], [tb, 'the form is hard']] as const) {
      const d = diff(text.toString(), next)
      text.delete(d.index, d.remove); text.insert(d.index, d.insert)
    }
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a)); Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
    expect(ta.toString()).toBe('the long form is hard')
    expect(tb.toString()).toBe(ta.toString())
  })
})

describe('join codes', () => {
  it('normalises what people type', () => {
    expect(normaliseCode(' k7m-q2xr ')).toBe('K7MQ2XR')
    expect(normaliseCode('abc 2345')).toBe('ABC2345')
    expect(JOIN_CODE_RE.test('K7MQ2XR')).toBe(true)
    expect(JOIN_CODE_RE.test('O0I1LUX')).toBe(false)
    expect(formatCode('K7MQ2XR')).toBe('K7M-Q2XR')
  })
})

describe('connectors', () => {
  it('run from edge to edge, not from centre to centre', () => {
    const { from, to } = segment({ x: 0, y: 0, w: 100, h: 50 }, { x: 300, y: 0, w: 100, h: 50 })
    expect(from).toEqual({ x: 100, y: 25 })
    expect(to).toEqual({ x: 300, y: 25 })
    const down = segment({ x: 0, y: 0, w: 100, h: 100 }, { x: 0, y: 300, w: 100, h: 100 })
    expect(down).toEqual({ from: { x: 50, y: 100 }, to: { x: 50, y: 300 } })
  })
})
