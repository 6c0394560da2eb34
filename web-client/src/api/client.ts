//! The server's REST API as the browser calls it: one openapi-fetch client typed by the paths of
//! `openapi.d.ts`, which is generated from server/src/api/openapi.json (`npm run api:generate`),
//! so that every path, parameter, body and answer is the one the server is tested against.

import createClient from 'openapi-fetch'
import type { components, operations, paths } from './openapi'

/** A named schema of the API (`Schema<'Session'>`), as openapi.json describes it. */
export type Schema<K extends keyof components['schemas']> = components['schemas'][K]

/** The JSON body an operation takes, by its `operationId` (`Body<'join'>`). */
export type Body<Op extends keyof operations> = NonNullable<operations[Op]['requestBody']>['content']['application/json']

/** The error bodies openapi.json lists, each with the codes its status can carry (a 304 has no body). */
type ErrorBody = Extract<components['responses'][keyof components['responses']], { content: unknown }>['content']['application/json']

/** The server's stable error codes, and this client's own: no answer, or an answer that is not the server's. */
export type ErrorCode = ErrorBody['code'] | 'network' | `http_${number}`

/** A failed call: the HTTP status (0: no answer) and the server's stable error `code`. */
export class ApiError extends Error {
  constructor (readonly status: number, readonly code: ErrorCode, message: string) { super(message) }
}

/**
 * Sends one request; no answer or a non-2xx one becomes an ApiError. Every error body is
 * `{"error", "code"}`; anything else (a proxy's page) keeps the start of its text as the message
 * and `http_<status>` as its code (ui/error-text.ts says the status in words instead).
 */
async function send (request: Request): Promise<Response> {
  let res: Response
  try {
    res = await fetch(request)
  } catch (err) {
    throw new ApiError(0, 'network', String(err))
  }
  if (res.ok) return res
  const text = await res.text()
  let e: { error?: string, code?: ErrorCode } = {}
  try { e = (text ? JSON.parse(text) : {}) ?? {} } catch { /* not JSON */ }
  throw new ApiError(res.status, e.code ?? `http_${res.status}`, e.error ?? (text.slice(0, 200) || res.statusText))
}

/** The client every call goes through; a failure is thrown (`send`), so `data` is the 2xx answer. */
export const client = createClient<paths>({ fetch: send })

/** The header a token (a participant's, or an organiser's admin key) goes in. */
export const bearer = (token: string): { Authorization: string } => ({ Authorization: `Bearer ${token}` })

/** A call's options with a token, for the ids its path names (`withToken(token, { id })`). */
export const withToken = <P>(token: string, path: P): { headers: { Authorization: string }, params: { path: P } } =>
  ({ headers: bearer(token), params: { path } })

/** A call's answer: a failure was thrown already, so the answer is there. */
export async function answer<T> (call: Promise<{ data?: T }>): Promise<T> {
  return (await call).data as T
}

/**
 * Returns `list` when it names every member of `T` (an enum of the API): a member the server
 * adds and the browser's list lacks is a compile error naming it, while `T` rules out a name the
 * server does not know. The browser picks the order (the order of display).
 */
export const everyOf = <T extends string>() =>
  <const L extends readonly T[]>(list: L & Record<Exclude<T, L[number]>, never>): L => list
