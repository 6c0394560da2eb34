//! Dot-votes: key `${item}|${participant}|${n}` in `votes`, value = time cast (ms). In a secret
//! vote a participant's votes wait in their own ballot box (the `votes` of their draft document,
//! issue 27) until the reveal: `box` is that document, counted with the board's.

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

/** The vote keys of the board and of a private ballot box. */
const ballots = (doc: Y.Doc, box?: Y.Doc): string[] => [...votesMap(doc).keys(), ...(box && box !== doc ? votesMap(box).keys() : [])]

/** A participant's votes on an item, on the board and in their ballot box. */
export function myVotesOn (doc: Y.Doc, itemId: string, participant: string, box?: Y.Doc): number {
  return ballots(doc, box).filter((k) => { const [i, p] = k.split('|'); return i === itemId && p === participant }).length
}

/** Votes a participant cast on items that still exist (on the board and in their ballot box). */
export function votesUsed (doc: Y.Doc, participant: string, box?: Y.Doc): number {
  const items = itemsMap(doc)
  return ballots(doc, box).filter((k) => { const [i, p] = k.split('|'); return p === participant && items.has(i) }).length
}

/** Cast one vote (into the ballot box, if there is one); false when the participant has none left. */
export function vote (doc: Y.Doc, itemId: string, participant: string, limit: number, box?: Y.Doc): boolean {
  if (!itemsMap(doc).has(itemId) || votesUsed(doc, participant, box) >= limit) return false
  const votes = votesMap(box ?? doc)
  const taken = new Set(ballots(doc, box))
  let n = 0
  while (taken.has(`${itemId}|${participant}|${n}`)) n++
  votes.set(`${itemId}|${participant}|${n}`, Date.now())
  return true
}

/** Take back one of my votes on an item (from the ballot box, if there is one). */
export function unvote (doc: Y.Doc, itemId: string, participant: string, box?: Y.Doc): boolean {
  const votes = votesMap(box ?? doc)
  const mine = Array.from(votes.keys()).filter((k) => { const [i, p] = k.split('|'); return i === itemId && p === participant })
    .sort((a, b) => Number(b.split('|')[2]) - Number(a.split('|')[2]))
  if (!mine.length) return false
  votes.delete(mine[0])
  return true
}
