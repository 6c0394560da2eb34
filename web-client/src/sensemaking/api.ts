//! The sensemaking calls of the server's API (server/README.md "Sensemaking"): themes, similar
//! cards and coverage proposed by the server's own model, and accepting themes as groups; and
//! their failures in words, since "the model is off" and "too many requests" mean something
//! particular here.

import { client, answer, withToken, ApiError, type Body, type Schema } from '../api/client'
import { t } from '../i18n'
import { errorText } from '../ui/error-text'

export type Theme = Schema<'AssistTheme'>
export type CoverageCell = Schema<'CoverageCell'>
export type Themes = Awaited<ReturnType<typeof senseApi.themes>>
export type Coverage = Awaited<ReturnType<typeof senseApi.coverage>>
export type Similar = Awaited<ReturnType<typeof senseApi.similar>>['similar']

export const senseApi = {
  themes: (token: string, id: string, body: Body<'assistThemes'>) =>
    answer(client.POST('/api/sessions/{id}/assist/themes', { ...withToken(token, { id }), body })),
  similar: (token: string, id: string, text: string) =>
    answer(client.POST('/api/sessions/{id}/assist/similar', { ...withToken(token, { id }), body: { text } })),
  coverage: (token: string, id: string) =>
    answer(client.GET('/api/sessions/{id}/assist/coverage', withToken(token, { id }))),
  accept: (token: string, id: string, run: string, themes: number[]) =>
    answer(client.POST('/api/sessions/{id}/assist/runs/{run}/accept', { ...withToken(token, { id, run }), body: { themes } }))
}

/** The run's request for a scope choice: '' the whole board, `stage:<id>` or `lane:<id>`. */
export function scopeBody (scope: string): { stage?: string, lane?: string } {
  const m = /^(stage|lane):(.+)$/.exec(scope)
  return !m ? {} : m[1] === 'stage' ? { stage: m[2] } : { lane: m[2] }
}

/** The server runs without its model: asking again will not help (503 `assist_unavailable`). */
export const isOff = (e: unknown): boolean => e instanceof ApiError && e.code === 'assist_unavailable'

/** A failed sensemaking call in words: the model off, or asked too often, said for this feature. */
export function senseErrorText (e: unknown): string {
  if (isOff(e)) return t('sense.off')
  if (e instanceof ApiError && e.status === 429) return t('sense.busy')
  return errorText(e)
}
