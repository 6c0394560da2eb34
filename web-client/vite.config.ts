import { defineConfig } from 'vite'

// The built client is served by `cocreate serve --web-dir dist` under a strict CSP:
// no inline scripts or styles, so Vite must emit everything as files (no modulepreload polyfill).
export default defineConfig({
  base: '/',
  // components are Preact (board/*.tsx): JSX compiles to its automatic runtime. esbuild keeps
  // `//!` comments as legal comments: those are our module docs, which browsers need not download
  // (no dependency in the bundle carries a licence comment)
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact', legalComments: 'none' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    target: 'es2020'
  },
  server: {
    proxy: {
      '/api': { target: process.env.COCREATE_URL || 'http://127.0.0.1:8080' },
      '/ws': { target: process.env.COCREATE_URL || 'http://127.0.0.1:8080', ws: true }
    }
  }
})
