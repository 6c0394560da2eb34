//! The session's facilitation as the page last heard it (the session message's `step`, and
//! whether the agenda changed), for the step banner and the facilitator's controls: each
//! component says what it reads and renders again only when that changed.

import { useLayoutEffect, useReducer } from 'preact/hooks'
import type { Session } from '../sync/connection'
import { lang } from '../i18n'

/** The session messages (server/README.md "Agenda") after which the agenda is read again. */
const AGENDA_EVENTS = new Set(['agenda', 'step-started', 'step-revealed', 'step-ended', 'closed'])

export class Facilitation {
  session?: Session
  /** Bumped when the agenda changed on the server: the facilitator's controls read it again. */
  agendaVersion = 0
  private readonly subscribers = new Set<() => void>()

  /** The session as a session message (or an API answer) has it now; `event` says what happened. */
  update (session: Session, event?: string): void {
    this.session = session
    if (event && AGENDA_EVENTS.has(event)) this.agendaVersion += 1
    for (const fn of [...this.subscribers]) fn()
  }

  /** The language or the permissions changed: what is on screen is worded again. */
  refresh (): void { for (const fn of [...this.subscribers]) fn() }

  /** The step on screen: none once the session is closed (nothing is under way in a session that is over). */
  step (): Session['step'] { return this.session?.state === 'closed' ? null : this.session?.step ?? null }

  /** Calls `fn` after an update in which `key()` changed; returns the unsubscribe. */
  subscribe (key: () => string, fn: () => void): () => void {
    let last = key()
    const on = (): void => { const k = key(); if (k !== last) { last = k; fn() } }
    this.subscribers.add(on)
    return () => { this.subscribers.delete(on) }
  }
}

/** Renders the calling component again when `key` (what it shows, in the page's language) changes. */
export function useFacilitation (f: Facilitation, key: (f: Facilitation) => string): Facilitation {
  const [, bump] = useReducer((n: number) => n + 1, 0)
  useLayoutEffect(() => f.subscribe(() => `${lang()}\n${key(f)}`, () => bump(0)), [f])
  return f
}
