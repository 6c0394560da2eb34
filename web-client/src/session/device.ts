//! What this browser keeps about the sessions it joined (tokens in localStorage, board copies in
//! IndexedDB), listed, and forgotten all at once with "forget this device" (issue 19: a shared
//! library computer must not reopen someone's session; leaving forgets one: app/board-page.ts).

import { SESSION_KEY_PREFIX, type StoredSession } from './api'
import { draftRoom } from '../facilitation/drafts'

/** Kept: choices about the page, nobody's data (the language, the board view). */
const PREFERENCES = new Set(['cocreate.lang', 'cocreate.view'])
/**
 * sync/connection.ts names a session's board copy `cocreate:s:<id>`, a development room's
 * `cocreate:dev:<room>`, a participant's drafts `cocreate:d:<session>:drafts:<participant>`.
 */
const BOARD_COPY_PREFIX = 'cocreate:'
const boardCopy = (sessionId: string): string => `${BOARD_COPY_PREFIX}s:${sessionId}`

const localKeys = (): string[] => Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i)).filter((k): k is string => k !== null)

/** The sessions this browser joined and still keeps, newest first. */
export function recentSessions (): StoredSession[] {
  const out: StoredSession[] = []
  for (const k of localKeys()) {
    if (!k.startsWith(SESSION_KEY_PREFIX)) continue
    try { out.push(JSON.parse(localStorage.getItem(k)!) as StoredSession) } catch { /* ignore */ }
  }
  return out.sort((a, b) => (b.session.created_at ?? 0) - (a.session.created_at ?? 0))
}

/** Whether this browser keeps anything of anyone's: a session, a name, unsaved changes. */
export const keepsAnything = (): boolean => localKeys().some((k) => k.startsWith('cocreate.') && !PREFERENCES.has(k))

/** Deletes an IndexedDB database; resolves also when it fails or is blocked (nothing better to do). */
function deleteDatabase (name: string): Promise<void> {
  return new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(name)
    req.onsuccess = req.onerror = req.onblocked = () => resolve()
  })
}

/** Forgets a participant's copy of their drafts (leaving the session while no draft room is open). */
export const forgetDrafts = (sessionId: string, participantId: string): Promise<void> =>
  deleteDatabase(`${BOARD_COPY_PREFIX}d:${draftRoom(sessionId, participantId)}`)

/**
 * Forgets the board copy of a session this browser now takes part in as someone else (joined
 * again after its token expired, or by another invite): edits in it were made as the earlier
 * participant, under Yjs client ids the server credits to them, so sent as the new one they would
 * be refused as forged writes (server/README.md, "Authorship") on every reconnect.
 */
export async function forgetEarlierParticipant (sessionId: string, participantId: string): Promise<void> {
  const earlier = recentSessions().find((s) => s.session.id === sessionId)
  if (earlier && earlier.participant_id !== participantId) await deleteDatabase(boardCopy(sessionId))
}

/**
 * "Forget this device": every session's token, the name typed at join, changes counted as unsaved,
 * every board copy, the organiser's admin key in this tab. Call it with no board open (an open
 * board holds its copy open, and deleting it would wait).
 */
export async function forgetDevice (): Promise<void> {
  const copies = new Set(recentSessions().map((s) => boardCopy(s.session.id)))
  try {
    for (const db of await indexedDB.databases()) if (db.name?.startsWith(BOARD_COPY_PREFIX)) copies.add(db.name)
  } catch { /* databases() missing: the copies of the sessions listed are still deleted */ }
  for (const k of localKeys()) if (k.startsWith('cocreate.') && !PREFERENCES.has(k)) localStorage.removeItem(k)
  sessionStorage.removeItem('cocreate.adminKey')
  await Promise.all([...copies].map(deleteDatabase))
}
