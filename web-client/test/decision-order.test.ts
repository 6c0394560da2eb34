import { describe, it, expect } from 'vitest'
import { arrange, ALL_CARDS, type DecidableCard } from '../src/outcome/decision-order'
import { STATUSES, type Status } from '../src/outcome/decisions'

const cards: DecidableCard[] = [
  { id: 'a', name: 'Form too long', votes: 1, stage: 'Apply' },
  { id: 'b', name: 'No letter', votes: 4, stage: 'Wait' },
  { id: 'c', name: 'Queue', votes: 0, stage: 'Apply' },
  { id: 'd', name: 'Phone line', votes: 4, stage: 'Receive' }
]
const decided: Record<string, Status> = { b: 'not-taken-up', c: 'accepted' }
const statusOf = (id: string): Status | undefined => decided[id]
const ids = (list: DecidableCard[]): string[] => list.map((c) => c.id)

describe("the moderator's decision list", () => {
  it('keeps the board order by default', () => {
    expect(ids(arrange(cards, statusOf, ALL_CARDS, STATUSES))).toEqual(['a', 'b', 'c', 'd'])
  })
  it('sorts by votes (ties in board order) and by decision (undecided last)', () => {
    expect(ids(arrange(cards, statusOf, { ...ALL_CARDS, sort: 'votes' }, STATUSES))).toEqual(['b', 'd', 'a', 'c'])
    expect(ids(arrange(cards, statusOf, { ...ALL_CARDS, sort: 'status' }, STATUSES))).toEqual(['c', 'b', 'a', 'd'])
  })
  it('keeps the board order when a secret vote hides the tallies', () => {
    const secret = cards.map((c) => ({ ...c, votes: null }))
    expect(ids(arrange(secret, statusOf, { ...ALL_CARDS, sort: 'votes' }, STATUSES))).toEqual(['a', 'b', 'c', 'd'])
  })
  it('filters by decision and by stage', () => {
    expect(ids(arrange(cards, statusOf, { ...ALL_CARDS, status: 'undecided' }, STATUSES))).toEqual(['a', 'd'])
    expect(ids(arrange(cards, statusOf, { ...ALL_CARDS, status: 'accepted' }, STATUSES))).toEqual(['c'])
    expect(ids(arrange(cards, statusOf, { sort: 'votes', status: 'all', stage: 'Apply' }, STATUSES))).toEqual(['a', 'c'])
  })
})
