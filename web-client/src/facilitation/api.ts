//! The agenda calls of the server's API (server/README.md "Agenda"): every participant reads the
//! agenda, moderators replace it and start, reveal and end its steps, and count drafts.

import { client, answer, withToken, type Schema } from '../api/client'

export type Agenda = Schema<'Agenda'>
export type Step = Schema<'Step'>
export type StepRequest = Schema<'StepRequest'>
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
