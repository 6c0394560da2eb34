//! Which of the board's cards the moderator's decision list shows, and in which order: pure (no
//! DOM), so that sorting and filtering are unit-tested apart from the panel that draws them.

import type { Status } from './decisions'

/** A card the moderator can decide on, as the board names it, with what helps to choose. */
export interface DecidableCard {
  id: string
  name: string
  /** Votes on it now: the decision list is sorted by them after a vote; `null` while a secret vote hides tallies. */
  votes: number | null
  /** Its stage's name ('' where the board has no stages, e.g. a canvas). */
  stage: string
}

/** How the list is sorted: as on the board (oldest first), most votes first, or by status. */
export const SORTS = ['board', 'votes', 'status'] as const
export type DecisionSort = typeof SORTS[number]

/** Which cards show: all, the ones without a decision, or those with one status. */
export type StatusFilter = 'all' | 'undecided' | Status

/** What the moderator chose above the list; `stage` '' is every stage. */
export interface DecisionView { sort: DecisionSort, status: StatusFilter, stage: string }

export const ALL_CARDS: DecisionView = { sort: 'board', status: 'all', stage: '' }

/**
 * The cards to show, in order. `statusOf` is a card's saved decision; `order` the statuses'
 * order of work (undecided last); ties keep the board's order (the sort is stable).
 */
export function arrange (cards: DecidableCard[], statusOf: (id: string) => Status | undefined, view: DecisionView, order: readonly Status[]): DecidableCard[] {
  const shown = cards.filter((c) => {
    const s = statusOf(c.id)
    if (view.stage && c.stage !== view.stage) return false
    if (view.status === 'all') return true
    return view.status === 'undecided' ? s === undefined : s === view.status
  })
  const rank = (c: DecidableCard): number => { const s = statusOf(c.id); return s === undefined ? order.length : order.indexOf(s) }
  if (view.sort === 'votes') return [...shown].sort((a, b) => (b.votes ?? 0) - (a.votes ?? 0))
  if (view.sort === 'status') return [...shown].sort((a, b) => rank(a) - rank(b))
  return shown
}
