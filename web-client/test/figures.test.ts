import { describe, it, expect } from 'vitest'
import { duration } from '../src/outcome/figures'

describe('figures', () => {
  it('says a wait in the largest unit that keeps it at one or more, in the given language', () => {
    expect(duration(90, 'en')).toBe('1.5 minutes')
    expect(duration(20, 'en')).toBe('1 minute')
    expect(duration(2 * 3600, 'en')).toBe('2 hours')
    expect(duration(3 * 86400 + 43200, 'en')).toBe('3.5 days')
    expect(duration(86400, 'nl')).toBe('1 dag')
  })
})
