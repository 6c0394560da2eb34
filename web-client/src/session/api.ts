//! The server's HTTP API (server/README.md) and the tokens this browser keeps per session.

import type { Session, You } from '../sync/connection'
import { parseNdjson, type StateAnswer, type Metrics } from '../research/history'

export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) { super(message) }
}

/** Sends a request; a non-2xx answer becomes an ApiError with the server's stable `code`. */
async function request (method: string, path: string, { token, body, adminKey }: { token?: string, body?: unknown, adminKey?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const bearer = token ?? adminKey
  if (bearer) headers.Authorization = `Bearer ${bearer}`
  let res: Response
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  } catch (err) {
    throw new ApiError(0, 'network', String(err))
  }
  if (res.ok) return res
  const text = await res.text()
  let e: { error?: string, code?: string } = {}
  try { e = (text ? JSON.parse(text) : {}) ?? {} } catch { /* not JSON */ }
  throw new ApiError(res.status, e.code ?? `http_${res.status}`, e.error ?? (text.slice(0, 200) || res.statusText))
}

async function call<T> (method: string, path: string, opts: { token?: string, body?: unknown, adminKey?: string } = {}): Promise<T> {
  const text = await (await request(method, path, opts)).text()
  try { return (text ? JSON.parse(text) : null) as T } catch { return null as T }
}

export interface JoinAnswer {
  token: string
  expires_at: number
  participant_id: string
  display_name: string
  role: string
  session: Session
}

export interface Participant { id?: string, participant_id?: string, display_name?: string, name?: string, role?: string, language?: string, joined_at?: number, kicked?: boolean }

/** What moderators see of an item that was reported or hidden (`moderation.items` by item id). */
export interface ItemModeration {
  hidden?: { reason: string, by: string, at: number, pending_review: boolean, text?: string } | null
  reports?: { by: string, reason: string, at: number }[]
}

export interface CreateAnswer {
  id: string
  join_code: string
  join_url: string
  invites: Record<string, { token: string, url: string }>
  session: Session
}

export interface AuditEntry { at: number, by: string, by_name?: string, action: string, target?: string, reason?: string | null }

export const api = {
  join: (body: { code?: string, invite?: string, display_name: string, language?: string, research_consent?: boolean }) =>
    call<JoinAnswer>('POST', '/api/join', { body }),
  me: (token: string) => call<{ session: Session, you: You }>('GET', '/api/me', { token }),
  createSession: (adminKey: string, body: { title: string, template: string, language: string }) =>
    call<CreateAnswer>('POST', '/api/sessions', { adminKey, body }),
  session: (token: string, id: string) =>
    call<Session & { join_code: string, participants?: Participant[], moderation?: { items?: Record<string, ItemModeration> } }>('GET', `/api/sessions/${encodeURIComponent(id)}`, { token }),
  patch: (token: string, id: string, body: Partial<Pick<Session, 'title' | 'phase' | 'timer_ends_at' | 'votes_per_participant'>>) =>
    call<{ session: Session }>('PATCH', `/api/sessions/${encodeURIComponent(id)}`, { token, body }),
  action: (token: string, id: string, action: 'lock' | 'unlock' | 'close') =>
    call<{ session: Session }>('POST', `/api/sessions/${encodeURIComponent(id)}/${action}`, { token }),
  rotateJoinCode: (token: string, id: string) =>
    call<{ join_code: string, join_url: string }>('POST', `/api/sessions/${encodeURIComponent(id)}/join-code`, { token }),
  kick: (token: string, id: string, pid: string) =>
    call<{ participant: Participant }>('POST', `/api/sessions/${encodeURIComponent(id)}/participants/${encodeURIComponent(pid)}/kick`, { token }),
  removeContributions: (token: string, id: string, pid: string) =>
    call<{ removed_clients: number }>('POST', `/api/sessions/${encodeURIComponent(id)}/participants/${encodeURIComponent(pid)}/remove-contributions`, { token }),
  hide: (token: string, id: string, item: string, reason: string) =>
    call<unknown>('POST', `/api/sessions/${encodeURIComponent(id)}/items/${encodeURIComponent(item)}/hide`, { token, body: { reason } }),
  unhide: (token: string, id: string, item: string) =>
    call<unknown>('POST', `/api/sessions/${encodeURIComponent(id)}/items/${encodeURIComponent(item)}/unhide`, { token }),
  report: (token: string, id: string, item: string, reason: string) =>
    call<{ item: { reports: number, hidden: boolean } }>('POST', `/api/sessions/${encodeURIComponent(id)}/items/${encodeURIComponent(item)}/report`, { token, body: { reason } }),
  audit: (token: string, id: string) =>
    call<{ entries: AuditEntry[] }>('GET', `/api/sessions/${encodeURIComponent(id)}/audit`, { token }),
  erase: (token: string, id: string, pid: string, text: boolean) =>
    call<{ participant: Participant, erased: { at: number, text: boolean, clients: number[] } }>('POST', `/api/sessions/${encodeURIComponent(id)}/participants/${encodeURIComponent(pid)}/erase`, { token, body: { text } }),
  history: async (token: string, id: string) =>
    parseNdjson(await (await request('GET', `/api/sessions/${encodeURIComponent(id)}/history`, { token })).text()),
  state: (token: string, id: string, seq: number) =>
    call<StateAnswer>('GET', `/api/sessions/${encodeURIComponent(id)}/state?at=${seq}`, { token }),
  metrics: (token: string, id: string, bucketSeconds: number) =>
    call<Metrics>('GET', `/api/sessions/${encodeURIComponent(id)}/metrics?bucket_seconds=${bucketSeconds}`, { token }),
  /** The research dataset (zip), as a blob: a download link cannot carry the token. */
  exportZip: async (token: string, id: string) =>
    await (await request('GET', `/api/sessions/${encodeURIComponent(id)}/export`, { token })).blob()
}

/** What this browser keeps about a session it joined: enough to reopen it offline. */
export interface StoredSession {
  token: string
  participant_id: string
  display_name: string
  role: string
  session: Session
  can_edit?: boolean
}

const key = (sessionId: string): string => `cocreate.session.${sessionId}`

export function storeSession (s: StoredSession): void {
  localStorage.setItem(key(s.session.id), JSON.stringify(s))
}

export function loadSession (sessionId: string): StoredSession | undefined {
  try {
    const raw = localStorage.getItem(key(sessionId))
    return raw ? JSON.parse(raw) as StoredSession : undefined
  } catch { return undefined }
}

export function forgetSession (sessionId: string): void { localStorage.removeItem(key(sessionId)) }

/** Normalise a typed join code: upper case, spaces and dashes dropped. */
export const normaliseCode = (code: string): string => code.toUpperCase().replace(/[\s-]+/g, '')
export const JOIN_CODE_RE = /^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{7}$/
