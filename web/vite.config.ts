/// <reference types="vitest/config" />
// Vite configuration for the Muhafiz browser UI.
// `npm run dev` proxies /api to a running server (MUHAFIZ_URL, default http://127.0.0.1:18080).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const target = process.env.MUHAFIZ_URL ?? 'http://127.0.0.1:18080';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target, changeOrigin: false },
      '/metrics': { target },
      '/.well-known': { target },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
