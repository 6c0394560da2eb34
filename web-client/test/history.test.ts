import { describe, it, expect } from 'vitest'
import * as M from '../src/board/model'
import { parseNdjson, Timeline, participantKeys, formatElapsed, parseElapsed, docFromBoard, bucketSecondsFor, PARTICIPANT_COLOURS, OTHER_COLOUR, type HistoryEvent } from '../src/research/history'

const ev = (seq: number | null, at: number, participant: string | null, role: string | null, entity = 'card', action = 'added'): HistoryEvent =>
  ({ seq, at, participant, role, entity, action, target: 'x', detail: '', by_server: participant === null })

describe('history', () => {
  it('parses NDJSON, skipping blank lines, and names a malformed line', () => {
    const text = '{"seq":1,"at":10,"participant":null,"role":null,"entity":"stage","action":"added","target":"s","detail":"","by_server":true}\n\n' +
      '{"seq":null,"at":20,"participant":"p_a","role":"citizen","entity":"participant","action":"joined","target":"p_a","detail":"","by_server":false}\n'
    const evs = parseNdjson(text)
    expect(evs).toHaveLength(2)
    expect(evs[0]).toMatchObject({ seq: 1, participant: null, by_server: true })
    expect(evs[1]).toMatchObject({ seq: null, participant: 'p_a', role: 'citizen', action: 'joined' })
    expect(() => parseNdjson(`${text}{"seq":2,"at"`)).toThrow(/line 4 is not JSON/)
    expect(() => parseNdjson('[1]')).toThrow(/line 1 is not an event/)
  })

  it('steps by log record and maps a time to the last record at or before it', () => {
    const tl = new Timeline([
      ev(1, 100, null, null, 'stage'), ev(1, 100, null, null, 'lane'),
      ev(null, 150, 'p_a', 'citizen', 'participant', 'joined'),
      ev(2, 200, 'p_a', 'citizen'), ev(3, 500, 'p_b', 'moderator', 'card', 'text-edited'), ev(3, 500, 'p_b', 'moderator', 'vote'),
      ev(null, 900, 'p_a', 'citizen', 'participant', 'disconnected')
    ])
    expect(tl.positions).toEqual([{ seq: 1, at: 100 }, { seq: 2, at: 200 }, { seq: 3, at: 500 }])
    expect([tl.start, tl.end]).toEqual([100, 900])
    expect(tl.indexAtTime(50)).toBe(0)
    expect(tl.indexAtTime(199)).toBe(0)
    expect(tl.indexAtTime(200)).toBe(1)
    expect(tl.indexAtTime(499)).toBe(1)
    expect(tl.indexAtTime(10_000)).toBe(2)
    expect([tl.step(0, -1), tl.step(0, 1), tl.step(2, 1), tl.step(1, 5)]).toEqual([0, 1, 2, 2])
    expect(tl.eventsAt(2).map((e) => e.entity)).toEqual(['card', 'vote'])
    expect(tl.recent(199, 2).map((e) => e.action)).toEqual(['joined', 'added'])
    expect(tl.recent(1000, 1)[0].action).toBe('disconnected')
    expect(new Timeline([]).indexAtTime(5)).toBe(0)
  })

  it('colours contributors in order of first contribution and numbers everyone per role', () => {
    const events = [ev(1, 1, null, null), ev(null, 2, 'p_m', 'moderator', 'participant', 'joined'), ev(null, 2, 'p_x', 'citizen', 'participant', 'joined'),
      ev(2, 3, 'p_a', 'citizen'), ev(3, 4, 'declined', 'citizen'), ev(4, 5, 'p_b', 'citizen'), ev(5, 6, 'p_a', 'citizen'), ev(6, 7, 'p_m', 'moderator', 'card', 'hidden')]
    events[7].by_server = true // the server's edit for a moderator is not the moderator's contribution
    const keys = participantKeys(events)
    expect([...keys.keys()]).toEqual(['p_a', 'declined', 'p_b', 'p_m', 'p_x'])
    expect(keys.get('p_a')).toMatchObject({ role: 'citizen', n: 1, colour: PARTICIPANT_COLOURS[0], contributor: true })
    expect(keys.get('p_b')).toMatchObject({ role: 'citizen', n: 2, colour: PARTICIPANT_COLOURS[1] })
    expect(keys.get('declined')).toMatchObject({ n: 0, colour: OTHER_COLOUR })
    expect(keys.get('p_m')).toMatchObject({ role: 'moderator', n: 1, colour: OTHER_COLOUR, contributor: false })
    expect(keys.get('p_x')).toMatchObject({ role: 'citizen', n: 3, colour: OTHER_COLOUR })
    const many = participantKeys(Array.from({ length: PARTICIPANT_COLOURS.length + 2 }, (_, i) => ev(i + 1, i, `p_${i}`, 'citizen')))
    expect(new Set([...many.values()].slice(0, PARTICIPANT_COLOURS.length).map((k) => k.colour)).size).toBe(PARTICIPANT_COLOURS.length)
    expect([...many.values()].at(-1)!.colour).toBe(OTHER_COLOUR)
  })

  it('picks a chart bucket size giving about 40 bars', () => {
    expect([bucketSecondsFor(0), bucketSecondsFor(7_000), bucketSecondsFor(60 * 60_000), bucketSecondsFor(3 * 3600_000), bucketSecondsFor(1000 * 3600_000)]).toEqual([1, 1, 120, 300, 3600])
  })

  it('formats and parses elapsed time', () => {
    expect([formatElapsed(0), formatElapsed(65_400), formatElapsed(3_725_000)]).toEqual(['0:00', '1:05', '1:02:05'])
    expect([parseElapsed('45'), parseElapsed('1:05'), parseElapsed(' 1:02:05 '), parseElapsed('90:00')]).toEqual([45_000, 65_000, 3_725_000, 5_400_000])
    for (const bad of ['', 'abc', '1:75', '1:60:00', '-3', '1::2']) expect(parseElapsed(bad), bad).toBeUndefined()
  })

  it('rebuilds a read-only document from a state board', () => {
    const doc = docFromBoard({
      meta: { schema: 1, template: 'journey-map' },
      stages: { s2: { kind: 'apply', order: 'a1', title: '' }, s1: { kind: 'aware', order: 'a0', title: '' } },
      lanes: { l1: { kind: 'actions', order: 'a0', title: 'Doing' } },
      items: {
        c2: { type: 'card', text: 'second', author: 'p_a', lane: 'l1', stage: 's1', order: 'a1' },
        c1: { type: 'card', text: 'first', author: 'p_b', lane: 'l1', stage: 's1', order: 'a0' },
        h: { type: 'card', text: '[hidden]', author: 'p_a', lane: 'l1', stage: 's2', order: 'a0', hidden: { reason: 'spam', at: 1, pending_review: false } }
      },
      votes: { c1: 2 },
      emotions: { s1: -2 }
    })
    expect(M.templateOf(doc)).toBe('journey-map')
    expect(M.stages(doc).map((s) => s.id)).toEqual(['s1', 's2'])
    expect(M.lanes(doc)[0].title).toBe('Doing')
    expect(M.cardsIn(doc, 'l1', 's1').map((c) => c.text)).toEqual(['first', 'second'])
    expect(M.item(doc, 'h')?.hidden?.reason).toBe('spam')
    expect([M.votesFor(doc, 'c1'), M.votesFor(doc, 'c2')]).toEqual([2, 0])
    expect(M.emotion(doc, 's1')).toBe(-2)
  })

  it('rebuilds the schema-2 emotion curve from its averages: the same value and count as the live board', () => {
    const doc = docFromBoard({
      meta: { schema: 2, template: 'journey-map' },
      stages: { s1: { kind: 'aware', order: 'a0', title: '' }, s2: { kind: 'apply', order: 'a1', title: '' } },
      emotions: { s2: 1 },
      emotion_votes: { s1: { average: -0.6666666666666666, count: 3 } }
    })
    expect([M.emotion(doc, 's1'), M.emotionCount(doc, 's1')]).toEqual([-0.7, 3])
    expect([M.emotion(doc, 's2'), M.emotionCount(doc, 's2')]).toEqual([1, 0])
  })
})
