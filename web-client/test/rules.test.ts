import { describe, it, expect } from 'vitest'
import * as Y from 'yjs'
import * as M from '../src/board/model'
import { Rules, zoneName } from '../src/board/rules'
import { keepsDrafts, secretBallots, writesDrafts, draftRoom } from '../src/facilitation/drafts'
import { setLang } from '../src/i18n'
import type { CurrentStep } from '../src/facilitation/api'

const card = (author: string, lane = 'lane-pain-points', stage = 'stage-apply'): M.ItemView =>
  ({ id: 'card_1', type: 'card', text: 'x', author, authorName: '', createdAt: 0, language: 'en', lane, stage })
const note = (author: string): M.ItemView => ({ id: 'note_1', type: 'note', text: 'x', author, authorName: '', createdAt: 0, language: 'en', x: 0, y: 0 })
const group = (author: string): M.ItemView => ({ ...note(author), id: 'group_1', type: 'group' })

describe('rules (issue 27, part 3)', () => {
  it('without a step a citizen changes only their own cards, comments and votes on any, never the structure', () => {
    const r = new Rules({ me: 'p_c', role: 'citizen' })
    expect(r.structure()).toBe('read')
    expect(r.mayAdd('lane-pain-points', 'stage-apply')).toBe(true)
    expect(r.mayEditText(card('p_c'))).toBe(true)
    expect(r.mayMove(card('p_c'))).toBe(true)
    expect(r.mayDelete(card('p_c'))).toBe(true)
    expect(r.mayEditText(card('p_other'))).toBe(false)
    expect(r.mayDelete(card('p_other'))).toBe(false)
    expect(r.mayMove(card('p_other'))).toBe(false)
    expect(r.mayComment()).toBe(true)
    expect(r.mayVote()).toBe(true)
    // a canvas's frames are structure
    expect(r.mayMove(group('p_c'))).toBe(false)
    expect(r.openedCardZones()).toBeUndefined()
  })

  it('moderators and development rooms have every zone open, on anyone\'s card', () => {
    for (const role of ['moderator', 'free'] as const) {
      const r = new Rules({ me: 'p_m', role, zones: { 'lane:lane-thoughts': { citizen: 'read' }, structure: { citizen: 'read' }, votes: { citizen: 'read' } } })
      expect(r.structure()).toBe('edit')
      expect(r.mayDelete(card('p_other'))).toBe(true)
      expect(r.mayVote()).toBe(true)
      expect(r.openedCardZones()).toBeUndefined()
    }
  })

  it('a step naming card zones opens those (edit or add) and closes the others; add is new cards and typing, no moving or deleting', () => {
    const r = new Rules({ me: 'p_c', role: 'citizen', zones: { 'lane:lane-pain-points': { citizen: 'add' }, 'stage:stage-wait': { citizen: 'edit' } } })
    expect(r.cell('lane-pain-points', 'stage-apply')).toBe('add')
    expect(r.cell('lane-thoughts', 'stage-wait')).toBe('edit')
    // the more open of its stage and its lane
    expect(r.cell('lane-pain-points', 'stage-wait')).toBe('edit')
    expect(r.cell('lane-thoughts', 'stage-apply')).toBe('read')
    expect(r.mayAdd('lane-thoughts', 'stage-apply')).toBe(false)
    expect(r.mayAdd('lane-pain-points', 'stage-apply')).toBe(true)
    const mine = card('p_c')
    expect(r.mayEditText(mine)).toBe(true)
    expect(r.mayMove(mine)).toBe(false)
    expect(r.mayDelete(mine)).toBe(false)
    expect(r.mayDelete(card('p_c', 'lane-thoughts', 'stage-wait'))).toBe(true)
    expect(r.mayEditText(card('p_c', 'lane-thoughts', 'stage-apply'))).toBe(false)
    // unnamed card zones are closed, the canvas too; comments and votes stay open
    expect(r.canvas()).toBe('read')
    expect(r.mayComment()).toBe(true)
    expect(r.openedCardZones()).toEqual(['lane:lane-pain-points', 'stage:stage-wait'])
  })

  it('comments, votes, connectors and the emotion curve follow their rule when named', () => {
    const r = new Rules({ me: 'p_c', role: 'citizen', zones: { comments: { citizen: 'read' }, votes: { citizen: 'add' }, structure: { citizen: 'edit' } } })
    expect(r.mayComment()).toBe(false)
    expect(r.mayVote()).toBe(true)
    expect(r.mayConnect()).toBe(true)
    expect(r.feature('emotions')).toBe(true)
    expect(r.structure()).toBe('edit')
    // naming no card zone leaves the cards as they are
    expect(r.mayAdd('lane-thoughts', 'stage-apply')).toBe(true)
    expect(r.openedCardZones()).toBeUndefined()
  })

  it('one\'s drafts: written, typed into and deleted, moved only on a canvas; no votes, comments or arrows', () => {
    const r = new Rules({ me: 'p_c', role: 'citizen', drafts: true, zones: { 'lane:lane-thoughts': { citizen: 'read' } } })
    expect(r.mayEditText(card('p_c'))).toBe(true)
    expect(r.mayDelete(card('p_c'))).toBe(true)
    expect(r.mayMove(card('p_c'))).toBe(false)
    expect(r.mayMove(note('p_c'))).toBe(true)
    expect(r.mayVote()).toBe(false)
    expect(r.mayComment()).toBe(false)
    expect(r.mayConnect()).toBe(false)
  })

  it('names zones in the page\'s language, by the board\'s stage and lane names', () => {
    const doc = new Y.Doc()
    M.seed(doc, 'journey-map')
    setLang('en')
    expect(zoneName(doc, 'lane:lane-pain-points')).toBe('the Pain points lane')
    expect(zoneName(doc, 'structure')).toBe('the board’s stages and lanes')
    setLang('nl')
    expect(zoneName(doc, 'lane:lane-pain-points')).toBe('de baan Knelpunten')
    expect(zoneName(doc, 'something-new')).toBe('something-new')
    setLang('en')
  })
})

