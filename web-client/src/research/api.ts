//! The server's research API (server/README.md, "History, replay and research exports"): a
//! session's history, its board at a moment, its participation figures, its dataset and its
//! REFI-QDA project.

import { client, answer, bearer, withToken } from '../api/client'
import { parseNdjson } from './history'

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
    answer(client.GET('/api/sessions/{id}/export.qdpx', { ...withToken(token, { id }), parseAs: 'blob' }))
}
