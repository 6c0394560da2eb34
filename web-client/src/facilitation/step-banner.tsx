//! The step banner everyone sees (issue 27, part 6): the current agenda step's title and method,
//! its countdown, and once it ended, that it did. It stays at the top of the screen while people
//! scroll; the page below keeps its sticky headers and focused items clear of it (--sticky-top).
//! Only the countdown's text changes every second. A paused countdown shows the time left; when
//! the time is up, everyone hears the chime (chime.ts; a toggle here mutes it).

import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { t, lang, type Key } from '../i18n'
import { useFacilitation, type Facilitation } from './state'
import { countdownText, secondsLeft } from './time'
import type { CurrentStep } from './api'
import { chimeOn, setChime, timeUp } from './chime'

/** What the banner says of a step that ended: on its time, or earlier (a moderator, the next step). */
export function endedText (step: CurrentStep): string {
  const onTime = step.ends_at !== null && step.ended_at !== null && step.ended_at >= step.ends_at
  return t(onTime ? 'step.timeUp' : 'step.ended')
}

/** The step's method in words. */
export const methodText = (step: Pick<CurrentStep, 'method'>): string => t(`stepMethod.${step.method}` as Key)

/** The countdown of a step under way; at 0 the chime, and for a step that keeps going, `say` tells screen readers. */
function Countdown ({ step, end, keepsGoing, say }: { step: string, end: number, keepsGoing: boolean, say: (text: string) => void }) {
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    setNow(Date.now())
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [end])
  const left = secondsLeft(end, now)
  const up = left === 0
  useEffect(() => { if (up && timeUp(step, end) && keepsGoing) say(t('step.overtime')) }, [up, end])
  // a timer's role is not live: the banner's changes are announced once, by the page
  return (
    <span class='step-countdown' id='step-countdown' role='timer' data-left={left}>
      {!up ? t('step.left', { time: countdownText(left, lang()) }) : t(keepsGoing ? 'step.overtime' : 'timer.done')}
    </span>
  )
}

/** The chime on or off, on this device. */
function ChimeToggle () {
  const [on, setOn] = useState(chimeOn)
  return (
    <button type='button' class='btn small step-chime' id='step-chime' aria-pressed={on} onClick={() => { setChime(!on); setOn(!on) }}>
      {t('step.chime')}
    </button>
  )
}

function StepBanner ({ f, say }: { f: Facilitation, say: (text: string) => void }) {
  useFacilitation(f, (x) => JSON.stringify(x.step()))
  const step = f.step()
  if (!step) return null
  const ended = step.ended_at !== null
  const { paused_at: paused, remaining_ms: remaining, on_end: onEnd } = step
  // a step that ended on time (the page announces that it ended): the chime, if not heard at 0 already
  const endedOnTime = ended && step.ends_at !== null && step.ended_at! >= step.ends_at
  useEffect(() => { if (endedOnTime) timeUp(step.id, step.ends_at!) }, [endedOnTime, step.id])
  return (
    <section class='step-banner' id='step-banner' aria-label={t('step.banner')} data-step={step.id} data-state={ended ? 'ended' : paused != null ? 'paused' : 'running'}>
      <p class='step-now'>
        <span class='step-title' id='step-title'>{step.title}</span>
        <span class='step-method' id='step-method'>{methodText(step)}</span>
        {step.revealed ? <span class='step-flag' id='step-revealed'>{t('step.revealed')}</span> : null}
      </p>
      {ended
        ? <p class='step-ended' id='step-ended'>{endedText(step)}</p>
        : step.ends_at !== null
          ? <Countdown step={step.id} end={step.ends_at} keepsGoing={onEnd === 'continue'} say={say} />
          : paused != null
            ? <span class='step-countdown' id='step-countdown' role='timer' data-paused=''>{t('step.paused', { time: countdownText(Math.ceil((remaining ?? 0) / 1000), lang()) })}</span>
            : null}
      {!ended && (step.ends_at !== null || paused != null) ? <ChimeToggle /> : null}
    </section>
  )
}

/**
 * Renders the banner into `el` and keeps it live; tells the page how tall the sticky part around
 * it (`sticky`) is (the CSS variable `--sticky-top` on the root), so that what sticks or gets
 * focus below stays clear of it. `say` announces what the session messages do not (time up in a
 * step that keeps going). Returns what ends it.
 */
export function mountStepBanner (f: Facilitation, el: HTMLElement, sticky: HTMLElement, say: (text: string) => void): () => void {
  render(<StepBanner f={f} say={say} />, el)
  const root = document.documentElement
  const measure = new ResizeObserver(() => root.style.setProperty('--sticky-top', `${sticky.offsetHeight}px`))
  measure.observe(sticky)
  return () => { measure.disconnect(); root.style.removeProperty('--sticky-top'); render(null, el) }
}
