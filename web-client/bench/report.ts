// The benchmark's output: one markdown table, a row per board/typists/CPU, the clients side by
// side with the candidate/baseline ratio when there are two.

import type { Measurement } from './row'
import { ratio } from './stats'

const ms = (v: number | undefined): string => v === undefined || !Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(1) : String(Math.round(v))
const times = (v: number | undefined): string => v === undefined ? '–' : `${v < 0.1 ? v.toFixed(3) : v.toFixed(2)}×`
const pct = (v: number): string => `${Math.round(v * 100)} %`
const latency = (m: Measurement): string => `${ms(m.p50)} / ${ms(m.p95)}${m.caughtUp ? '' : ` (only ${m.seen} of ${m.keystrokes} shown)`}`
const cpu = (m: Measurement): string => m.cpu === 1 ? 'desktop' : `${m.cpu}× throttled`
/** Under CPU throttling Chromium's ThreadTime no longer measures the page's work: tasks only. */
const cpuOf = (m: Measurement | undefined): number | undefined => m && m.cpu === 1 ? m.cpuMsPerUpdate : undefined
const perUpdate = (m: Measurement | undefined): string => m ? `${ms(m.msPerUpdate)} / ${ms(cpuOf(m))}` : '–'
const rowHead = (m: Measurement): string[] => [String(m.cards), `${m.typists} × ${m.rate}/s`, cpu(m)]

/** `measurements` of one client, or of two (baseline first) for the same rows, as a markdown table. */
export function table (measurements: Measurement[], clients: string[]): string {
  const rows = new Map<string, Measurement[]>()
  for (const m of measurements) {
    const key = `${m.cards}x${m.typists}x${m.rate}@${m.cpu}`
    rows.set(key, [...(rows.get(key) ?? []), m])
  }
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`
  const out: string[] = []
  if (clients.length === 1) {
    out.push(line(['cards', 'remote typists', 'CPU', 'main thread / remote update: tasks / CPU (ms)', 'main thread busy', 'keystroke → screen p50 / p95 (ms)', 'usable after (ms)']))
    out.push(line(['---:', '---', '---', '---:', '---:', '---', '---:']))
    for (const [m] of rows.values()) out.push(line([...rowHead(m), perUpdate(m), pct(m.busy), latency(m), ms(m.usableMs)]))
    return out.join('\n')
  }
  const [b, c] = clients
  out.push(line(['cards', 'remote typists', 'CPU',
    `main thread / update: tasks / CPU, ${b} (ms)`, `${c} (ms)`, '×',
    `p50 / p95, ${b} (ms)`, `${c} (ms)`, '× p95',
    `busy, ${b}`, c,
    `usable, ${b} (ms)`, `${c} (ms)`, '×']))
  out.push(line(['---:', '---', '---', '---:', '---:', '---:', '---', '---', '---:', '---:', '---:', '---:', '---:', '---:']))
  for (const ms2 of rows.values()) {
    const mb = ms2.find((m) => m.client === b)
    const mc = ms2.find((m) => m.client === c)
    const any = (mb ?? mc)!
    out.push(line([...rowHead(any),
      perUpdate(mb), perUpdate(mc), `${times(ratio(mb?.msPerUpdate, mc?.msPerUpdate))} / ${times(ratio(cpuOf(mb), cpuOf(mc)))}`,
      mb ? latency(mb) : '–', mc ? latency(mc) : '–', times(ratio(mb?.p95, mc?.p95)),
      mb ? pct(mb.busy) : '–', mc ? pct(mc.busy) : '–',
      ms(mb?.usableMs), ms(mc?.usableMs), times(ratio(mb?.usableMs, mc?.usableMs))]))
  }
  return out.join('\n')
}

/** The --profile summary: per measured row and client, the top functions and rendering events. */
export function hotspotReport (measurements: Measurement[]): string {
  return measurements.filter((m) => m.hotspots?.length).map((m) =>
    [`${m.client}, ${m.cards} cards, ${m.typists} × ${m.rate}/s, ${cpu(m)} (${m.updates} updates, ${ms(m.msPerUpdate)} ms each while profiled):`,
      '      self        total  function (by self time, then src/ by total time)',
      ...m.hotspots!.map((h) => `  ${h.selfMs.toFixed(1).padStart(8)} ms ${pct(h.share).padStart(5)} ${h.totalMs.toFixed(1).padStart(8)} ms  ${h.where}`),
      '     count     total  per update  rendering event (main thread, trace)',
      ...(m.rendering ?? []).map((r) => `  ${String(r.count).padStart(8)} ${r.totalMs.toFixed(1).padStart(8)} ms ${(r.totalMs / m.updates).toFixed(2).padStart(7)} ms  ${r.event}${r.detail ? ` (${r.detail})` : ''}`)
    ].join('\n')
  ).join('\n\n')
}
