//! The replay's memos as a list: kept in the server's order (instant, then id) as memos are added,
//! changed and deleted, and who may change which, as the server decides (server/src/api/memos.rs).
//! No DOM: unit-tested.

import type { Memo } from './api'

/** The longest memo the server takes, in characters (server/README.md, "Memos"). */
export const MEMO_MAX = 4000

const order = (a: Memo, b: Memo): number => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** `memos` with `memo` added or replacing the one of its id, in the replay's order. */
export function withMemo (memos: readonly Memo[], memo: Memo): Memo[] {
  return [...memos.filter((m) => m.id !== memo.id), memo].sort(order)
}

/** `memos` without the memo `id`. */
export const withoutMemo = (memos: readonly Memo[], id: string): Memo[] => memos.filter((m) => m.id !== id)

/** Only its writer changes a memo: shared research notes keep their author's words. */
export const mayEdit = (memo: Memo, me: string): boolean => memo.by === me

/** Its writer deletes a memo, and so does a moderator, who keeps the session's records clean. */
export const mayDelete = (memo: Memo, me: string, role: string): boolean => memo.by === me || role === 'moderator'
