//! The server's API for what became of people's input (issue 20, server/README.md): decisions,
//! publishing, results, receipts, the questionnaire, processes and carrying cards.

import { client, answer, withToken, type Body } from '../api/client'

export const outcomeApi = {
  decide: (token: string, id: string, item: string, body: Body<'decide'>) =>
    answer(client.PUT('/api/sessions/{id}/items/{item}/decision', { ...withToken(token, { id, item }), body })),
  decisions: (token: string, id: string) =>
    answer(client.GET('/api/sessions/{id}/decisions', withToken(token, { id }))),
  publish: (token: string, id: string, publish: boolean) =>
    answer(client.POST(`/api/sessions/{id}/${publish ? 'publish' : 'unpublish'}`, withToken(token, { id }))),
  /** The figures of the console: `outcomes` and `evaluation` of the session's metrics. */
  figures: (token: string, id: string) =>
    answer(client.GET('/api/sessions/{id}/metrics', withToken(token, { id }))),
  /** Published results: no token; 404 while unpublished. */
  results: (id: string) =>
    answer(client.GET('/api/results/{id}', { params: { path: { id } } })),
  /** A receipt: no token (it works after the token expired); 404 once the participant is erased. */
  receipt: (receipt: string) =>
    answer(client.GET('/api/receipts/{receipt}', { params: { path: { receipt } } })),
  evaluate: (receipt: string, body: Body<'evaluate'>) =>
    answer(client.POST('/api/receipts/{receipt}/evaluation', { params: { path: { receipt } }, body })),
  /** A process and its sessions (a moderator of one of them). */
  process: (token: string, id: string) =>
    answer(client.GET('/api/processes/{id}', withToken(token, { id }))),
  /** Copies cards of this (closed) session into another open session of its process. */
  carry: (token: string, id: string, to: string, items: string[]) =>
    answer(client.POST('/api/sessions/{id}/carry', { ...withToken(token, { id }), body: { to, items } }))
}
