//! Binds a <textarea> to a Y.Text: local typing becomes minimal inserts/deletes (so concurrent
//! edits by others merge), remote changes update the textarea and keep the caret in place.

import * as Y from 'yjs'

/** The minimal change turning `a` into `b`: common prefix and suffix kept. */
export function diff (a: string, b: string): { index: number, remove: number, insert: string } {
  let start = 0
  const max = Math.min(a.length, b.length)
  while (start < max && a[start] === b[start]) start++
  let endA = a.length; let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB-- }
  return { index: start, remove: endA - start, insert: b.slice(start, endB) }
}

export function bindTextarea (ytext: Y.Text, el: HTMLTextAreaElement | HTMLInputElement): () => void {
  const doc = ytext.doc
  const origin = { binding: el }
  el.value = ytext.toString()
  const onInput = (): void => {
    const d = diff(ytext.toString(), el.value)
    if (!d.remove && !d.insert) return
    const apply = (): void => {
      if (d.remove) ytext.delete(d.index, d.remove)
      if (d.insert) ytext.insert(d.index, d.insert)
    }
    if (doc) doc.transact(apply, origin); else apply()
  }
  const observer = (_e: Y.YTextEvent, tr: Y.Transaction): void => {
    if (tr.origin === origin) return
    const active = document.activeElement === el
    const selStart = el.selectionStart ?? 0
    const selEnd = el.selectionEnd ?? 0
    const before = el.value
    const after = ytext.toString()
    el.value = after
    if (active) {
      const d = diff(before, after)
      const shift = (p: number): number => (p <= d.index ? p : p >= d.index + d.remove ? p - d.remove + d.insert.length : d.index + d.insert.length)
      el.setSelectionRange(shift(selStart), shift(selEnd))
    }
  }
  el.addEventListener('input', onInput)
  ytext.observe(observer)
  return () => { el.removeEventListener('input', onInput); ytext.unobserve(observer) }
}
