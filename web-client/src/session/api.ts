//! The session calls of the server's API (joining, creating, the moderator console) and the tokens
//! this browser keeps per session.

import { client, answer, bearer, withToken, type Body } from '../api/client'
import { isLang, type Lang } from '../i18n'

export const api = {
  join: (body: Body<'join'>) =>
    answer(client.POST('/api/join', { body })),
  /** Which session a join code opens and in which language, before joining. */
  preview: (code: string) =>
    answer(client.GET('/api/join/{code}', { params: { path: { code } } })),
  createSession: (adminKey: string, body: Body<'createSession'>) =>
    answer(client.POST('/api/sessions', { headers: bearer(adminKey), body })),
  session: (token: string, id: string) =>
    answer(client.GET('/api/sessions/{id}', withToken(token, { id }))),
  patch: (token: string, id: string, body: Body<'changeSession'>) =>
    answer(client.PATCH('/api/sessions/{id}', { ...withToken(token, { id }), body })),
  action: (token: string, id: string, action: 'lock' | 'unlock' | 'close') =>
    answer(client.POST(`/api/sessions/{id}/${action}`, withToken(token, { id }))),
  /** The printable paper kit of the board (a PDF, as a blob: a download link cannot carry the token). */
  paperKit: (token: string, id: string, paper: 'a4' | 'a3') =>
    answer(client.GET('/api/sessions/{id}/kit.pdf', { headers: bearer(token), params: { path: { id }, query: { size: paper === 'a4' ? 'A4' : 'A3' } }, parseAs: 'blob' })),
  rotateJoinCode: (token: string, id: string) =>
    answer(client.POST('/api/sessions/{id}/join-code', withToken(token, { id }))),
  kick: (token: string, id: string, pid: string) =>
    answer(client.POST('/api/sessions/{id}/participants/{pid}/kick', withToken(token, { id, pid }))),
  removeContributions: (token: string, id: string, pid: string) =>
    answer(client.POST('/api/sessions/{id}/participants/{pid}/remove-contributions', withToken(token, { id, pid }))),
  hide: (token: string, id: string, item: string, reason: string) =>
    answer(client.POST('/api/sessions/{id}/items/{item}/hide', { ...withToken(token, { id, item }), body: { reason } })),
  unhide: (token: string, id: string, item: string) =>
    answer(client.POST('/api/sessions/{id}/items/{item}/unhide', withToken(token, { id, item }))),
  report: (token: string, id: string, item: string, reason: Body<'report'>['reason']) =>
    answer(client.POST('/api/sessions/{id}/items/{item}/report', { ...withToken(token, { id, item }), body: { reason } })),
  audit: (token: string, id: string) =>
    answer(client.GET('/api/sessions/{id}/audit', withToken(token, { id }))),
  erase: (token: string, id: string, pid: string, text: boolean) =>
    answer(client.POST('/api/sessions/{id}/participants/{pid}/erase', { ...withToken(token, { id, pid }), body: { text } }))
}

type JoinAnswer = Awaited<ReturnType<typeof api.join>>

/**
 * What this browser keeps about a session it joined, from the join answer: enough to reopen it
 * offline. Sessions kept before receipts existed have none.
 */
export type StoredSession = Pick<JoinAnswer, 'token' | 'participant_id' | 'display_name' | 'role' | 'session'> & Partial<Pick<JoinAnswer, 'receipt' | 'receipt_url'>> & {
  /** What the server's session message said last (`you.can_edit`). */
  can_edit?: boolean
  /** The language this person chose for this session (at join or in the board's menu); else the session's. */
  lang?: Lang
}

/** The language a session's pages are shown in: the person's own choice for it, else the session's. */
export function sessionLang (s: StoredSession): Lang | undefined {
  return s.lang ?? (isLang(s.session.language) ? s.session.language : undefined)
}

/** Where a session is kept in localStorage: this prefix and its id. */
export const SESSION_KEY_PREFIX = 'cocreate.session.'
const key = (sessionId: string): string => `${SESSION_KEY_PREFIX}${sessionId}`

export function storeSession (s: StoredSession): void {
  localStorage.setItem(key(s.session.id), JSON.stringify(s))
}

export function loadSession (sessionId: string): StoredSession | undefined {
  try {
    const raw = localStorage.getItem(key(sessionId))
    return raw ? JSON.parse(raw) as StoredSession : undefined
  } catch { return undefined }
}

/** Forgets one session's token (its board copy is deleted by its connection, which holds it open). */
export function forgetSession (sessionId: string): void { localStorage.removeItem(key(sessionId)) }

/** Normalise a typed join code: upper case, spaces and dashes dropped. */
export const normaliseCode = (code: string): string => code.toUpperCase().replace(/[\s-]+/g, '')
export const JOIN_CODE_RE = /^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{7}$/
