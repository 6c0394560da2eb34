//! A moderation entry (the console's audit log, the replay's moderation events) as a sentence in
//! the page's language: the action in words, its target by name, a changed setting with its
//! value formatted (a timer's end as a time, by Intl), never a raw id or a raw number of ms.

import { t, lang, DICTS, type Key } from '../i18n'

/** How the server says why a step ended (server/README.md "Agenda"), other than by a moderator. */
const STEP_END_REASONS: Record<string, string> = { 'next step': 'next', time: 'time', closed: 'closed' }

/** What a sentence needs besides the entry: the name of its target (a person or an item), or '' when unknown. */
export type NameOf = (target: string) => string

/** "7 Dec 2026, 14:35": when something happened, in the page's language. */
export const whenText = (ms: number): string => new Intl.DateTimeFormat(lang(), { dateStyle: 'medium', timeStyle: 'short' }).format(ms)

/**
 * The sentence of one entry: `action` as the server names it, `target` its id, `reason` the
 * server's detail (a hide's reason, an erasure's extent, a decision, the settings sent).
 */
export function auditSentence (action: string, target: string | null | undefined, reason: string | null | undefined, nameOf: NameOf): string {
  // the server's reason for an erasure says what went, in English: "name" or "name and text"
  const key = action === 'erase' && reason === 'name and text' ? 'audit.erase-text'
    // an agenda step ends by a moderator, the next step, the session's close or its time
    : action === 'step-ended' && reason && STEP_END_REASONS[reason] ? `audit.step-ended.${STEP_END_REASONS[reason]}`
      : `audit.${action}`
  if (!(key in DICTS.en)) return t('audit.other', { action: action.replace(/[-_]/g, ' ') })
  const what = action === 'update' ? changedSettings(reason) : ''
  const why = action === 'decision' ? decisionReason(reason) : action === 'auto-hide' ? '' : reason ?? ''
  return t(key as Key, { target: target ? nameOf(target) || t('audit.unknownTarget') : '', reason: why, what })
}

/** An `update` entry's reason is the JSON of the settings sent; null fields were not changed. */
function changedSettings (reason: string | null | undefined): string {
  let o: Record<string, unknown>
  try { o = JSON.parse(reason ?? '{}') as Record<string, unknown> } catch { return reason ?? '' }
  return Object.entries(o).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => {
    if (k === 'timer_ends_at' && typeof v === 'number') return t('setting.timer', { time: new Intl.DateTimeFormat(lang(), { timeStyle: 'short' }).format(v) })
    if (k === 'phase' || k === 'title') return t(`setting.${k}`, { value: String(v) })
    if (k === 'votes_per_participant') return t('setting.votes', { n: Number(v) })
    if (k === 'research') return t('setting.research')
    return `${k}: ${String(v)}`
  }).join(', ')
}

/** A `decision` entry's reason is "status: explanation", the status as the API names it. */
function decisionReason (reason: string | null | undefined): string {
  const [status, ...explanation] = (reason ?? '').split(': ')
  const key = `decision.${status}`
  return key in DICTS.en ? [t(key as Key), ...explanation].join(': ') : reason ?? ''
}
