/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// React without @vitejs/plugin-react: esbuild compiles JSX with the automatic runtime.
// `npm run dev` proxies the API to a controller on MAYFLY_URL (default :8080).
export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'react' },
  build: {
    outDir: 'target/dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    sourcemap: false,
  },
  server: {
    proxy: { '/api': process.env.MAYFLY_URL ?? 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'node', // component tests say `@vitest-environment jsdom`
    globals: true,
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
