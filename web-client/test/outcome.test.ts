import { describe, it, expect } from 'vitest'
import * as Y from 'yjs'
import { item } from '../src/board/model'
import { readResults, groupByStatus, countCards, receiptSections, evaluationBody, STATUSES, type ResultCard } from '../src/outcome/decisions'

const card = (item: string, status: ResultCard['status']): ResultCard => ({ item, text: item, status, explanation: '', decided_at: null })

describe('decisions, results, receipts', () => {
  it('groups cards in the order of the work, undecided last, empty groups left out', () => {
    const groups = groupByStatus([card('a', 'done'), card('b', null), card('c', 'accepted'), card('d', 'done')])
    expect(groups.map((g) => [g.status, g.cards.map((c) => c.item)])).toEqual([['accepted', ['c']], ['done', ['a', 'd']], [null, ['b']]])
    expect(STATUSES[0]).toBe('under-consideration')
  })
  it('counts contributions, decided ones and accepted ones (accepted, planned, in progress, done)', () => {
    expect(countCards([card('a', 'accepted'), card('b', 'planned'), card('c', 'not-taken-up'), card('d', 'under-consideration'), card('e', null)]))
      .toEqual({ contributions: 5, decided: 4, accepted: 2 })
  })
  it('reads results grouped by the server, by status map or as one list; the server\'s counts win', () => {
    const grouped = readResults({
      session: { id: 's1', title: 'Parking', language: 'nl' },
      counts: { contributions: 9, decided: 2, accepted: 1 },
      groups: [{ status: 'not-taken-up', cards: [{ item: 'x', text: 'Queue', explanation: 'No budget' }] }, { status: 'accepted', cards: [{ item: 'y', text: 'Form', decision: { explanation: 'Yes', decided_at: 5 } }] }]
    })
    expect(grouped.session).toEqual({ id: 's1', title: 'Parking', language: 'nl' })
    expect(grouped.counts).toEqual({ contributions: 9, decided: 2, accepted: 1 })
    expect(grouped.groups.map((g) => g.status)).toEqual(['accepted', 'not-taken-up'])
    expect(grouped.groups[0].cards[0]).toEqual({ item: 'y', text: 'Form', status: 'accepted', explanation: 'Yes', decided_at: 5 })
    const byStatus = readResults({ session: { id: 's2', title: 'T' }, by_status: { done: [{ item: 'a', text: 'A' }], bogus: [{ item: 'b', text: 'B' }] } })
    expect(byStatus.groups.map((g) => [g.status, g.cards.length])).toEqual([['done', 1], [null, 1]])
    expect(byStatus.counts).toEqual({ contributions: 2, decided: 1, accepted: 1 })
    const flat = readResults({ id: 's3', title: 'Flat', cards: [{ id: 'a', text: 'A', status: 'planned' }] })
    expect(flat.session).toEqual({ id: 's3', title: 'Flat', language: '' })
    expect(flat.groups[0]).toEqual({ status: 'planned', cards: [{ item: 'a', text: 'A', status: 'planned', explanation: '', decided_at: null }] })
    expect(readResults(null)).toEqual({ session: { id: '', title: '', language: '' }, counts: { contributions: 0, decided: 0, accepted: 0 }, groups: [], comments: [] })
  })
  it('keeps comments out of the status groups: a comment is not decided on, its card is', () => {
    const r = readResults({
      session: { id: 's', title: 'T' },
      groups: [{ status: 'accepted', cards: [{ item: 'c1', kind: 'card', text: 'Form' }] }, { status: 'undecided', cards: [{ item: 'm1', kind: 'comment', text: 'Agreed', on: 'c1' }, { item: 'm2', kind: 'comment', text: 'Me too' }] }]
    })
    expect(r.groups.map((g) => [g.status, g.cards.map((c) => c.item)])).toEqual([['accepted', ['c1']]])
    expect(r.comments.map((c) => [c.item, c.on, c.status])).toEqual([['m1', 'c1', null], ['m2', undefined, null]])
  })
  it('splits a receipt into cards (and notes), comments and votes', () => {
    const s = receiptSections({
      session: { id: 's', title: 'T', state: 'closed' },
      contributions: [{ item: 'a', kind: 'card', text: 'A', status: 'done' }, { item: 'b', kind: 'comment', text: 'B' }, { item: 'a', kind: 'vote', text: 'A' }, { item: 'n', kind: 'note', text: 'N' }]
    })
    expect(s.cards.map((c) => c.item)).toEqual(['a', 'n'])
    expect(s.comments.map((c) => c.item)).toEqual(['b'])
    expect(s.votes.map((c) => c.item)).toEqual(['a'])
  })
  it('sends only what was answered of the questionnaire, nothing when nothing was', () => {
    expect(evaluationBody({ could_say: 4, would_return: 5 }, '  ')).toEqual({ answers: { could_say: 4, would_return: 5 } })
    expect(evaluationBody({ listened_to: 9 }, ' Good evening ')).toEqual({ answers: { comment: 'Good evening' } })
    expect(evaluationBody({}, '')).toBeUndefined()
    expect((evaluationBody({}, 'x'.repeat(5000))?.answers.comment as string).length).toBe(2000)
  })
  it('reads a carried card\'s origin, written as a map or as plain JSON', () => {
    const doc = new Y.Doc()
    const items = doc.getMap<Y.Map<unknown>>('items')
    doc.transact(() => {
      const a = new Y.Map<unknown>(); a.set('type', 'card'); a.set('origin', { session: 's1', item: 'c1', author: 'p1' }); items.set('a', a)
      const o = new Y.Map<unknown>(); o.set('session', 's2'); o.set('item', 'c2')
      const b = new Y.Map<unknown>(); b.set('type', 'card'); b.set('origin', o); items.set('b', b)
      const c = new Y.Map<unknown>(); c.set('type', 'card'); c.set('origin', { session: 5 }); items.set('c', c)
    })
    expect(item(doc, 'a')?.origin).toEqual({ session: 's1', item: 'c1' })
    expect(item(doc, 'b')?.origin).toEqual({ session: 's2', item: 'c2' })
    expect(item(doc, 'c')?.origin).toBeUndefined()
  })
})
