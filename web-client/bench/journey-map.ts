// The board every benchmark row runs on: a journey map with N cards, written by the client's own
// model (so that it is a board the client itself could have made), once per row as one Yjs
// update, so that the baseline and the candidate client are shown exactly the same board.

import * as Y from 'yjs'
import * as M from '../src/board/model'

export interface JourneyMap {
  /** the whole board as one update, applied by the first remote participant */
  update: Uint8Array
  /** the cards the typists type into, one each, spread over the board */
  typistCards: string[]
  /** each card's text as seeded, by id (the typists append to it) */
  texts: Map<string, string>
}

const WORDS = ['long', 'wait', 'letter', 'counter', 'phone', 'form', 'unclear', 'helpful', 'queue', 'online', 'appointment', 'fee']

/**
 * N cards spread round-robin over the cells (stage by stage, lane by lane), each with a short
 * sentence, by one of several authors; the typists' cards spread over the board, one per cell.
 */
export async function journeyMap (cards: number, typists: number): Promise<JourneyMap> {
  if (typists > cards) throw new Error(`${typists} typists need at least as many cards (got ${cards})`)
  const doc = new Y.Doc()
  const typistCards: string[] = []
  const texts = new Map<string, string>()
  doc.transact(() => {
    M.seed(doc, 'journey-map')
    const stages = M.stages(doc)
    const lanes = M.lanes(doc)
    const cells = lanes.flatMap((l) => stages.map((s) => ({ lane: l.id, stage: s.id })))
    // typist k's card: the k-th of K evenly spaced positions, moved k further on so that the
    // typists sit in different cells (N/K is often a multiple of the 30 cells)
    const every = Math.floor(cards / typists)
    const typistAt = new Map(Array.from({ length: typists }, (_, k) => [k * every + Math.min(k, every - 1), k]))
    for (let i = 0; i < cards; i++) {
      const typist = typistAt.get(i)
      const who = typist ?? i % 7
      const author = { participant: `p_bench${who}`, name: typist === undefined ? `Citizen ${who}` : `Typist ${typist}`, language: 'en' }
      const text = `Card ${i}: ${WORDS[i % WORDS.length]} ${WORDS[(i * 5 + 3) % WORDS.length]} `
      const cell = cells[i % cells.length]
      const id = M.addCard(doc, author, cell.lane, cell.stage, text)
      texts.set(id, text)
      if (typist !== undefined) typistCards[typist] = id
    }
  })
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return { update, typistCards, texts }
}
