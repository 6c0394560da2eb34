//! A participant's private drafts (issue 27, part 2). During a private step their new cards go
//! into a draft room of their own (`<session>:drafts:<participant>`, server/README.md "Private
//! drafts"), which the server opens to them alone and empties onto the board at the reveal; in a
//! secret vote their votes wait in its `votes` until then. The draft document has the board's
//! schema, so the board's store and components show it, in the cells its cards were written in.

import type * as Y from 'yjs'
import { Connection } from '../sync/connection'
import type { BoardStore } from '../board/store'
import type { CurrentStep } from './api'

type Step = CurrentStep | null | undefined

/** The draft room of a participant in a session (the server admits only its owner). */
export const draftRoom = (session: string, participant: string): string => `${session}:drafts:${participant}`

/** A step whose drafts or ballots wait in the draft room: it stays open until the next step. */
export const keepsDrafts = (step: Step): boolean => !!step && (step.private || step.secret)

/** New cards and notes are drafts: a private step is under way. */
export const writesDrafts = (step: Step): boolean => !!step && step.private && step.ended_at === null

/** Votes go into the person's own ballot box and tallies are hidden: a secret vote not revealed yet. */
export const secretBallots = (step: Step): boolean => !!step && step.secret && !step.revealed

/** The open draft room: its connection (with the board's offline store) and the store its cards render from. */
export class Drafts {
  readonly conn: Connection
  readonly store: BoardStore

  /** `store` makes the drafts' store for their document (the page's, with the drafts' rules). */
  constructor (opts: { origin: string, session: string, participant: string, token: string, store: (doc: Y.Doc) => BoardStore }) {
    const room = draftRoom(opts.session, opts.participant)
    // session/device.ts forgets this copy (`cocreate:d:<room>`) on leaving
    this.conn = new Connection({ origin: opts.origin, room, token: opts.token, storeName: `d:${room}` })
    this.store = opts.store(this.conn.doc)
  }

  destroy (): void { this.conn.destroy() }
}
