import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into web/dist by `npm install` (the `prepare` script); served by src/modules/web in production.
// `npm run dev:web` serves it with hot reload and forwards API calls to the server on :3000.
const api = process.env.EKYC_API_URL ?? 'http://localhost:3000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: {
    proxy: Object.fromEntries(['/api', '/v1', '/docs', '/health', '/openapi.json'].map((p) => [p, api])),
  },
});
