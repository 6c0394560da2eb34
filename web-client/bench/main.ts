// `npm run bench`: the web client's browser benchmark (issue 17). Starts the release server once
// per client (each serves its own build), one headless Chromium, and runs every row for every
// client, interleaved row by row (the clients alternate who goes first) so that both see the same
// machine load; prints one markdown table. See bench/README.md.

import { writeFileSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { startServer, launchBrowser, type Server } from '../e2e/launcher'
import { parseOptions, USAGE } from './options'
import { journeyMap } from './journey-map'
import { measureRow, medianRun, type Measurement } from './row'
import { table, hotspotReport } from './report'

const ADMIN_KEY = 'bench-admin-key-0123456789abcdef'

async function main (): Promise<void> {
  // every y-websocket provider (a typist, the seeder) listens for this process's exit
  process.setMaxListeners(64)
  const opts = parseOptions(process.argv.slice(2))
  if (opts === 'help') { process.stdout.write(USAGE); return }
  const servers: Server[] = []
  const results: Measurement[] = []
  let browser: Browser | undefined
  try {
    for (const c of opts.clients) servers.push(await startServer({ bin: opts.bin, webDir: c.dist, adminKey: ADMIN_KEY }))
    browser = await launchBrowser(opts.chromium)
    console.error(`bench: ${opts.rows.length} rows × ${opts.clients.map((c) => `${c.name} (${c.dist})`).join(', ')}; server ${opts.bin}; ${opts.seconds} s of typing per row${opts.repeat > 1 ? `, ${opts.repeat} runs each (medians)` : ''}`)
    for (const [i, row] of opts.rows.entries()) {
      const board = await journeyMap(row.cards, row.typists)
      const runs: Measurement[][] = opts.clients.map(() => [])
      for (let r = 0; r < opts.repeat; r++) {
        const order = opts.clients.map((_, k) => k)
        if ((i + r) % 2) order.reverse()
        for (const k of order) {
          const m = await measureRow(servers[k], browser, opts.clients[k], row, board, opts.seconds, opts.profile)
          console.error(`bench: ${m.client} ${m.cards} cards, ${m.typists} × ${m.rate}/s, cpu ${m.cpu}×: ${m.msPerUpdate.toFixed(1)} ms/update (CPU ${m.cpuMsPerUpdate.toFixed(1)}), busy ${Math.round(m.busy * 100)} %, p50/p95 ${m.p50?.toFixed(0)}/${m.p95?.toFixed(0)} ms, usable ${m.usableMs.toFixed(0)} ms${m.caughtUp ? '' : `, only ${m.seen}/${m.keystrokes} keystrokes shown`}`)
          runs[k].push(m)
        }
      }
      results.push(...runs.map(medianRun))
    }
  } finally {
    await browser?.close()
    for (const s of servers) await s.stop()
  }
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ clients: opts.clients, seconds: opts.seconds, measurements: results }, null, 2))
  const hot = hotspotReport(results)
  if (hot) process.stdout.write(`${hot}\n\n`)
  process.stdout.write(`${table(results, opts.clients.map((c) => c.name))}\n`)
}

// every child is stopped by now; exit rather than wait for a stray timer of a library
main().then(() => process.exit(0), (e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(1)
})
