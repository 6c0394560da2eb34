import { describe, it, expect, vi, afterEach } from 'vitest'
import { ApiError } from '../src/api/client'
import { setLang } from '../src/i18n'
import { errorText } from '../src/ui/error-text'
import { askable, SimilarAsker, PAUSE_MS, BACK_OFF_MS } from '../src/sensemaking/asking'
import { senseErrorText, scopeBody } from '../src/sensemaking/api'
import { cellWords, heat } from '../src/sensemaking/cells'

describe('similar cards: when to ask', () => {
  afterEach(() => { vi.useRealTimers() })

  it('asks about three words or more (not punctuation), spaces folded, at most 1,000 characters', () => {
    expect(askable('long queue')).toBeUndefined()
    expect(askable('long queue !')).toBeUndefined()
    expect(askable('  long   queue\nat the counter ')).toBe('long queue at the counter')
    expect(askable('lange wachtrij loket')).toBe('lange wachtrij loket')
    expect(askable('a b c '.repeat(200))).toBeUndefined()
  })

  /** An asker whose server answers what `answers` says, and what it showed. */
  function asker (answer: (text: string) => Promise<string[]>) {
    const asked: string[] = []
    const shown: string[][] = []
    const a = new SimilarAsker<string>(async (text) => { asked.push(text); return answer(text) }, (found) => shown.push(found))
    return { a, asked, shown }
  }

  it('asks once typing pauses, once per text, and shows nothing for too few words', async () => {
    vi.useFakeTimers()
    const { a, asked, shown } = asker(async () => ['card_1'])
    a.typed('the queue at')
    a.typed('the queue at the')
    await vi.advanceTimersByTimeAsync(PAUSE_MS - 1)
    expect(asked).toEqual([])
    a.typed('the queue at the counter')
    await vi.advanceTimersByTimeAsync(PAUSE_MS)
    expect(asked).toEqual(['the queue at the counter'])
    expect(shown).toEqual([['card_1']])
    a.typed('the queue at the counter ')
    await vi.advanceTimersByTimeAsync(PAUSE_MS)
    expect(asked).toHaveLength(1) // the same words again
    a.typed('the')
    expect(shown.at(-1)).toEqual([])
  })

  it('drops an answer for a text typed over since, and stops asking for good after a 503', async () => {
    vi.useFakeTimers()
    let fail: unknown
    const { a, asked, shown } = asker(async (text) => {
      if (fail) throw fail
      await new Promise((r) => setTimeout(r, 1000))
      return [text]
    })
    a.typed('one two three')
    await vi.advanceTimersByTimeAsync(PAUSE_MS + 10)
    a.typed('one two three four') // while the first answer is on its way
    await vi.advanceTimersByTimeAsync(PAUSE_MS + 1000)
    expect(shown).toEqual([['one two three four']])
    fail = new ApiError(503, 'assist_unavailable', 'off')
    a.typed('five six seven')
    await vi.advanceTimersByTimeAsync(PAUSE_MS)
    fail = undefined
    a.typed('eight nine ten')
    await vi.advanceTimersByTimeAsync(PAUSE_MS + 1000)
    expect(asked).toEqual(['one two three', 'one two three four', 'five six seven'])
  })

  it('waits a minute after a 429', async () => {
    vi.useFakeTimers()
    let fail: unknown = new ApiError(429, 'too_many_requests', 'slow down')
    const { a, asked } = asker(async () => { if (fail) throw fail; return [] })
    a.typed('one two three')
    await vi.advanceTimersByTimeAsync(PAUSE_MS)
    fail = undefined
    a.typed('one two three four')
    await vi.advanceTimersByTimeAsync(PAUSE_MS)
    expect(asked).toEqual(['one two three'])
    await vi.advanceTimersByTimeAsync(BACK_OFF_MS)
    a.typed('one two three four five')
    await vi.advanceTimersByTimeAsync(PAUSE_MS)
    expect(asked).toEqual(['one two three', 'one two three four five'])
  })

  it('the editor closing cancels the question waiting for a pause', async () => {
    vi.useFakeTimers()
    const { a, asked } = asker(async () => [])
    a.typed('one two three')
    a.stop()
    await vi.advanceTimersByTimeAsync(PAUSE_MS)
    expect(asked).toEqual([])
  })
})

describe('sensemaking in words', () => {
  afterEach(() => setLang('en'))

  it('says that the model is off, or to wait, in the page\'s language; other failures as any call', () => {
    setLang('fr')
    expect(senseErrorText(new ApiError(503, 'assist_unavailable', 'off'))).toBe('La synthèse est désactivée sur ce serveur.')
    setLang('de')
    expect(senseErrorText(new ApiError(429, 'too_many_requests', 'slow'))).toMatch(/in einer Minute/)
    setLang('nl')
    expect(senseErrorText(new ApiError(409, 'already_accepted', 'x'))).toBe(errorText(new ApiError(409, 'already_accepted', 'x')))
    expect(senseErrorText(new ApiError(503, 'storage_unavailable', 'x'))).not.toBe(senseErrorText(new ApiError(503, 'assist_unavailable', 'x')))
  })

  it('asks about the whole board, a stage or a lane', () => {
    expect(scopeBody('')).toEqual({})
    expect(scopeBody('stage:stage-wait')).toEqual({ stage: 'stage-wait' })
    expect(scopeBody('lane:lane:odd')).toEqual({ lane: 'lane:odd' })
  })

  it('words a coverage cell: its count, its flag and its themes; shades it by count', () => {
    setLang('nl')
    expect(cellWords({ stage: 's', lane: 'l', cards: 0, themes: [], flag: 'empty' }, [])).toEqual({ count: '0 kaarten', flag: 'leeg', themes: '' })
    expect(cellWords({ stage: 's', lane: 'l', cards: 1, themes: [1], flag: 'thin' }, ['a', 'wachtrij, loket'])).toEqual({ count: '1 kaart', flag: 'mager', themes: 'wachtrij, loket' })
    expect([0, 1, 2, 4, 5, 40].map(heat)).toEqual([0, 1, 2, 2, 3, 3])
  })
})
