import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Relative asset paths: the server may mount the UI under a proxy prefix, and index.html
// sets <base> from the location before any asset loads (see index.html).
export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/metrics': 'http://127.0.0.1:8080' },
  },
});