describe('drafts and secret ballots (issue 27, parts 2 and 4)', () => {
  const step = (o: Partial<CurrentStep>): CurrentStep => ({ id: 's1', title: 'Write', method: 'brainwrite', started_at: 1, ends_at: null, ended_at: null, private: false, anonymous: false, secret: false, revealed: false, on_end: 'end', paused_at: null, remaining_ms: null, ...o })
  it('a private step under way writes drafts; its room stays open until the next step; a secret vote keeps ballots until its reveal', () => {
    expect(draftRoom('s_abc', 'p_1')).toBe('s_abc:drafts:p_1')
    expect(writesDrafts(step({ private: true }))).toBe(true)
    expect(writesDrafts(step({ private: true, ended_at: 5 }))).toBe(false)
    expect(keepsDrafts(step({ private: true, ended_at: 5 }))).toBe(true)
    expect(keepsDrafts(step({}))).toBe(false)
    expect(keepsDrafts(null)).toBe(false)
    expect(secretBallots(step({ method: 'vote', secret: true }))).toBe(true)
    expect(secretBallots(step({ method: 'vote', secret: true, revealed: true }))).toBe(false)
  })

  it('votes in a ballot box count against the limit with the board\'s, and are taken back from it', () => {
    const board = new Y.Doc()
    M.seed(board, 'journey-map')
    const [s] = M.stages(board); const [l] = M.lanes(board)
    const a = M.addCard(board, { participant: 'p_a', name: 'A', language: 'en' }, l.id, s.id, 'x')
    M.vote(board, a, 'p_me', 2)
    const box = new Y.Doc()
    expect(M.vote(board, a, 'p_me', 2, box)).toBe(true)
    expect(M.vote(board, a, 'p_me', 2, box)).toBe(false)
    // the new vote is in the box only, under the next free key
    expect([...M.votesMap(box).keys()]).toEqual([`${a}|p_me|1`])
    expect(M.votesFor(board, a)).toBe(1)
    expect(M.myVotesOn(board, a, 'p_me', box)).toBe(2)
    expect(M.votesUsed(board, 'p_me', box)).toBe(2)
    expect(M.unvote(board, a, 'p_me', box)).toBe(true)
    expect(M.votesMap(box).size).toBe(0)
    expect(M.votesFor(board, a)).toBe(1)
  })
})
