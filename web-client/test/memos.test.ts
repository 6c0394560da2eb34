import { describe, it, expect } from 'vitest'
import { mayDelete, mayEdit, withMemo, withoutMemo } from '../src/research/memo-list'
import type { Memo } from '../src/research/api'

const memo = (id: string, at: number, by = 'p_rita', text = id): Memo => ({ id, at, text, by, created_at: at, updated_at: at })

describe('memos', () => {
  it('keep the replay\'s order (instant, then id) as they are added, changed and deleted', () => {
    let ms = [memo('memo_b', 200), memo('memo_c', 500)]
    ms = withMemo(ms, memo('memo_a', 200))
    expect(ms.map((m) => m.id)).toEqual(['memo_a', 'memo_b', 'memo_c'])
    // a changed memo replaces its old self, moved to its new instant
    ms = withMemo(ms, memo('memo_c', 100, 'p_rita', 'earlier'))
    expect(ms.map((m) => [m.id, m.text])).toEqual([['memo_c', 'earlier'], ['memo_a', 'memo_a'], ['memo_b', 'memo_b']])
    expect(withoutMemo(ms, 'memo_a').map((m) => m.id)).toEqual(['memo_c', 'memo_b'])
  })

  it('its writer changes a memo; its writer or a moderator deletes it', () => {
    const rita = memo('memo_a', 1, 'p_rita')
    expect([mayEdit(rita, 'p_rita'), mayEdit(rita, 'p_rob'), mayEdit(rita, 'p_mona')]).toEqual([true, false, false])
    expect([mayDelete(rita, 'p_rita', 'researcher'), mayDelete(rita, 'p_rob', 'researcher'), mayDelete(rita, 'p_mona', 'moderator')]).toEqual([true, false, true])
  })
})
