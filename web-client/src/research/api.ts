//! The server's research API (server/README.md, "History, replay and research exports"): a
//! session's history, its board at a moment, its participation figures, its dataset and REFI-QDA
//! project, the memos researchers write on its replay, and the research view of its process.

import { client, answer, bearer, withToken, type Body, type Schema } from '../api/client'
import { parseNdjson } from './history'

/** A researcher's or moderator's note at an instant of the replay (server/README.md, "Memos"). */
export type Memo = Schema<'Memo'>
/** A process's sessions side by side: participation by phase, cards carried forward and decided. */
export type ProcessView = Schema<'ProcessView'>

export const researchApi = {
  /** Every event, oldest first (NDJSON). */
  history: async (token: string, id: string) =>
    parseNdjson(await answer(client.GET('/api/sessions/{id}/history', { ...withToken(token, { id }), parseAs: 'text' }))),
  /** The board just after the log record `seq`. */
  state: (token: string, id: string, seq: number) =>
    answer(client.GET('/api/sessions/{id}/state', { headers: bearer(token), params: { path: { id }, query: { at: String(seq) } } })),
  metrics: (token: string, id: string, bucketSeconds: number) =>
    answer(client.GET('/api/sessions/{id}/metrics', { headers: bearer(token), params: { path: { id }, query: { bucket_seconds: bucketSeconds } } })),
  /** The research dataset (zip), as a blob: a download link cannot carry the token. */
  exportZip: (token: string, id: string) =>
    answer(client.GET('/api/sessions/{id}/export', { ...withToken(token, { id }), parseAs: 'blob' })),
  /** The session as a REFI-QDA project (.qdpx, a zip) for qualitative analysis programs; a blob as above. */
  exportQdpx: (token: string, id: string) =>
    answer(client.GET('/api/sessions/{id}/export.qdpx', { ...withToken(token, { id }), parseAs: 'blob' })),
  /** The research view of the process a session belongs to, over the sessions the caller may study. */
  processMetrics: (token: string, id: string) =>
    answer(client.GET('/api/processes/{id}/metrics', withToken(token, { id }))),
  /** The process's dataset (zip of CSV files); a blob as above. */
  processExport: (token: string, id: string) =>
    answer(client.GET('/api/processes/{id}/export', { ...withToken(token, { id }), parseAs: 'blob' })),
  /** Every memo of the session, in the order of the replay (instant, then id). */
  memos: async (token: string, id: string) =>
    (await answer(client.GET('/api/sessions/{id}/memos', withToken(token, { id })))).memos,
  addMemo: async (token: string, id: string, body: Body<'createMemo'>) =>
    (await answer(client.POST('/api/sessions/{id}/memos', { ...withToken(token, { id }), body }))).memo,
  /** Changes the caller's own memo (only its writer may). */
  changeMemo: async (token: string, id: string, memo: string, body: Body<'changeMemo'>) =>
    (await answer(client.PATCH('/api/sessions/{id}/memos/{memo}', { ...withToken(token, { id, memo }), body }))).memo,
  /** Deletes a memo (its writer, or a moderator). */
  deleteMemo: (token: string, id: string, memo: string) =>
    answer(client.DELETE('/api/sessions/{id}/memos/{memo}', withToken(token, { id, memo })))
}
