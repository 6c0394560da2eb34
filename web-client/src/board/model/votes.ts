//! Dot-votes: key `${item}|${participant}|${n}` in `votes`, value = time cast (ms).

import type * as Y from 'yjs'
import { itemsMap, votesMap } from './schema'

export function votesFor (doc: Y.Doc, itemId: string): number {
  let n = 0
  votesMap(doc).forEach((_, k) => { if (k.startsWith(`${itemId}|`)) n++ })
  return n
}

/** Every item's votes, in one pass over the votes (a list of all cards with their votes). */
export function voteCounts (doc: Y.Doc): Map<string, number> {
  const counts = new Map<string, number>()
  votesMap(doc).forEach((_, k) => { const item = k.slice(0, k.indexOf('|')); counts.set(item, (counts.get(item) ?? 0) + 1) })
  return counts
}

export function myVotesOn (doc: Y.Doc, itemId: string, participant: string): number {
  let n = 0
  votesMap(doc).forEach((_, k) => { const [i, p] = k.split('|'); if (i === itemId && p === participant) n++ })
  return n
}

/** Votes a participant cast on items that still exist. */
export function votesUsed (doc: Y.Doc, participant: string): number {
  const items = itemsMap(doc)
  let n = 0
  votesMap(doc).forEach((_, k) => { const [i, p] = k.split('|'); if (p === participant && items.has(i)) n++ })
  return n
}

/** Cast one vote; false when the participant has none left. */
export function vote (doc: Y.Doc, itemId: string, participant: string, limit: number): boolean {
  if (!itemsMap(doc).has(itemId) || votesUsed(doc, participant) >= limit) return false
  const votes = votesMap(doc)
  let n = 0
  while (votes.has(`${itemId}|${participant}|${n}`)) n++
  votes.set(`${itemId}|${participant}|${n}`, Date.now())
  return true
}

/** Take back one of my votes on an item. */
export function unvote (doc: Y.Doc, itemId: string, participant: string): boolean {
  const votes = votesMap(doc)
  const mine = Array.from(votes.keys()).filter((k) => { const [i, p] = k.split('|'); return i === itemId && p === participant })
    .sort((a, b) => Number(b.split('|')[2]) - Number(a.split('|')[2]))
  if (!mine.length) return false
  votes.delete(mine[0])
  return true
}
