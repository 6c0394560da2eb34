import { describe, it, expect } from 'vitest'
import { keystrokeLatencies, typed, type Seen } from '../bench/keystrokes'

describe('benchmark keystroke latencies', () => {
  const base = new Map([['c1', 'Card 1: queue '], ['c2', 'Card 2: fee ']])
  // typist 1 typed "the" at 1000, 1100, 1200 ms; typist 2 typed "t" at 1050 ms
  const typists = [{ card: 'c1', sentAt: [NaN, 1000, 1100, 1200] }, { card: 'c2', sentAt: [NaN, 1050] }]

  it('each keystroke counts from its sending to the first screen showing it; one render may show several', () => {
    expect(typed(3)).toBe('the')
    const seen: Seen[] = [
      [1010, 'c1', 'Card 1: queue t'],
      [1060, 'c2', 'Card 2: fee t'],
      [1250, 'c1', 'Card 1: queue the'] // keystrokes 2 and 3 in one frame
    ]
    expect(keystrokeLatencies(seen, typists, base, [0, 0])).toEqual([10, 150, 50, 10])
  })

  it('leaves out warm-up keystrokes, keystrokes never shown, redraws of older text and other cards', () => {
    const seen: Seen[] = [
      [1010, 'c1', 'Card 1: queue t'],
      [1120, 'c1', 'Card 1: queue th'],
      [1130, 'c1', 'Card 1: queue t'], // an older state drawn again is no news
      [1140, 'c3', 'Card 1: queue the'], // another card
      [1150, 'c1', 'someone else\'s text']
    ]
    expect(keystrokeLatencies(seen, typists, base, [1, 0])).toEqual([20])
  })

  it('finds the text inside whatever else the card shows (author, votes)', () => {
    const seen: Seen[] = [[1300, 'c1', 'Ann · Card 1: queue the · 2 votes']]
    expect(keystrokeLatencies(seen, typists.slice(0, 1), base, [0])).toEqual([300, 200, 100])
  })
})
