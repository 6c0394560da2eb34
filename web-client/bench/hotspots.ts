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
  /** share of all sampled time, 0..1 */
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

/** The `top` functions by self time in `profile` of the client built into `dist`. */
export async function hotspots (profile: CpuProfile, dist: string, top = 20): Promise<Hotspot[]> {
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  // a sample's time is the delta to the next sample
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (deltas[i + 1] ?? 0))
  const lookupFor = await sourceMaps(dist)
  const byWhere = new Map<string, number>()
  let total = 0
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0
    total += us
    if (!us) continue
    const f = node.callFrame
    const file = f.url.replace(/^https?:\/\/[^/]+\//, '')
    const orig = f.url ? lookupFor(f.url)?.(f.lineNumber + 1, f.columnNumber) : undefined
    const where = !f.url
      ? f.functionName || '(program)'
      : orig?.source
        ? `${orig.name ?? (f.functionName || '(anonymous)')} ${orig.source.replace(/^(\.\.\/)+/, '')}:${orig.line}`
        : `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}:${f.columnNumber + 1}`
    byWhere.set(where, (byWhere.get(where) ?? 0) + us)
  }
  return [...byWhere].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([where, us]) => ({ where, selfMs: us / 1000, share: total ? us / total : 0 }))
}
