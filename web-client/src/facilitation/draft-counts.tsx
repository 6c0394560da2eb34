//! The facilitator's live count of drafts per participant in a private step (issue 27, part 6):
//! how many cards each person has waiting, never their text, so that the facilitator knows when
//! to reveal. Read again on every step or agenda event and, while the step is under way, every
//! DRAFTS_EVERY_MS.

import { useEffect, useState } from 'preact/hooks'
import { t } from '../i18n'
import { errorText } from '../ui/error-text'
import { agendaApi, type CurrentStep } from './api'

/** How often the counts are read while people write: often enough to see the room finish. */
export const DRAFTS_EVERY_MS = 5000

type Count = Awaited<ReturnType<typeof agendaApi.drafts>>['drafts'][number]

interface Props {
  token: string
  session: string
  step: CurrentStep
  /** Bumped on the session's agenda and step events: the counts are read again. */
  version: number
}

/** The counts of those who have drafts waiting, under the facilitator's controls. */
export function DraftCounts ({ token, session, step, version }: Props) {
  const [counts, setCounts] = useState<Count[] | undefined>()
  const [error, setError] = useState('')
  const running = step.ended_at === null
  useEffect(() => {
    let gone = false
    const read = (): void => {
      agendaApi.drafts(token, session).then((r) => { if (!gone) { setCounts(r.drafts); setError('') } },
        (e) => { if (!gone) setError(t('mod.error', { error: errorText(e) })) })
    }
    read()
    const timer = running ? setInterval(read, DRAFTS_EVERY_MS) : undefined
    return () => { gone = true; clearInterval(timer) }
  }, [session, step.id, running, step.revealed, version])
  const writing = counts?.filter((c) => c.cards > 0) ?? []
  return (
    <section class='draft-counts' id='draft-counts' aria-labelledby='draft-counts-title'>
      <h3 id='draft-counts-title'>{t('facil.drafts')}</h3>
      {counts && !writing.length ? <p class='hint' id='draft-counts-none'>{t('facil.draftsNone')}</p> : null}
      {writing.length
        ? <ul>{writing.map((c) => <li key={c.participant} data-participant={c.participant} data-cards={c.cards}>{t('facil.draftsOf', { name: c.name || '?', n: c.cards })}</li>)}</ul>
        : null}
      {error ? <p class='mod-answer' role='status'>{error}</p> : null}
    </section>
  )
}
