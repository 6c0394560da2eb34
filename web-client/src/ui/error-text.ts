//! A failed server call in words, in the page's language: the server's stable error `code`
//! translated (the codes are typed by openapi.json); an answer without a code (a proxy's error
//! page, a 502) as its status in a sentence; the server's own (English) text only for a code this
//! client does not know yet.

import { ApiError, type ErrorCode } from '../api/client'
import { DICTS, t, type Key } from '../i18n'

/** The codes openapi.json lists, and the client's own `network`. */
type Known = Exclude<ErrorCode, `http_${number}`>

/** Every code has its words: a code added to openapi.json without them is a compile error naming it. */
type Missing = Exclude<`apiError.${Known}`, Key>
export const EVERY_CODE_WORDED: [Missing] extends [never] ? true : Missing = true

export function errorText (e: unknown): string {
  if (e instanceof ApiError) {
    const key = `apiError.${e.code}`
    if (key in DICTS.en) return t(key as Key)
    // no code: a proxy or the framework answered; its page is no message for people
    return e.code.startsWith('http_') ? t('apiError.http', { status: e.status }) : e.message
  }
  return e instanceof Error ? e.message : String(e)
}

/**
 * Why the server closed the board's connection (a 1008 close's reason) in words: a reason that
 * starts with one of the API's codes (`revoked: …`) is translated like a failed call; any other
 * reason is shown as the server wrote it.
 */
export function refusalText (reason: string): string {
  const code = /^([a-z_]+):/.exec(reason)?.[1]
  const key = `apiError.${code ?? ''}`
  return code && key in DICTS.en ? t(key as Key) : reason
}
