//! The chime everyone hears when a step's time is up (issue 27, part 6): two short tones made by
//! Web Audio (no sound file to download). Each person can mute it; it starts muted for those who
//! asked their system for reduced motion (fewer surprises), and it sounds once per step's end.

const KEY = 'cocreate.chime'

/** Whether this person hears the chime: their choice, else on unless they prefer reduced motion. */
export function chimeOn (): boolean {
  const chosen = localStorage.getItem(KEY)
  if (chosen) return chosen === 'on'
  return !window.matchMedia('(prefers-reduced-motion: reduce)').matches
}

/** Remembers this person's choice on this device. */
export function setChime (on: boolean): void { localStorage.setItem(KEY, on ? 'on' : 'off') }

/** A time's end that chimed already (`step@end`): a redraw or a late session message does not chime again. */
let chimed = ''
/** An end heard later than this (a page opened after it) does not chime. */
const LATE_MS = 5000
let audio: AudioContext | undefined

/**
 * Sounds the chime for the end `end` of step `step`, once, if this person hears it and it is now.
 * Returns whether this was the first notice of that end (heard now, not on opening the page later).
 */
export function timeUp (step: string, end: number): boolean {
  const key = `${step}@${end}`
  if (chimed === key || Date.now() - end > LATE_MS) return false
  chimed = key
  if (!chimeOn() || typeof AudioContext === 'undefined') return true
  audio ??= new AudioContext()
  const at = audio.currentTime
  for (const [i, freq] of [880, 660].entries()) {
    const tone = audio.createOscillator()
    const gain = audio.createGain()
    tone.frequency.value = freq
    gain.gain.setValueAtTime(0.0001, at + i * 0.25)
    gain.gain.exponentialRampToValueAtTime(0.2, at + i * 0.25 + 0.02)
    gain.gain.exponentialRampToValueAtTime(0.0001, at + i * 0.25 + 0.4)
    tone.connect(gain).connect(audio.destination)
    tone.start(at + i * 0.25)
    tone.stop(at + i * 0.25 + 0.45)
  }
  return true
}
