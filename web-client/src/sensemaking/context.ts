//! What the sensemaking panels need from the board page: who asks (token, session), the board
//! they cite cards from (its store, for names and for re-rendering when a cited card changes),
//! and how a cited card is brought into view.

import type { BoardStore } from '../board/store'

export interface SenseContext {
  token: string
  session: string
  store: BoardStore
  /** Scroll to a card on the board and select it (the page knows the phone's one-stage view). */
  showItem: (id: string) => void
  /** The agenda's current step is a `cluster` step: themes are what the moderator needs now. */
  clustering: () => boolean
}
