// Where the viewer's main thread goes: a CPU profile's self time summed per function, with the
// built client's minified positions mapped back to its sources through dist's source maps
// (when the build wrote them), so that the client's authors can act on the list.

import { readFileSync, existsSync } from 'node:fs'
import path from 'node:path'
import type { CpuProfile } from './viewer'

export interface Hotspot {
  /** function name and source position (mapped to src/ when a source map is there) */
  where: string
  /** self time, ms */
  selfMs: number
  /** time with everything it called, ms */
  totalMs: number
  /** self time's share of all sampled time, 0..1 */
  share: number
}

type Lookup = (line: number, column: number) => { source: string | null, line: number | null, name: string | null }

/** Source maps of the built client by asset file name; missing maps just leave positions minified. */
async function sourceMaps (dist: string): Promise<(url: string) => Lookup | undefined> {
  let SourceMapConsumer: (new (raw: unknown) => { originalPositionFor: (p: { line: number, column: number }) => ReturnType<Lookup> }) | undefined
  try {
    // vite's own dependency (through postcss); without it the profile stays minified
    SourceMapConsumer = (await import('source-map-js')).SourceMapConsumer as unknown as typeof SourceMapConsumer
  } catch { return () => undefined }
  const cache = new Map<string, Lookup | undefined>()
  return (url) => {
    const file = url.replace(/^https?:\/\/[^/]+\//, '')
    if (!file.endsWith('.js')) return undefined
    if (!cache.has(file)) {
      const map = path.join(dist, `${file}.map`)
      const consumer = existsSync(map) && SourceMapConsumer ? new SourceMapConsumer(JSON.parse(readFileSync(map, 'utf8'))) : undefined
      cache.set(file, consumer ? (line, column) => consumer.originalPositionFor({ line, column }) : undefined)
    }
    return cache.get(file)
  }
}

interface ProfileNodeWithChildren { id: number, children?: number[] }

/**
 * The functions of `profile` (of the client built into `dist`) by self time, each with its total
 * time (itself and what it called): the `top` by self time, then the client's own (src/) `top`
 * by total time that are not among them.
 */
export async function hotspots (profile: CpuProfile, dist: string, top = 20): Promise<Hotspot[]> {
  const lookupFor = await sourceMaps(dist)
  const whereOf = new Map<number, string>()
  const parentOf = new Map<number, number>()
  for (const node of profile.nodes) {
    const f = node.callFrame
    const file = f.url.replace(/^https?:\/\/[^/]+\//, '')
    const orig = f.url ? lookupFor(f.url)?.(f.lineNumber + 1, f.columnNumber) : undefined
    whereOf.set(node.id, !f.url
      ? f.functionName || '(program)'
      : orig?.source
        ? `${orig.name ?? (f.functionName || '(anonymous)')} ${orig.source.replace(/^(\.\.\/)+/, '')}:${orig.line}`
        : `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}:${f.columnNumber + 1}`)
    for (const c of (node as ProfileNodeWithChildren).children ?? []) parentOf.set(c, node.id)
  }
  const selfUs = new Map<string, number>()
  const totalUs = new Map<string, number>()
  let all = 0
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  for (let i = 0; i < samples.length; i++) {
    // a sample's time is the delta to the next sample
    const us = deltas[i + 1] ?? 0
    all += us
    const leaf = whereOf.get(samples[i]) ?? '?'
    selfUs.set(leaf, (selfUs.get(leaf) ?? 0) + us)
    const counted = new Set<string>() // a recursive function counts once per sample
    for (let n: number | undefined = samples[i]; n !== undefined; n = parentOf.get(n)) {
      const w = whereOf.get(n) ?? '?'
      if (!counted.has(w)) { counted.add(w); totalUs.set(w, (totalUs.get(w) ?? 0) + us) }
    }
  }
  const spot = (where: string): Hotspot => ({ where, selfMs: (selfUs.get(where) ?? 0) / 1000, totalMs: (totalUs.get(where) ?? 0) / 1000, share: all ? (selfUs.get(where) ?? 0) / all : 0 })
  const bySelf = [...selfUs.keys()].sort((a, b) => selfUs.get(b)! - selfUs.get(a)!).slice(0, top)
  const byTotal = [...totalUs.keys()].filter((w) => / src\//.test(w) && !bySelf.includes(w))
    .sort((a, b) => totalUs.get(b)! - totalUs.get(a)!).slice(0, top)
  return [...bySelf, ...byTotal].map(spot)
}
