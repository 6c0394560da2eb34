//! The server's API for what became of people's input (issue 20, server/README.md): decisions,
//! publishing, results, receipts and the questionnaire.

import { call } from '../session/api'
import type { Decision, Receipt, Status } from './decisions'

export const outcomeApi = {
  decide: (token: string, id: string, item: string, body: { status: Status, explanation: string }) =>
    call<{ decision: Decision }>('PUT', `/api/sessions/${encodeURIComponent(id)}/items/${encodeURIComponent(item)}/decision`, { token, body }),
  decisions: (token: string, id: string) =>
    call<{ decisions: Decision[] }>('GET', `/api/sessions/${encodeURIComponent(id)}/decisions`, { token }),
  publish: (token: string, id: string, publish: boolean) =>
    call<unknown>('POST', `/api/sessions/${encodeURIComponent(id)}/${publish ? 'publish' : 'unpublish'}`, { token }),
  /** Published results: no token; 404 while unpublished. */
  results: (id: string) => call<unknown>('GET', `/api/results/${encodeURIComponent(id)}`),
  /** A receipt: no token (it works after the token expired); 404 once the participant is erased. */
  receipt: (receipt: string) => call<Receipt>('GET', `/api/receipts/${encodeURIComponent(receipt)}`),
  evaluate: (receipt: string, body: { answers: Record<string, number | string> }) =>
    call<unknown>('POST', `/api/receipts/${encodeURIComponent(receipt)}/evaluation`, { body }),
  /** A process and its sessions (a moderator of one of them). */
  process: (token: string, id: string) =>
    call<{ id: string, title: string, sessions: ProcessSession[] }>('GET', `/api/processes/${encodeURIComponent(id)}`, { token }),
  /** Copies cards of this (closed) session into another open session of its process. */
  carry: (token: string, id: string, to: string, items: string[]) =>
    call<{ carried: { from: string, item: string }[] }>('POST', `/api/sessions/${encodeURIComponent(id)}/carry`, { token, body: { to, items } })
}

/** One session of a process, as `GET /api/processes/{id}` lists it. */
export interface ProcessSession { id: string, title: string, state: string, cycle_phase?: string | null }
