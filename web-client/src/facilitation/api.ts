//! The agenda calls of the server's API (server/README.md "Agenda"): every participant reads the
//! agenda, moderators replace it and start, reveal, extend, pause and end its steps, count drafts,
//! and bring everyone to a zone.

import { client, answer, withToken, type Schema } from '../api/client'
import type { Session } from '../sync/connection'

export type Agenda = Schema<'Agenda'>
export type Step = Schema<'Step'>
export type StepRequest = Schema<'StepRequest'>
export type StepMethod = Schema<'StepMethod'>
export type CurrentStep = Schema<'CurrentStep'>
/** What happens when a step's time is up: it ends, it ends and the session locks, or nothing (the facilitator decides). */
export type OnEnd = Schema<'OnEnd'>
/** Where a moderator brought everyone: a zone name and since when. */
export type Focus = Schema<'Focus'>

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

/** The session's focus, or null. */
export const focusOf = (session: Session | undefined): Focus | null => session?.focus ?? null

/** The timer actions and "bring everyone here". */
export const timerApi = {
  extend: (token: string, id: string, minutes: number) =>
    answer(client.POST('/api/sessions/{id}/agenda/extend', { ...withToken(token, { id }), body: { minutes } })),
  pause: (token: string, id: string) =>
    answer(client.POST('/api/sessions/{id}/agenda/pause', withToken(token, { id }))),
  resume: (token: string, id: string) =>
    answer(client.POST('/api/sessions/{id}/agenda/resume', withToken(token, { id }))),
  focus: (token: string, id: string, zone: string | null) =>
    answer(client.POST('/api/sessions/{id}/focus', { ...withToken(token, { id }), body: { zone } }))
}
