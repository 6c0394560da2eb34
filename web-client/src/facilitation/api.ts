//! The agenda calls of the server's API (server/README.md "Agenda"): every participant reads the
//! agenda, moderators replace it and start, reveal, extend, pause and end its steps, count drafts,
//! and bring everyone to a zone.

import { client, answer, withToken, type Schema } from '../api/client'
import type { Session } from '../sync/connection'

export type Agenda = Schema<'Agenda'>
export type Step = Schema<'Step'> & Pick<StepTimer, 'on_end'>
export type StepRequest = Schema<'StepRequest'> & Pick<StepTimer, 'on_end'>
export type StepMethod = Schema<'StepMethod'>
export type CurrentStep = Schema<'CurrentStep'>

export const agendaApi = {
  get: (token: string, id: string) =>
    answer(client.GET('/api/sessions/{id}/agenda', withToken(token, { id }))),
  replace: (token: string, id: string, steps: StepRequest[]) =>
    answer(client.PUT('/api/sessions/{id}/agenda', { ...withToken(token, { id }), body: { steps } })),
  start: (token: string, id: string, step: string) =>
    answer(client.POST('/api/sessions/{id}/agenda/steps/{step}/start', withToken(token, { id, step }))),
  reveal: (token: string, id: string) =>
    answer(client.POST('/api/sessions/{id}/agenda/reveal', withToken(token, { id }))),
  end: (token: string, id: string) =>
    answer(client.POST('/api/sessions/{id}/agenda/end', withToken(token, { id }))),
  drafts: (token: string, id: string) =>
    answer(client.GET('/api/sessions/{id}/agenda/drafts', withToken(token, { id })))
}

/**
 * The timer actions and "bring everyone here" (server/README.md "Agenda"), until openapi.json
 * describes them: the same client (errors as ApiError), paths and answers typed here.
 */
const post = <T>(token: string, path: string, id: string, body?: unknown): Promise<T> =>
  answer((client.POST as unknown as (p: string, o: object) => Promise<{ data?: T }>)(path, { ...withToken(token, { id }), body }))

/** What happens when a step's time is up: it ends, it ends and the session locks, or nothing (the facilitator decides). */
export type OnEnd = 'end' | 'lock' | 'continue'
/** A step's timer as the server adds it to `step` and to the agenda's steps. */
export interface StepTimer { on_end?: OnEnd, paused_at?: number | null, remaining_ms?: number | null }
/** Where a moderator brought everyone: a zone name and since when. */
export interface Focus { zone: string, at: number }

/** The current step with its timer. */
export const timerOf = (step: CurrentStep): CurrentStep & StepTimer => step
/** The session's focus, or null. */
export const focusOf = (session: Session | undefined): Focus | null => (session as { focus?: Focus | null } | undefined)?.focus ?? null

type Answer = { agenda: Agenda, session: Session }
export const timerApi = {
  extend: (token: string, id: string, minutes: number) => post<Answer>(token, '/api/sessions/{id}/agenda/extend', id, { minutes }),
  pause: (token: string, id: string) => post<Answer>(token, '/api/sessions/{id}/agenda/pause', id),
  resume: (token: string, id: string) => post<Answer>(token, '/api/sessions/{id}/agenda/resume', id),
  focus: (token: string, id: string, zone: string | null) => post<{ session: Session }>(token, '/api/sessions/{id}/focus', id, { zone })
}
