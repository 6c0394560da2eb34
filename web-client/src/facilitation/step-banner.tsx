//! The step banner everyone sees (issue 27, part 6): the current agenda step's title and method,
//! its countdown, and once it ended, that it did. It stays at the top of the screen while people
//! scroll; the page below keeps its sticky headers and focused items clear of it (--sticky-top).
//! Only the countdown's text changes every second.

import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { t, lang, type Key } from '../i18n'
import { useFacilitation, type Facilitation } from './state'
import { countdownText, secondsLeft } from './time'
import type { CurrentStep } from './api'

/** What the banner says of a step that ended: on its time, or earlier (a moderator, the next step). */
export function endedText (step: CurrentStep): string {
  const onTime = step.ends_at !== null && step.ended_at !== null && step.ended_at >= step.ends_at
  return t(onTime ? 'step.timeUp' : 'step.ended')
}

/** The step's method in words. */
export const methodText = (step: Pick<CurrentStep, 'method'>): string => t(`stepMethod.${step.method}` as Key)

function Countdown ({ end }: { end: number }) {
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    setNow(Date.now())
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [end])
  const left = secondsLeft(end, now)
  // a timer's role is not live: the banner's changes are announced once, by the page
  return (
    <span class='step-countdown' id='step-countdown' role='timer' data-left={left}>
      {left > 0 ? t('step.left', { time: countdownText(left, lang()) }) : t('timer.done')}
    </span>
  )
}

function StepBanner ({ f }: { f: Facilitation }) {
  useFacilitation(f, (x) => JSON.stringify(x.step()))
  const step = f.step()
  if (!step) return null
  const ended = step.ended_at !== null
  return (
    <section class='step-banner' id='step-banner' aria-label={t('step.banner')} data-step={step.id} data-state={ended ? 'ended' : 'running'}>
      <p class='step-now'>
        <span class='step-title' id='step-title'>{step.title}</span>
        <span class='step-method' id='step-method'>{methodText(step)}</span>
        {step.revealed ? <span class='step-flag' id='step-revealed'>{t('step.revealed')}</span> : null}
      </p>
      {ended
        ? <p class='step-ended' id='step-ended'>{endedText(step)}</p>
        : step.ends_at !== null ? <Countdown end={step.ends_at} /> : null}
    </section>
  )
}

/**
 * Renders the banner into `el` and keeps it live; tells the page how tall it is (the CSS variable
 * `--sticky-top` on the root), so that what sticks or gets focus below stays clear of it.
 * Returns what ends it.
 */
export function mountStepBanner (f: Facilitation, el: HTMLElement): () => void {
  render(<StepBanner f={f} />, el)
  const root = document.documentElement
  const measure = new ResizeObserver(() => root.style.setProperty('--sticky-top', `${el.offsetHeight}px`))
  measure.observe(el)
  return () => { measure.disconnect(); root.style.removeProperty('--sticky-top'); render(null, el) }
}
