import { describe, it, expect } from 'vitest'
import { percentile, ratio, median } from '../bench/stats'

describe('benchmark statistics', () => {
  it('percentiles are measured values (nearest rank), whatever the order', () => {
    const ms = [40, 10, 30, 20, 50, 60, 70, 80, 90, 100]
    expect(percentile(ms, 50)).toBe(50)
    expect(percentile(ms, 95)).toBe(100)
    expect(percentile(ms, 90)).toBe(90)
    expect(percentile(ms, 0)).toBe(10)
    expect(percentile(ms, 100)).toBe(100)
    expect(percentile([7], 95)).toBe(7)
    expect(ms[0]).toBe(40) // the samples are not sorted in place
  })

  it('a p95 of 20 samples is the 19th, not the largest', () => {
    const ms = Array.from({ length: 20 }, (_, i) => i + 1)
    expect(percentile(ms, 95)).toBe(19)
  })

  it('no samples, no percentile; a percentile outside 0..100 is refused', () => {
    expect(percentile([], 50)).toBeUndefined()
    expect(() => percentile([1], 101)).toThrow(RangeError)
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError)
  })

  it('ratio is candidate over baseline, undefined without both', () => {
    expect(ratio(40, 2)).toBe(0.05)
    expect(ratio(undefined, 2)).toBeUndefined()
    expect(ratio(0, 2)).toBeUndefined()
    expect(ratio(3, undefined)).toBeUndefined()
  })

  it('the median of repeated runs is one of them and ignores runs without the figure', () => {
    expect(median([30, 10, 20])).toBe(20)
    expect(median([30, undefined, 10, Number.NaN, 20])).toBe(20)
    expect(median([undefined])).toBeUndefined()
  })
})
