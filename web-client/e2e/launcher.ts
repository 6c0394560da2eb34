// Starts the processes a browser test or the benchmark runs against, without vitest: a cocreate
// server (a given binary, serving a given built client, temp data dir, 127.0.0.1:0, ready when it
// logs its address) and Debian's headless Chromium via playwright-core. Every wait is bounded;
// every child is killed when this process exits, also on Ctrl-C.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Browser } from 'playwright-core'

/** How long a server or browser may take to start (a 2-core machine under load is slow). */
export const WAIT_MS = Number(process.env.E2E_TIMEOUT_MS || 15_000)

const children = new Set<ChildProcess>()
/** servers' temporary data directories, removed also when this process is interrupted */
const dataDirs = new Set<string>()
const killAll = (): void => {
  for (const c of children) { try { c.kill('SIGKILL') } catch { /* gone */ } }
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true })
}
process.on('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { killAll(); process.exit(1) })

export interface Server {
  /** the cocreate server's http origin: the client and its API */
  url: string
  logs: () => string
  stop: () => Promise<void>
}

export interface ServerOptions {
  /** the cocreate binary */
  bin: string
  /** the built client (a vite `dist/`) the server serves at / */
  webDir: string
  adminKey: string
  /** A data directory to use (and keep) instead of a fresh temporary one: a restart on the same data. */
  dataDir?: string
  /** More start flags (e.g. a clock offset). */
  args?: string[]
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')

export async function startServer (opts: ServerOptions): Promise<Server> {
  if (!existsSync(opts.bin)) throw new Error(`cocreate binary not found at ${opts.bin}: build it (cargo build) or name another one`)
  if (!existsSync(path.join(opts.webDir, 'index.html'))) throw new Error(`no built client at ${opts.webDir} (index.html missing): run npm run build there`)
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'cocreate-e2e-'))
  if (!opts.dataDir) dataDirs.add(dataDir)
  // Every browser of a suite joins from 127.0.0.1: the per-address join limit would count
  // them all as one guesser.
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--web-dir', opts.webDir, '--admin-key', opts.adminKey, '--open-rooms',
    '--join-attempts-per-minute', '100000', ...(opts.args ?? [])]
  const env = { ...process.env, NO_COLOR: '1' }
  // COCREATE_SENSE_MODEL tells the tests where the model is; a server gets it by its flag only
  for (const k of ['COCREATE_REDIS_URL', 'COCREATE_REDIS_PREFIX', 'COCREATE_NODE_ID', 'COCREATE_LISTEN', 'COCREATE_DATA_DIR', 'COCREATE_SENSE_MODEL']) delete env[k]
  const child = spawn(opts.bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let out = ''
  const exited = new Promise<void>((resolve) => child.on('exit', () => { children.delete(child); resolve() }))
  const addr = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`server did not log its address within ${WAIT_MS} ms:\n${out}`)) }, WAIT_MS)
    const onData = (d: Buffer): void => {
      out += d.toString('utf8')
      for (const line of stripAnsi(out).split('\n').slice(0, -1)) {
        const m = /listening.*?(\d+\.\d+\.\d+\.\d+:\d+)/.exec(line)
        if (m && !m[1].endsWith(':0')) { clearTimeout(timer); resolve(m[1]); return }
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`server ${opts.bin} did not start: ${e.message}`)) })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}) before listening:\n${out}`)) })
  })
  return {
    url: `http://${addr}`,
    logs: () => stripAnsi(out),
    stop: async () => {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(t)
      if (opts.dataDir) return
      rmSync(dataDir, { recursive: true, force: true })
      dataDirs.delete(dataDir)
    }
  }
}

/** Headless Chromium with nothing running in the background that is not the page. */
export async function launchBrowser (executablePath: string): Promise<Browser> {
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: apt-get install -y chromium, or set CHROMIUM_PATH`)
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    timeout: WAIT_MS
  })
}
